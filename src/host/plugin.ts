import { CliError, messageOf } from '../errors.js';
import { LogLevel, logLevelNames, type FailStrategy, type LogLevelName } from './constants.js';
import { MetricStore } from './metrics.js';
import { SharedData } from './shared-data.js';
import { SharedQueues } from './queues.js';
import { compilePluginModule, type PluginModule } from './module.js';
import { istioNodeProperties, mergeProperties, type PropertyTree } from './properties.js';
import { configurationBytes } from './plugin-configuration.js';
import { traceConfiguration } from './trace/configuration.js';
import { HttpStream, type StreamInfo } from './stream.js';
import { PluginTrap, PluginVm, type LogEntry } from './vm.js';
import type { StreamTrace } from './trace/stream-trace.js';
import type { TraceConfiguration } from './trace/format.js';
import type { GrpcCallRequest, GrpcStreamRequest, HttpCallDispatcher, HttpCallRequest } from './http-calls.js';

/** What VMs on one host share: shared data and queues (per vm_id), as one Envoy process. */
export interface HostEnvironment {
  sharedData: SharedData;
  queues: SharedQueues;
}

export function createHostEnvironment(): HostEnvironment {
  return { sharedData: new SharedData(), queues: new SharedQueues() };
}

export interface PluginOptions {
  /** The module bytes, or one compiled with compilePluginModule. */
  module: Uint8Array | PluginModule;
  /** A label for logs and errors (defaults to the root id). */
  name?: string;
  /** pluginConfig as Istio hands it over: an object becomes istiod's JSON (sorted keys, Go number form; empty = zero bytes); a string or bytes pass as is. */
  pluginConfig?: unknown;
  vmConfig?: string | Uint8Array;
  /** Root id: Istio uses the WasmPlugin's pluginName (empty when unset). */
  rootId?: string;
  vmId?: string;
  /** vmConfig.env: what the plugin reads with WASI environ_get. */
  env?: Record<string, string>;
  failStrategy?: FailStrategy;
  /** Lowest level delivered to `onLog` and answered by proxy_get_log_level (default info). */
  logLevel?: LogLevelName;
  onLog?: (entry: LogEntry) => void;
  /** Where proxy_http_call goes; by default every cluster is unknown. */
  dispatcher?: HttpCallDispatcher;
  /** Extra properties merged over the defaults (plugin_name, node metadata Istio sets, ...). */
  properties?: PropertyTree;
  environment?: HostEnvironment;
  /** Body bytes a paused plugin may buffer (Envoy's per-connection buffer limit, default 1 MiB). */
  bufferLimit?: number;
  now?: () => bigint;
  /** Ticks run on timers (serve); tests call tick() themselves. */
  autoTick?: boolean;
  onPropertyRead?: (path: string[]) => void;
  /** A time limit per plugin callback (the test API sets one); unset means none. */
  callbackTimeoutMs?: number;
  onHttpCall?: (request: HttpCallRequest) => void;
  onGrpcCall?: (request: GrpcCallRequest) => void;
  onGrpcStream?: (request: GrpcStreamRequest) => void;
  /**
   * Record each traced stream (newStream with a StreamTrace): callbacks, host calls, callouts, traps.
   * Without it a VM pays nothing for tracing, and traces only see the plugin from outside.
   */
  trace?: boolean;
  /** The plugin failed (configure refused, or a trap): reported once per failure. */
  onFailure?: (error: PluginTrap | Error) => void;
}

const noClusters: HttpCallDispatcher = { knows: () => false, dispatch: () => Promise.resolve({ headers: [] }) };

/**
 * A loaded plugin: one VM at a time, its root context configured, streams made on demand, and the
 * fail strategy applied as Istio does: FAIL_CLOSE answers 503 and stays failed, FAIL_OPEN bypasses
 * the plugin, FAIL_RELOAD starts a fresh VM for the next stream.
 */
export class Plugin {
  readonly module: PluginModule;
  readonly name: string;
  readonly rootId: string;
  readonly failStrategy: FailStrategy;
  readonly metrics = new MetricStore();
  /** Why the plugin is failed, when it is. */
  failure: Error | undefined;
  /** How many VMs were started (FAIL_RELOAD makes new ones). */
  vmStarts = 0;
  /** The plugin configuration bytes proxy_on_configure reads. */
  readonly configuration: Uint8Array;
  #traceConfiguration: TraceConfiguration | undefined;

  #options: PluginOptions;
  #vm: PluginVm | undefined;
  #env: HostEnvironment;
  #tickTimer: NodeJS.Timeout | undefined;
  #properties: PropertyTree;
  /** One closure for every stream (not one per stream). */
  #onStreamTrap = (error: PluginTrap): void => this.#fail(error);

