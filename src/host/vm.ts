import { Status, LogLevel } from './constants.js';
import { envImports, type AbiHost } from './abi-imports.js';
import { GuestMemory } from './memory.js';
import { wasiImports, wasiModuleNames } from './wasi.js';
import { HeaderMap, type HeaderPairs } from './header-map.js';
import { BodyBuffer } from './buffers.js';
import { lookupProperty, type PropertyTree } from './properties.js';
import type { PluginModule } from './module.js';
import type { MetricStore } from './metrics.js';
import type { SharedData } from './shared-data.js';
import type { SharedQueues } from './queues.js';
import type { CallResponseView, StreamContext } from './contexts.js';
import { grpcServiceCluster, type GrpcCallRequest, type GrpcCallResponse, type GrpcStreamConnection, type GrpcStreamRequest, type HttpCallDispatcher, type HttpCallRequest, type HttpCallResponse } from './http-calls.js';
import { Script, createContext, type Context } from 'node:vm';
import { messageOf } from '../errors.js';
import { traceImports } from './trace/traced-imports.js';
import { traceBody } from './trace/body.js';
import { codeMap, functionNames, type CodeMap } from './trace/wasm-stack.js';
import { EXCHANGE_BODY_LIMIT } from './trace/format.js';
import type { StreamTrace } from './trace/stream-trace.js';

export interface LogEntry {
  level: number;
  message: string;
  contextId: number;
  plugin: string;
}

/** Everything one VM needs; Plugin fills it from PluginOptions. */
export interface VmSettings {
  name: string;
  rootId: string;
  vmId: string;
  vmConfiguration: Uint8Array;
  pluginConfiguration: Uint8Array;
  env: Record<string, string>;
  logLevel: number;
  log: (entry: LogEntry) => void;
  properties: PropertyTree;
  dispatcher: HttpCallDispatcher;
  sharedData: SharedData;
  queues: SharedQueues;
  metrics: MetricStore;
  now: () => bigint;
  onTickPeriod: (ms: number) => void;
  onPropertyRead: ((path: string[]) => void) | undefined;
  onHttpCall: ((request: HttpCallRequest) => void) | undefined;
  onGrpcCall?: ((request: GrpcCallRequest) => void) | undefined;
  onGrpcStream?: ((request: GrpcStreamRequest) => void) | undefined;
  /**
   * A time limit per callback (tests): a callback running longer is stopped and fails the plugin with a
   * clear error instead of hanging. Costs a few microseconds per call, so serve leaves it off.
   */
  callbackTimeoutMs?: number | undefined;
  /**
   * Record what the plugin does into the trace of each stream (StreamContext.trace): callbacks, host
   * calls, callouts, traps. Off, the VM pays nothing for it.
   */
  trace?: boolean | undefined;
  /** Called when the VM traps outside any stream call (tick, http call response, queue). */
  onFailure: (error: PluginTrap) => void;
}

/** A trap or host exception inside a plugin callback. */
export class PluginTrap extends Error {
  readonly callback: string;
  constructor(callback: string, cause: unknown) {
    super(`plugin trapped in ${callback}: ${messageOf(cause)}`, { cause });
    this.name = 'PluginTrap';
    this.callback = callback;
  }
}

type Exported = (...args: number[]) => number | undefined;

/** An open gRPC stream: its connection, who closed which side, and events waiting for the guest. */
interface GrpcStreamState {
  connection: GrpcStreamConnection;
  localClosed: boolean;
  remoteClosed: boolean;
  /** Events that arrived while the guest was running (never re-entered), delivered in order later. */
  queue: Array<() => void>;
}

const encoder = new TextEncoder();

/**
 * One instance of a plugin module and its contexts: the root context (id 1) and one context per HTTP
 * stream. Calls into the guest in Envoy's order; host functions act on the effective context.
 */
export class PluginVm implements AbiHost {
  readonly settings: VmSettings;
  readonly rootContextId = 1;
  readonly vmId: string;
  readonly vmConfiguration: Uint8Array;
  readonly pluginConfiguration: Uint8Array;
  readonly metrics: MetricStore;
  readonly sharedData: SharedData;
  readonly queues: SharedQueues;
  logLevel: number;
  callResponse: CallResponseView | undefined;
  grpcView: { initialMetadata?: HeaderMap; trailingMetadata?: HeaderMap; message?: Uint8Array } | undefined;
  lastStatus = { code: 0, message: '' };
  failure: PluginTrap | undefined;
  mem!: GuestMemory;