  private constructor(module: PluginModule, options: PluginOptions) {
    this.module = module;
    this.#options = options;
    this.rootId = options.rootId ?? '';
    this.name = options.name ?? (this.rootId || 'plugin');
    this.failStrategy = options.failStrategy ?? 'FAIL_CLOSE';
    this.configuration = configurationBytes(options.pluginConfig);
    this.#env = options.environment ?? createHostEnvironment();
    this.#properties = mergeProperties(
      istioNodeProperties(),
      { plugin_name: this.rootId, plugin_root_id: this.rootId, plugin_vm_id: options.vmId ?? '' },
      options.properties,
    );
  }

  /** Compiles (if needed) and starts the plugin. Invalid modules throw; a failing configure does not. */
  static async load(options: PluginOptions): Promise<Plugin> {
    const module = options.module instanceof Uint8Array ? await compilePluginModule(options.module, options.name) : options.module;
    const plugin = new Plugin(module, options);
    plugin.#startVm();
    return plugin;
  }

  get abiVersion(): string {
    return this.module.abiVersion;
  }

  /** The current VM (undefined when failed and not reloaded yet). */
  get vm(): PluginVm | undefined {
    return this.#vm;
  }

  get failed(): boolean {
    return this.failure !== undefined;
  }

  /** The configuration as a trace records it (made once, shared by every exchange's record). */
  get traceConfiguration(): TraceConfiguration {
    return (this.#traceConfiguration ??= traceConfiguration(this.configuration));
  }

  /** Whether streams of this plugin record host calls into their traces (PluginOptions.trace). */
  get tracing(): boolean {
    return this.#options.trace === true;
  }

  /** A new HTTP stream through this plugin, recorded into `trace` when given. Call finish() on it when the exchange is over. */
  newStream(info?: StreamInfo, trace?: StreamTrace): HttpStream {
    if (this.failure && this.failStrategy === 'FAIL_RELOAD') this.#startVm();
    const bufferLimit = this.#options.bufferLimit ?? 1024 * 1024;
    if (this.failure || !this.#vm) {
      return new HttpStream({ vm: undefined, mode: this.failStrategy === 'FAIL_OPEN' ? 'bypass' : 'reject', failStrategy: this.failStrategy, bufferLimit, info, trace });
    }
    return new HttpStream({ vm: this.#vm, mode: 'active', failStrategy: this.failStrategy, bufferLimit, info, onTrap: this.#onStreamTrap, trace });
  }

  /** Notes a failure seen by a stream (its callback trapped). */
  noteStreamFailure(stream: HttpStream): void {
    if (stream.failure && !this.failure) this.#fail(stream.failure);
  }

  /** Calls proxy_on_tick on the root context now. */
  tick(): void {
    this.#vm?.tick();
  }

  /** Stops the VM, its timers and pending calls. */
  close(): void {
    this.#setTick(0);
    this.#vm?.stop();
    this.#vm = undefined;
  }

  #startVm(): void {
    this.#vm?.stop();
    this.#vm = undefined;
    this.failure = undefined;
    this.vmStarts++;
    const o = this.#options;
    const level = LogLevel[o.logLevel ?? 'info'];
    let vm: PluginVm;
    try {
      vm = new PluginVm(this.module, {
        name: this.name,
        rootId: this.rootId,
        vmId: o.vmId ?? '',
        vmConfiguration: configurationBytes(o.vmConfig),
        pluginConfiguration: this.configuration,
        env: o.env ?? {},
        logLevel: level,
        log: o.onLog ?? (() => {}),
        properties: this.#properties,
        dispatcher: o.dispatcher ?? noClusters,
        sharedData: this.#env.sharedData,
        queues: this.#env.queues,
        metrics: this.metrics,
        now: o.now ?? (() => BigInt(Date.now()) * 1_000_000n),
        onTickPeriod: (ms) => this.#setTick(ms),
        onPropertyRead: o.onPropertyRead,
        onHttpCall: o.onHttpCall,
        onGrpcCall: o.onGrpcCall,
        onGrpcStream: o.onGrpcStream,
        callbackTimeoutMs: o.callbackTimeoutMs,
        trace: o.trace,
        onFailure: (error) => this.#fail(error),
      });
    } catch (error) {
      this.#fail(error instanceof PluginTrap ? error : new PluginTrap('instantiate', error));
      return;
    }
    this.#vm = vm;
    try {
      const started = vm.start();
      if (!started.ok) {
        vm.stop();
        this.#fail(new CliError('PLUGIN_CONFIGURE_FAILED', `${this.name}: ${started.reason}`));
      }
    } catch (error) {
      this.#fail(error instanceof PluginTrap ? error : new PluginTrap('start', error));
    }
  }

  #fail(error: Error): void {
    if (this.failure === error) return;
    this.failure = error;
    const vm = this.#vm;
    this.#vm = undefined;
    this.#setTick(0);
    if (vm) {
      vm.stop();
      for (const stream of vm.liveStreams()) stream.vmFailed();
    }
    this.#options.onFailure?.(error);
  }

  #setTick(ms: number): void {
    if (this.#tickTimer) clearInterval(this.#tickTimer);
    this.#tickTimer = undefined;
    if (ms > 0 && this.#options.autoTick) {
      this.#tickTimer = setInterval(() => this.tick(), ms);
      this.#tickTimer.unref();
    }
    this.tickPeriodMs = ms;
  }

  /** The period the plugin asked for with proxy_set_tick_period_milliseconds (0: none). */
  tickPeriodMs = 0;
}

export function logLevelName(level: number): LogLevelName {
  return logLevelNames[level] ?? 'info';
}

export { messageOf };