  #exports: Record<string, Exported> = {};
  #streams = new Map<number, StreamContext>();
  #effective: number;
  #nextContextId = 2;
  #nextToken = 1;
  #pendingCalls = new Map<number, AbortController>();
  #grpcStreams = new Map<number, GrpcStreamState>();
  /** Guest calls on the stack (host functions run inside them; stream events must wait). */
  #depth = 0;
  #stopped = false;
  #queueListener = (id: number) => this.#onQueueReady(id);

  /** The trace of the callback running now (host calls are recorded into it). */
  traceSink: StreamTrace | undefined;
  readonly #tracing: boolean;
  #module: PluginModule;
  #names: Map<number, string> | undefined;
  #code: CodeMap | undefined;
  /** Traces that made a callout, by token: its answer's callbacks are recorded there. */
  #owners: Map<number, StreamTrace> | undefined;
  /** The trace a root-context callback (callout answer) belongs to while it runs. */
  #rootOwner: StreamTrace | undefined;
  /** The trace of the callback recorded last (see #recorded's `follows`). */
  #lastRecorded: StreamTrace | undefined;

  #limited: { context: Context & { fn?: Exported; args?: number[] }; script: Script } | undefined;

  constructor(plugin: PluginModule, settings: VmSettings) {
    this.settings = settings;
    this.vmId = settings.vmId;
    this.vmConfiguration = settings.vmConfiguration;
    this.pluginConfiguration = settings.pluginConfiguration;
    this.metrics = settings.metrics;
    this.sharedData = settings.sharedData;
    this.queues = settings.queues;
    this.logLevel = settings.logLevel;
    this.#effective = this.rootContextId;
    this.#tracing = settings.trace === true;
    this.#module = plugin;
    const wasi = wasiImports({
      memory: () => this.mem,
      env: settings.env,
      now: settings.now,
      writeLine: (fd, line) => this.log(fd === 1 ? LogLevel.info : LogLevel.error, line),
      error: (message) => this.log(LogLevel.trace, message),
    });
    const env = envImports(this);
    const importObject: WebAssembly.Imports = { env: this.#tracing ? traceImports(env, this) : env };
    for (const name of wasiModuleNames) importObject[name] = wasi;
    let importedMemory: WebAssembly.Memory | undefined;
    for (const extern of plugin.externs ?? []) {
      const value = extern.kind === 'memory'
        ? (importedMemory = new WebAssembly.Memory({ initial: extern.initial, maximum: extern.maximum, shared: extern.shared }))
        : new WebAssembly.Table({ element: extern.element, initial: extern.initial, ...(extern.maximum === undefined ? {} : { maximum: extern.maximum }) });
      importObject[extern.module] = { ...importObject[extern.module], [extern.name]: value };
    }
    const instance = new WebAssembly.Instance(plugin.module, importObject);
    for (const [name, value] of Object.entries(instance.exports)) {
      if (typeof value === 'function') this.#exports[name] = value as Exported;
    }
    // Envoy reads the exported memory, else the one it made for the import.
    const exported = instance.exports.memory;
    const memory = exported instanceof WebAssembly.Memory ? exported : importedMemory;
    if (!memory) throw new PluginTrap('instantiate', new Error('the module exports no memory'));
    const alloc = this.#exports.proxy_on_memory_allocate ?? this.#exports.malloc;
    this.mem = new GuestMemory(memory, alloc ? (size) => alloc(size) ?? 0 : undefined);
  }

  has(name: string): boolean {
    return name in this.#exports;
  }

  /**
   * Envoy's start sequence: _initialize (or _start), root context, vm start, configure.
   * Returns false when the plugin refuses its configuration.
   */
  start(): { ok: true } | { ok: false; reason: string } {
    if (this.has('_initialize')) this.call('_initialize', 0);
    else if (this.has('_start')) this.call('_start', 0);
    this.call('proxy_on_context_create', this.rootContextId, this.rootContextId, 0);
    if (this.has('proxy_on_vm_start') && this.call('proxy_on_vm_start', this.rootContextId, this.rootContextId, this.vmConfiguration.byteLength) === 0) {
      return { ok: false, reason: 'proxy_on_vm_start returned false' };
    }
    if (this.has('proxy_on_configure') && this.call('proxy_on_configure', this.rootContextId, this.rootContextId, this.pluginConfiguration.byteLength) === 0) {
      return { ok: false, reason: 'proxy_on_configure returned false (the plugin rejected its configuration)' };
    }
    return { ok: true };
  }

  /**
   * Calls an export with `contextId` effective; a missing export answers 0 (CONTINUE). A trap marks the
   * VM failed and throws PluginTrap.
   */
  call(name: string, contextId: number, ...args: number[]): number {
    const sink = this.#tracing ? this.#sinkFor(name, contextId) : undefined;
    if (!sink) return this.#call(name, contextId, args);
    return this.#recorded(sink, name, contextId, 0, 0, args, false);
  }

  /**
   * Runs a callback recording it into `sink`: callStream's (a, b), or call()'s `args` when given. No
   * closure or argument array per callback: this runs several times per request. `follows`: the host
   * runs it right after the last callback recorded (proxy_on_done, _log, _delete), which, when that
   * callback was of this trace, lends its end as this one's start instead of another clock read.
   */
  #recorded(sink: StreamTrace, name: string, contextId: number, a: number, b: number, args: number[] | undefined, follows: boolean): number {
    const previous = this.traceSink;
    this.traceSink = sink;
    const cb = args ? sink.enter(name, contextId, 0, 0, contextId === args[0] ? args.slice(1) : args) : sink.enter(name, contextId, a, b, undefined, follows && this.#lastRecorded === sink);
    let result: number | undefined;
    try {
      return (result = args ? this.#call(name, contextId, args) : this.#callStream(name, contextId, a, b));
    } catch (error) {
      sink.trapped(cb, this.#memoryBytes(), error);
      throw error;
    } finally {
      if (result !== undefined) sink.exit(cb, result, this.#memoryBytes());
      this.traceSink = previous;
      this.#lastRecorded = sink;
    }
  }

  /** The trace a callback records into (the stream's, or for a root callback the trace that caused it), if any. */
  #sinkFor(name: string, contextId: number): StreamTrace | undefined {
    const sink = contextId === this.rootContextId ? this.#rootOwner : this.#streams.get(contextId)?.trace;
    if (!sink || this.failure || this.#exports[name] === undefined) return undefined;
    if (!sink.names) {
      sink.names = this.#names ??= functionNames(this.#module.module);
      if (this.#code === undefined && this.#module.bytes) this.#code = codeMap(this.#module.bytes, this.#module.imports.filter((i) => i.kind === 'function').length);
      sink.code = this.#code;
    }
    return sink;
  }

  #memoryBytes(): number {
    try {
      return this.mem.size;
    } catch {
      return 0;
    }
  }

  #call(name: string, contextId: number, args: number[]): number {
    if (this.failure) throw this.failure;
    const fn = this.#exports[name];
    if (!fn) return 0;
    const previous = this.#effective;
    this.#effective = contextId;
    this.#depth++;
    try {
      const limit = this.settings.callbackTimeoutMs;
      if (limit === undefined || limit <= 0) return (fn(...args) ?? 0) | 0;
      this.#limited ??= { context: createContext({}), script: new Script('fn(...args)') };
      const { context, script } = this.#limited;
      context.fn = fn;
      context.args = args;
      try {
        return ((script.runInContext(context, { timeout: limit }) as number | undefined) ?? 0) | 0;
      } catch (error) {
        if ((error as { code?: string }).code === 'ERR_SCRIPT_EXECUTION_TIMEOUT') {
          throw new Error(`it ran longer than ${limit} ms (an endless loop?) and was stopped`);
        }
        throw error;
      }
    } catch (error) {
      this.failure = new PluginTrap(name, error);
      this.stop();
      throw this.failure;
    } finally {
      this.#effective = previous;
      this.#depth--;
    }
  }

  /**
   * call() for the stream callbacks, fn(contextId, a, b), without an argument array per call (extra
   * arguments are ignored by a callback with fewer parameters; missing ones are 0). With a time limit
   * set it takes the general path.
   */
  callStream(name: string, contextId: number, a: number, b: number): number {
    return this.#stream(name, contextId, a, b, false);
  }

  #stream(name: string, contextId: number, a: number, b: number, follows: boolean): number {
    const sink = this.#tracing ? this.#sinkFor(name, contextId) : undefined;
    if (!sink) return this.#callStream(name, contextId, a, b);
    return this.#recorded(sink, name, contextId, a, b, undefined, follows);
  }

  #callStream(name: string, contextId: number, a: number, b: number): number {
    if (this.failure) throw this.failure;
    const fn = this.#exports[name];
    if (!fn) return 0;
    if (this.settings.callbackTimeoutMs !== undefined && this.settings.callbackTimeoutMs > 0) return this.#call(name, contextId, [contextId, a, b]);
    const previous = this.#effective;
    this.#effective = contextId;
    this.#depth++;
    try {
      return (fn(contextId, a, b) ?? 0) | 0;
    } catch (error) {
      this.failure = new PluginTrap(name, error);
      this.stop();
      throw this.failure;
    } finally {
      this.#effective = previous;
      this.#depth--;
    }
  }

  /** Registers a stream context and calls proxy_on_context_create(id, root). */
  createStream(make: (id: number) => StreamContext): StreamContext {
    const id = this.#nextContextId++;
    const stream = make(id);
    this.#streams.set(id, stream);
    this.callStream('proxy_on_context_create', id, this.rootContextId, 0);
    return stream;
  }

  /** proxy_on_done, proxy_on_log, proxy_on_delete; the host then forgets the context. */
  finishStream(id: number): void {
    try {
      if (!this.failure) {
        this.#lastRecorded = undefined;
        this.#stream('proxy_on_done', id, 0, 0, false);
        this.#stream('proxy_on_log', id, 0, 0, true);
        this.#stream('proxy_on_delete', id, 0, 0, true);
      }
    } finally {
      this.#lastRecorded = undefined;
      this.#streams.delete(id);
    }
  }

  liveStreams(): StreamContext[] {
    return [...this.#streams.values()];
  }

  get openStreams(): number {
    return this.#streams.size;
  }

  /** Forgets a stream without calling the plugin (the VM failed). */
  dropStream(id: number): void {
    this.#streams.delete(id);
  }

  tick(): void {
    this.#callAsync('proxy_on_tick', this.rootContextId);
  }

  /** Stops timers and pending calls; the instance is left for the GC. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    for (const c of this.#pendingCalls.values()) c.abort();
    this.#pendingCalls.clear();
    for (const g of this.#grpcStreams.values()) g.connection.cancel();
    this.#grpcStreams.clear();
    this.queues.detach(this.#queueListener);
    this.settings.onTickPeriod(0);
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  get pendingCalls(): number {
    return this.#pendingCalls.size;
  }

  /** gRPC streams the plugin has open (not closed on both sides, not cancelled). */
  get openGrpcStreams(): number {
    return this.#grpcStreams.size;
  }

  // ---- AbiHost -------------------------------------------------------------------------------

  log(level: number, message: string): void {
    this.settings.log({ level, message, contextId: this.#effective, plugin: this.settings.name });
  }

  now(): bigint {
    return this.settings.now();
  }

  effectiveStream(): StreamContext | undefined {
    return this.#streams.get(this.#effective);
  }

  setEffectiveContext(id: number): number {
    if (id !== this.rootContextId && !this.#streams.has(id)) return Status.BAD_ARGUMENT;
    this.#effective = id;
    return Status.OK;
  }

  setTickPeriod(ms: number): void {
    this.settings.onTickPeriod(ms);
  }

  onQueueReady(queueId: number): void {
    this.#onQueueReady(queueId);
  }

  #onQueueReady(queueId: number): void {
    if (this.#stopped) return;
    this.#callAsync('proxy_on_queue_ready', this.rootContextId, queueId);
  }

  #callAsync(name: string, contextId: number, ...args: number[]): void {
    if (this.failure || this.#stopped) return;
    try {
      this.call(name, contextId, contextId, ...args);
    } catch (error) {
      this.settings.onFailure(error instanceof PluginTrap ? error : new PluginTrap(name, error));
    }
  }

  getProperty(path: string[]): Uint8Array | undefined {
    this.settings.onPropertyRead?.(path);
    const stream = this.effectiveStream();
    const fromStream = stream?.property(path);
    if (fromStream !== undefined) return fromStream;
    return lookupProperty(path, [this.settings.properties]);
  }

  setProperty(path: string[], value: Uint8Array): number {
    const stream = this.effectiveStream();
    if (!stream) return Status.NOT_FOUND;
    return stream.setProperty(path, value);
  }

  done(): number {
    return Status.OK;
  }

  httpCall(cluster: string, headers: HeaderPairs, body: Uint8Array, trailers: HeaderPairs, timeoutMs: number): { status: number; token?: number } {
    if (!this.settings.dispatcher.knows(cluster)) return { status: Status.BAD_ARGUMENT };
    const has = (k: string) => headers.some(([hk]) => hk === k);
    // Envoy requires :method, :path and :authority on an HTTP call.
    if (!has(':method') || !has(':path') || !has(':authority')) return { status: Status.BAD_ARGUMENT };
    const token = this.#nextToken++;
    const request: HttpCallRequest = { token, cluster, headers: headers.map(([k, v]) => [k.toLowerCase(), v]), body, trailers, timeoutMs };
    const controller = new AbortController();
    this.#pendingCalls.set(token, controller);
    const sink = this.traceSink;
    if (sink) {
      sink.callout({ kind: 'http', token, cluster, t: sink.now(), request: { headers: request.headers, body: traceBody(body, EXCHANGE_BODY_LIMIT), timeoutMs } });
      (this.#owners ??= new Map()).set(token, sink);
    }
    this.settings.onHttpCall?.(request);
    let answer: Promise<HttpCallResponse>;
    try {
      answer = this.settings.dispatcher.dispatch(request, controller.signal);
    } catch {
      answer = Promise.resolve({ headers: [] });
    }
    const timer = timeoutMs > 0 ? new Promise<HttpCallResponse>((resolve) => setTimeout(() => resolve({ headers: [] }), timeoutMs).unref()) : undefined;
    void (timer ? Promise.race([answer, timer]) : answer)
      .catch((): HttpCallResponse => ({ headers: [] }))
      .then((response) => this.#deliverCallResponse(token, response));
    return { status: Status.OK, token };
  }

  grpcCall(serviceBytes: Uint8Array, service: string, method: string, metadata: HeaderPairs, message: Uint8Array, timeoutMs: number): { status: number; token?: number } {
    const grpc = this.settings.dispatcher.grpc;
    const cluster = grpcServiceCluster(serviceBytes);
    if (!grpc || !this.settings.dispatcher.knows(cluster)) return { status: Status.BAD_ARGUMENT };
    const token = this.#nextToken++;
    const request: GrpcCallRequest = { token, cluster, service, method, initialMetadata: metadata, message, timeoutMs };
    const controller = new AbortController();
    this.#pendingCalls.set(token, controller);
    const sink = this.traceSink;
    if (sink) {
      sink.callout({ kind: 'grpc', token, cluster, t: sink.now(), request: { headers: metadata, body: traceBody(message, EXCHANGE_BODY_LIMIT), timeoutMs, service, method } });
      (this.#owners ??= new Map()).set(token, sink);
    }
    this.settings.onGrpcCall?.(request);
    void grpc
      .call(this.settings.dispatcher, request, controller.signal)
      .catch((): GrpcCallResponse => ({ status: 14, statusMessage: 'call failed' }))
      .then((response) => this.#deliverGrpcResponse(token, response));
    return { status: Status.OK, token };
  }

  grpcCancel(token: number): number {
    const stream = this.#grpcStreams.get(token);
    if (stream) {
      // Envoy resets the stream; the plugin hears nothing more of it.
      this.#grpcStreams.delete(token);
      stream.connection.cancel();
      return Status.OK;
    }
    const c = this.#pendingCalls.get(token);
    if (!c) return Status.NOT_FOUND;
    this.#pendingCalls.delete(token);
    c.abort();
    return Status.OK;
  }

  /** proxy_grpc_close: a stream is half-closed (forgotten once the remote closed too); a call is cancelled. */
  grpcClose(token: number): number {
    const stream = this.#grpcStreams.get(token);
    if (!stream) return this.grpcCancel(token);
    if (!stream.localClosed) {
      stream.localClosed = true;
      stream.connection.close();
    }
    if (stream.remoteClosed) this.#grpcStreams.delete(token);
    return Status.OK;
  }

  grpcStream(serviceBytes: Uint8Array, service: string, method: string, metadata: HeaderPairs): { status: number; token?: number } {
    const open = this.settings.dispatcher.grpcStream;
    const cluster = grpcServiceCluster(serviceBytes);
    if (!open || !this.settings.dispatcher.knows(cluster)) return { status: Status.BAD_ARGUMENT };
    const token = this.#nextToken++;
    const request: GrpcStreamRequest = { token, cluster, service, method, initialMetadata: metadata };
    const root = this.rootContextId;
    let state: GrpcStreamState | undefined;
    const pendingEvents: Array<() => void> = [];
    // The far end may answer at once (a test handler), while the guest is still inside proxy_grpc_stream:
    // events queue and run after the guest returns, in order.
    const deliver = (event: () => void) => {
      const s = state ?? { queue: pendingEvents };
      if (this.#depth > 0 || s.queue.length > 0 || !state) {
        s.queue.push(event);
        if (s.queue.length === 1) queueMicrotask(() => this.#flushGrpc(token, s.queue));
        return;
      }
      event();
    };
    const live = () => this.#grpcStreams.get(token) === state && state !== undefined && !state.remoteClosed && !this.#stopped && !this.failure;
    const sink = this.traceSink;
    if (sink) {
      sink.callout({ kind: 'grpc-stream', token, cluster, t: sink.now(), request: { headers: metadata, body: traceBody(new Uint8Array(0), 0), service, method } });
      (this.#owners ??= new Map()).set(token, sink);
    }
    this.settings.onGrpcStream?.(request);
    const connection = open.call(this.settings.dispatcher, request, {
      initialMetadata: (md) => deliver(() => {
        if (!live()) return;
        this.#owners?.get(token)?.calloutEvent(token, { initialMetadata: md });
        this.#grpcCallback({ initialMetadata: new HeaderMap(md) }, 'proxy_on_grpc_receive_initial_metadata', token, md.length);
      }),
      message: (message) => deliver(() => {
        if (!live()) return;
        this.#owners?.get(token)?.calloutEvent(token, { message: traceBody(message, EXCHANGE_BODY_LIMIT) });
        this.#grpcCallback({ message }, 'proxy_on_grpc_receive', token, message.byteLength);
      }),
      trailingMetadata: (md) => deliver(() => {
        if (!live()) return;
        this.#owners?.get(token)?.calloutEvent(token, { trailingMetadata: md });
        this.#grpcCallback({ trailingMetadata: new HeaderMap(md) }, 'proxy_on_grpc_receive_trailing_metadata', token, md.length);
      }),
      close: (status, message) => deliver(() => {
        if (!live() || !state) return;
        state.remoteClosed = true;
        if (state.localClosed) this.#grpcStreams.delete(token);
        this.lastStatus = { code: status, message: message ?? '' };
        const owner = this.#owners?.get(token);
        this.#owners?.delete(token);
        owner?.calloutResponse(token, { headers: [], body: { size: 0 }, status, ...(message ? { statusMessage: message } : {}) });
        this.#asOwner(owner, () => this.#callAsync('proxy_on_grpc_close', root, token, status));
      }),
    });
    state = { connection, localClosed: false, remoteClosed: false, queue: pendingEvents };
    this.#grpcStreams.set(token, state);
    return { status: Status.OK, token };
  }

  /** proxy_grpc_send: BAD_ARGUMENT for a token that is not a stream's, NOT_FOUND for a closed one. */
  grpcSend(token: number, message: Uint8Array, endOfStream: boolean): number {
    const stream = this.#grpcStreams.get(token);
    if (!stream) return this.#pendingCalls.has(token) ? Status.BAD_ARGUMENT : Status.NOT_FOUND;
    if (stream.localClosed) return Status.BAD_ARGUMENT;
    this.#owners?.get(token)?.calloutSent(token);
    stream.connection.send(message, endOfStream);
    if (endOfStream) {
      stream.localClosed = true;
      if (stream.remoteClosed) this.#grpcStreams.delete(token);
    }
    return Status.OK;
  }

  #flushGrpc(token: number, queue: Array<() => void>): void {
    if (this.#depth > 0) {
      queueMicrotask(() => this.#flushGrpc(token, queue));
      return;
    }
    while (queue.length > 0) {
      const event = queue[0] as () => void;
      event();
      queue.shift();
    }
  }

  #grpcCallback(view: NonNullable<PluginVm['grpcView']>, name: string, token: number, size: number): void {
    this.grpcView = view;
    try {
      this.#asOwner(this.#owners?.get(token), () => this.#callAsync(name, this.rootContextId, token, size));
    } finally {
      this.grpcView = undefined;
    }
  }

  /** Runs a root-context callback recorded into the trace of the stream that caused it. */
  #asOwner(owner: StreamTrace | undefined, run: () => void): void {
    if (!owner) return run();
    const previous = this.#rootOwner;
    this.#rootOwner = owner;
    try {
      run();
    } finally {
      this.#rootOwner = previous;
    }
  }

  #deliverGrpcResponse(token: number, response: GrpcCallResponse): void {
    const owner = this.#owners?.get(token);
    this.#owners?.delete(token);
    if (!this.#pendingCalls.delete(token) || this.#stopped || this.failure) return;
    if (owner) {
      const messages = response.messages ?? [];
      owner.calloutResponse(token, {
        headers: response.initialMetadata ?? [],
        body: traceBody(messages[0] ?? new Uint8Array(0), EXCHANGE_BODY_LIMIT),
        ...(response.trailingMetadata ? { trailers: response.trailingMetadata } : {}),
        status: response.status,
        ...(response.statusMessage ? { statusMessage: response.statusMessage } : {}),
        ...(messages.length !== 1 ? { messages: messages.map((m) => traceBody(m, EXCHANGE_BODY_LIMIT)) } : {}),
      });
    }
    this.#asOwner(owner, () => this.#grpcResponse(token, response));
  }

  #grpcResponse(token: number, response: GrpcCallResponse): void {
    const root = this.rootContextId;
    try {
      if (response.initialMetadata && response.initialMetadata.length > 0) {
        this.grpcView = { initialMetadata: new HeaderMap(response.initialMetadata) };
        this.#callAsync('proxy_on_grpc_receive_initial_metadata', root, token, response.initialMetadata.length);
      }
      for (const message of response.messages ?? []) {
        this.grpcView = { message };
        this.#callAsync('proxy_on_grpc_receive', root, token, message.byteLength);
      }
      if (response.trailingMetadata && response.trailingMetadata.length > 0) {
        this.grpcView = { trailingMetadata: new HeaderMap(response.trailingMetadata) };
        this.#callAsync('proxy_on_grpc_receive_trailing_metadata', root, token, response.trailingMetadata.length);
      }
      this.grpcView = undefined;
      this.lastStatus = { code: response.status, message: response.statusMessage ?? '' };
      this.#callAsync('proxy_on_grpc_close', root, token, response.status);
    } finally {
      this.grpcView = undefined;
    }
  }

  #deliverCallResponse(token: number, response: HttpCallResponse): void {
    const owner = this.#owners?.get(token);
    this.#owners?.delete(token);
    if (!this.#pendingCalls.delete(token) || this.#stopped || this.failure) return;
    owner?.calloutResponse(token, {
      headers: response.headers,
      body: traceBody(response.body ?? new Uint8Array(0), EXCHANGE_BODY_LIMIT),
      ...(response.trailers && response.trailers.length > 0 ? { trailers: response.trailers } : {}),
      ...(response.headers.length === 0 ? { failed: true } : {}),
    });
    if (owner) return this.#asOwner(owner, () => this.#callResponse(token, response));
    this.#callResponse(token, response);
  }

  #callResponse(token: number, response: HttpCallResponse): void {
    const view: CallResponseView = {
      headers: new HeaderMap(response.headers),
      body: new BodyBuffer(),
      trailers: new HeaderMap(response.trailers ?? []),
    };
    if (response.body) view.body.append(response.body);
    this.callResponse = view;
    this.lastStatus = response.headers.length === 0 ? { code: 14, message: 'call failed' } : { code: 0, message: '' };
    try {
      this.#callAsync('proxy_on_http_call_response', this.rootContextId, token, view.headers.size, view.body.size, view.trailers.size);
    } finally {
      this.callResponse = undefined;
    }
  }
}

export { encoder as utf8Encoder };
