/**
 * Test a Proxy-Wasm plugin without Envoy: load the built module, send requests through it, answer its
 * HTTP calls, and assert on what it did.
 *
 * ```ts
 * import { loadPlugin } from 'create-istio-wasm/testing';
 *
 * const plugin = await loadPlugin('build/plugin.wasm', { pluginConfig: { protectedPrefix: '/v2' } });
 * const exchange = await plugin.request({ path: '/v2/x' });
 * expect(exchange.response?.status).toBe(401);
 * ```
 *
 * Everything runs in-process on the same host `istio-wasm serve` uses, with Envoy's call order.
 */
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import {
  Chain,
  ExchangeRecorder,
  driveRequest,
  driveResponse,
  HeaderMap,
  Plugin,
  maskSecrets,
  renderTrace,
  localResponseMessage,
  logLevelName,
  type FailStrategy,
  type HeadersInit,
  type HeaderPairs,
  type GrpcCallRequest,
  type GrpcCallResponse,
  type GrpcStreamConnection,
  type GrpcStreamRequest,
  type GrpcStreamSink,
  type HttpCallDispatcher,
  type HttpCallRequest,
  type HttpCallResponse,
  type HttpStream,
  type LogLevelName,
  type PropertyTree,
  type TraceExchange,
} from '../host/index.js';

export type { HeadersInit, LogLevelName, PropertyTree, FailStrategy, TraceExchange };

/** How a test answers an HTTP call: a response, or undefined / `{ fail: true }` for a failed call. */
export interface CallAnswer {
  status?: number;
  headers?: HeadersInit;
  body?: string | Uint8Array;
  trailers?: HeadersInit;
}
export type HttpCallHandler = (call: TestHttpCall) => CallAnswer | 'fail' | Promise<CallAnswer | 'fail'>;

/** A gRPC call the plugin dispatched with proxy_grpc_call (unary). */
export interface TestGrpcCall {
  cluster: string;
  service: string;
  method: string;
  /** Initial metadata the plugin sent. */
  metadata: Record<string, string>;
  /** The serialized request message. */
  message: Uint8Array;
  timeoutMs: number;
}

/** How a test answers a gRPC call: status (default 0 OK), response messages, metadata. */
export interface GrpcAnswer {
  status?: number;
  statusMessage?: string;
  messages?: Array<string | Uint8Array>;
  initialMetadata?: HeadersInit;
  trailingMetadata?: HeadersInit;
}
export type GrpcCallHandler = (call: TestGrpcCall) => GrpcAnswer | Promise<GrpcAnswer>;

/**
 * Called when the plugin opens a gRPC stream (proxy_grpc_stream). Answer now or later with the stream's
 * methods; set `stream.onMessage` to react to each message the plugin sends.
 */
export type GrpcStreamHandler = (stream: TestGrpcStream) => void | Promise<void>;

export interface LoadPluginOptions {
  /** The WasmPlugin's pluginConfig; handed to the plugin as JSON (strings and bytes pass as they are). */
  pluginConfig?: unknown;
  /** Root id, i.e. the WasmPlugin's pluginName (default ""). */
  rootId?: string;
  vmConfig?: string | Uint8Array;
  /** vmConfig.env the plugin reads through WASI. */
  env?: Record<string, string>;
  failStrategy?: FailStrategy;
  /**
   * Clusters the plugin may call with proxy_http_call. A handler answers each call; `null` leaves
   * calls pending for the test to answer with `call.respond()`. Any other cluster is unknown: the
   * call fails with BAD_ARGUMENT, as in Envoy.
   */
  clusters?: Record<string, HttpCallHandler | null> | string[];
  /** Clusters the plugin may call with proxy_grpc_call, each answered by a handler. */
  grpcClusters?: Record<string, GrpcCallHandler>;
  /**
   * Clusters the plugin may open gRPC streams to. A handler sees each stream as it opens; `null` leaves
   * streams for the test to answer through `plugin.grpcStreams`.
   */
  grpcStreams?: Record<string, GrpcStreamHandler | null>;
  /** Properties merged over the defaults (node metadata Istio sets, plugin_name, ...). */
  properties?: PropertyTree;
  /** Lowest log level recorded (default trace: everything). */
  logLevel?: LogLevelName;
  /** Also print plugin logs to stderr. */
  printLogs?: boolean;
  /** Body bytes a pausing plugin may buffer before 413/500 (default 1 MiB). */
  bufferLimit?: number;
  /**
   * A time limit per plugin callback in ms (default 5000): a callback that loops forever is stopped,
   * and the plugin fails with "plugin trapped in <callback>: it ran longer than … ms".
   */
  callbackTimeoutMs?: number;
  /**
   * Record each exchange's trace (`exchange.trace`, printed by `exchange.assert` when an assertion
   * fails). Default true; false for a plugin measured for speed.
   */
  trace?: boolean;
  /** Keep credential-looking header values in printed traces (default: masked). */
  traceSecrets?: boolean;
}

/** A request sent through the plugin. Pseudo-headers default to GET, /, example.com, http. */
export interface TestRequest {
  method?: string;
  path?: string;
  authority?: string;
  headers?: HeadersInit;
  body?: string | Uint8Array;
  trailers?: HeadersInit;
}

/** An upstream (or local) response. */
export interface TestResponseInit {
  status?: number;
  headers?: HeadersInit;
  body?: string | Uint8Array;
  trailers?: HeadersInit;
}

/** A message as it left the plugin: headers as a plain object (duplicates joined with ", ") and in order. */
export interface TestMessage {
  headers: Record<string, string>;
  headerPairs: HeaderPairs;
  body: string;
  bodyBytes: Uint8Array;
  trailers: Record<string, string>;
}

export interface TestResponse extends TestMessage {
  status: number;
  /** Set when the plugin (or the host, e.g. 413/503) answered locally. */
  local?: { details: string; grpcStatus: number };
}

export interface LogRecord {
  level: LogLevelName;
  message: string;
  contextId: number;
}

/** An HTTP call the plugin dispatched. */
export class TestHttpCall {
  readonly cluster: string;
  /** Headers the plugin sent (`:method`, `:path`, `:authority` included). */
  readonly headers: Record<string, string>;
  readonly headerPairs: HeaderPairs;
  readonly body: string;
  readonly timeoutMs: number;
  answered = false;
  #resolve: (r: HttpCallResponse) => void = () => {};
  #plugin: TestPlugin;
  readonly response: Promise<HttpCallResponse>;

  constructor(request: HttpCallRequest, plugin: TestPlugin) {
    this.cluster = request.cluster;
    this.headers = new HeaderMap(request.headers).toObject();
    this.headerPairs = request.headers;
    this.body = new TextDecoder().decode(request.body);
    this.timeoutMs = request.timeoutMs;
    this.#plugin = plugin;
    this.response = new Promise((resolve) => (this.#resolve = resolve));
  }

  /** Answers the call; resolves once the plugin has handled the answer (and its streams settled). */
  async respond(answer: CallAnswer = {}): Promise<void> {
    this.#answer(toCallResponse(answer));
    await this.#plugin.settled();
  }

  /** Fails the call (reset/timeout): the plugin sees zero headers. */
  async fail(): Promise<void> {
    this.#answer({ headers: [] });
    await this.#plugin.settled();
  }

  #answer(r: HttpCallResponse): void {
    if (this.answered) throw new Error(`the HTTP call to ${this.cluster} was already answered`);
    this.answered = true;
    this.#resolve(r);
  }
}

/**
 * A gRPC stream the plugin opened. What the plugin sent is in `messages` (and `closedByPlugin`,
 * `cancelled`); the test plays the far end: initial metadata, messages, trailing metadata, then close
 * with a grpc-status. Each method resolves once the plugin has handled the event.
 */
export class TestGrpcStream {
  readonly cluster: string;
  readonly service: string;
  readonly method: string;
  /** Initial metadata the plugin sent. */
  readonly metadata: Record<string, string>;
  /** Messages the plugin sent (proxy_grpc_send), in order. */
  readonly messages: Uint8Array[] = [];
  /** The plugin half-closed its side (proxy_grpc_close, or a send with end_of_stream). */
  closedByPlugin = false;
  /** The plugin reset the stream (proxy_grpc_cancel); it hears nothing more. */
  cancelled = false;
  /** The test closed the stream (close() or respond()). */
  closed = false;
  /** Called with each message the plugin sends (and whether it ended its side). */
  onMessage: ((message: Uint8Array, endOfStream: boolean) => void) | undefined;
  readonly #sink: GrpcStreamSink;
  readonly #plugin: TestPlugin;

  /** @internal */
  constructor(request: GrpcStreamRequest, sink: GrpcStreamSink, plugin: TestPlugin) {
    this.cluster = request.cluster;
    this.service = request.service;
    this.method = request.method;
    this.metadata = new HeaderMap(request.initialMetadata).toObject();
    this.#sink = sink;
    this.#plugin = plugin;
  }

  /** Messages the plugin sent, as text. */
  get textMessages(): string[] {
    return this.messages.map((m) => new TextDecoder().decode(m));
  }

  /** @internal the plugin's side of the stream */
  connection(): GrpcStreamConnection {
    return {
      send: (message, endOfStream) => {
        const copy = message.slice();
        this.messages.push(copy);
        if (endOfStream) this.closedByPlugin = true;
        this.onMessage?.(copy, endOfStream);
      },
      close: () => {
        this.closedByPlugin = true;
      },
      cancel: () => {
        this.cancelled = true;
      },
    };
  }

  async sendInitialMetadata(metadata: HeadersInit): Promise<void> {
    this.#open('initial metadata');
    this.#sink.initialMetadata(new HeaderMap(metadata).pairs);
    await this.#plugin.settled();
  }

  async sendMessage(message: string | Uint8Array): Promise<void> {
    this.#open('a message');
    this.#sink.message(bytes(message));
    await this.#plugin.settled();
  }

  async sendTrailingMetadata(metadata: HeadersInit): Promise<void> {
    this.#open('trailing metadata');
    this.#sink.trailingMetadata(new HeaderMap(metadata).pairs);
    await this.#plugin.settled();
  }

  /** Closes the stream with a grpc-status (default 0 OK): the plugin's proxy_on_grpc_close. */
  async close(status = 0, message = ''): Promise<void> {
    this.#open('a close');
    this.closed = true;
    this.#sink.close(status, message);
    await this.#plugin.settled();
  }

  /** Everything at once: initial metadata, messages, trailing metadata (each when given), then close. */
  async respond(answer: GrpcAnswer = {}): Promise<void> {
    if (answer.initialMetadata) await this.sendInitialMetadata(answer.initialMetadata);
    for (const m of answer.messages ?? []) await this.sendMessage(m);
    if (answer.trailingMetadata) await this.sendTrailingMetadata(answer.trailingMetadata);
    await this.close(answer.status ?? 0, answer.statusMessage ?? '');
  }

  #open(what: string): void {
    if (this.closed) throw new Error(`the gRPC stream to ${this.cluster} is closed: cannot send ${what}`);
  }
}

function bytes(body: string | Uint8Array | undefined): Uint8Array {
  if (body === undefined) return new Uint8Array(0);
  return typeof body === 'string' ? new TextEncoder().encode(body) : body;
}

function toCallResponse(answer: CallAnswer | 'fail'): HttpCallResponse {
  if (answer === 'fail') return { headers: [] };
  const headers = new HeaderMap([[':status', String(answer.status ?? 200)]]);
  for (const [k, v] of new HeaderMap(answer.headers).pairs) headers.add(k, v);
  return { headers: headers.pairs, body: bytes(answer.body), trailers: new HeaderMap(answer.trailers).pairs };
}

function message(headers: HeaderMap, body: Uint8Array, trailers: HeaderMap | undefined): TestMessage {
  return {
    headers: headers.toObject(),
    headerPairs: headers.pairs.map(([k, v]) => [k, v]),
    body: new TextDecoder().decode(body),
    bodyBytes: body,
    trailers: trailers?.toObject() ?? {},
  };
}

/**
 * One request/response exchange through the plugin.
 * - `state` 'upstream': the request reached the upstream as `upstream`; call `respond()` next.
 * - 'local': the plugin answered itself; `response` is what the client got.
 * - 'paused': the plugin waits (usually for an HTTP call in `httpCalls`); answer it, then look again.
 * - 'closed': the plugin reset the stream.
 * - 'done': `respond()` ran; `response` is what the client got.
 */
export class TestExchange {
  state: 'paused' | 'upstream' | 'local' | 'closed' | 'done' = 'paused';
  /** The request as the upstream received it. */
  upstream: TestMessage | undefined;
  /** The response as the client received it (after the plugin's response side). */
  response: TestResponse | undefined;
  /** HTTP calls this exchange's plugin dispatched while it ran. */
  readonly httpCalls: TestHttpCall[] = [];
  readonly stream: HttpStream;
  #chain: Chain;
  #running: Promise<void> | undefined;
  readonly #rec: ExchangeRecorder | undefined;
  readonly #secrets: boolean;

  #settle: (e: TestExchange) => Promise<void>;

  /** @internal */
  constructor(stream: HttpStream, settle: (e: TestExchange) => Promise<void>, rec?: ExchangeRecorder, secrets = false) {
    this.stream = stream;
    this.#chain = new Chain([stream]);
    this.#settle = settle;
    this.#rec = rec;
    this.#secrets = secrets;
  }

  /**
   * What the plugin did in this exchange (docs/trace-format.md): every callback with its arguments,
   * action and duration, every host call, callouts, traps with their Wasm stack. Undefined when the
   * plugin was loaded with `trace: false`.
   */
  get trace(): TraceExchange | undefined {
    return this.#rec?.snapshot();
  }

  /** The trace in readable form (credentials masked unless loaded with traceSecrets). */
  traceText(): string {
    const t = this.trace;
    if (!t) return '(no trace: the plugin was loaded with trace: false)';
    return renderTrace(this.#secrets ? t : maskSecrets(t));
  }

  /**
   * Runs assertions about this exchange; when one fails, its error carries the exchange's trace, so
   * the test output shows which callbacks ran, with which headers, and what the plugin did.
   *
   * ```ts
   * await exchange.assert((e) => expect(e.response?.status).toBe(401));
   * ```
   */
  async assert(check: (exchange: this) => void | Promise<void>): Promise<this> {
    try {
      await check(this);
    } catch (error) {
      if (error instanceof Error) {
        error.message = `${error.message}\n\n${this.traceText()}`;
        throw error;
      }
      throw new Error(`${String(error)}\n\n${this.traceText()}`);
    }
    return this;
  }

  /** Waits until the exchange cannot go on without the test (after answering calls by hand). */
  async settled(): Promise<this> {
    await this.#settle(this);
    return this;
  }

  /** Calls not answered yet. */
  get pendingCalls(): TestHttpCall[] {
    return this.httpCalls.filter((c) => !c.answered);
  }

  /** @internal */
  start(request: TestRequest): void {
    this.#running = this.#runRequest(request);
  }

  /** @internal resolves when the request side finished (or throws its error). */
  get running(): Promise<void> | undefined {
    return this.#running;
  }

  async #runRequest(request: TestRequest): Promise<void> {
    const headers = new HeaderMap([
      [':method', request.method ?? 'GET'],
      [':path', request.path ?? '/'],
      [':authority', request.authority ?? 'example.com'],
      [':scheme', 'http'],
    ]);
    for (const [k, v] of new HeaderMap(request.headers).pairs) {
      if (k.startsWith(':')) headers.replace(k, v);
      else headers.add(k, v);
    }
    const body = bytes(request.body);
    const trailers = request.trailers ? new HeaderMap(request.trailers) : undefined;
    const rec = this.#rec;
    if (rec) {
      rec.request(headers);
      rec.requestBody(body);
      if (trailers) rec.requestTrailers(trailers);
    }
    const o = await driveRequest(this.#chain, headers, body, trailers);
    if (o.kind === 'upstream') {
      const forwarded = o.body;
      this.upstream = message(headers, forwarded, this.stream.requestTrailers);
      if (rec) {
        rec.upstreamRequest(headers);
        rec.upstreamRequestBody(forwarded);
        if (this.stream.requestTrailers) rec.upstreamRequestTrailers(this.stream.requestTrailers);
      }
      this.state = 'upstream';
      return;
    }
    if (o.kind === 'closed') {
      this.state = 'closed';
      this.#chain.finish();
      rec?.finish();
      return;
    }
    rec?.local(o.response, o.response.details === 'wasm_fail_stream' || o.response.details.endsWith('payload_too_large') ? 'host' : rec.streams[0]?.name ?? 'plugin');
    const local = localResponseMessage(o.response);
    this.response = await this.#runResponse(local.headers, local.body, undefined, { details: o.response.details, grpcStatus: o.response.grpcStatus });
    this.state = 'local';
  }

  /** Sends the upstream's response back through the plugin; returns what the client receives. */
  async respond(init: TestResponseInit = {}): Promise<TestResponse> {
    if (this.state !== 'upstream') throw new Error(`respond() needs a request that reached the upstream; this exchange is ${this.state}`);
    const headers = new HeaderMap([[':status', String(init.status ?? 200)]]);
    for (const [k, v] of new HeaderMap(init.headers).pairs) headers.add(k, v);
    const rec = this.#rec;
    if (rec) {
      rec.upstreamResponse(init.status ?? 200, headers);
      rec.upstreamResponseBody(bytes(init.body));
      if (init.trailers) rec.upstreamResponseTrailers(new HeaderMap(init.trailers));
    }
    const response = await this.#runResponse(headers, bytes(init.body), init.trailers ? new HeaderMap(init.trailers) : undefined);
    this.response = response;
    this.state = 'done';
    return response;
  }

  async #runResponse(headers: HeaderMap, body: Uint8Array, trailers: HeaderMap | undefined, local?: TestResponse['local']): Promise<TestResponse> {
    let response: TestResponse | undefined;
    try {
      response = await this.#responseSide(headers, body, trailers, local);
      return response;
    } finally {
      this.#chain.finish();
      const rec = this.#rec;
      if (rec && response) {
        if (response.local && !local) rec.local({ status: response.status, details: response.local.details, grpcStatus: response.local.grpcStatus, headers: [], body: new Uint8Array(0) }, rec.streams[0]?.name ?? 'plugin');
        rec.response(response.status, response.headerPairs);
        rec.responseBody(response.bodyBytes);
        if (Object.keys(response.trailers).length > 0) rec.responseTrailers(Object.entries(response.trailers));
      }
      rec?.finish();
    }
  }

  async #responseSide(headers: HeaderMap, body: Uint8Array, trailers: HeaderMap | undefined, local?: TestResponse['local']): Promise<TestResponse> {
    const o = await driveResponse(this.#chain, headers, body, trailers);
    if (o.kind === 'local') {
      return { ...message(o.headers, o.body, undefined), status: o.response.status, local: { details: o.response.details, grpcStatus: o.response.grpcStatus } };
    }
    if (o.kind === 'closed') this.state = 'closed';
    const out = o.kind === 'sent' ? o.body : new Uint8Array(0);
    const status = Number(headers.get(':status') ?? 0);
    return { ...message(headers, out, this.stream.responseTrailers), status, ...(local ? { local } : {}) };
  }


}

/** A plugin loaded for tests. */
export class TestPlugin {
  /** The underlying host plugin (VM, metrics, fail state). */
  readonly host: Plugin;
  /** Every log line, in order. */
  readonly logs: LogRecord[];
  /** Every HTTP call dispatched, in order. */
  readonly httpCalls: TestHttpCall[] = [];
  /** Every gRPC call dispatched, in order. */
  readonly grpcCalls: TestGrpcCall[] = [];
  /** Every gRPC stream opened, in order. */
  readonly grpcStreams: TestGrpcStream[] = [];
  /** Every property path the plugin read, dotted (`request.path`). */
  readonly propertiesRead: string[];
  #current: TestExchange | undefined;
  #autoAnswers = 0;
  #exchanges = 0;
  #trace = true;
  #traceSecrets = false;

  /** @internal use loadPlugin */
  constructor(host: Plugin, logs: LogRecord[] = [], propertiesRead: string[] = []) {
    this.host = host;
    this.logs = logs;
    this.propertiesRead = propertiesRead;
  }

  /** @internal */
  static async create(module: Uint8Array, options: LoadPluginOptions): Promise<TestPlugin> {
    const clusters: Record<string, HttpCallHandler | null> = Array.isArray(options.clusters)
      ? Object.fromEntries(options.clusters.map((c) => [c, null]))
      : (options.clusters ?? {});
    let self: TestPlugin | undefined;
    const logs: LogRecord[] = [];
    const propertiesRead: string[] = [];
    const calls = new Map<number, TestHttpCall>();
    const grpcClusters = options.grpcClusters ?? {};
    const grpcStreams = options.grpcStreams ?? {};
    const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);
    const dispatcher: HttpCallDispatcher = {
      knows: (cluster) => own(clusters, cluster) || own(grpcClusters, cluster) || own(grpcStreams, cluster),
      grpcStream: (request, sink) => {
        if (!self) return { send: () => {}, close: () => {}, cancel: () => {} };
        const plugin = self;
        const stream = new TestGrpcStream(request, sink, plugin);
        plugin.grpcStreams.push(stream);
        const handler = grpcStreams[request.cluster];
        if (handler) {
          plugin.#autoAnswers++;
          void Promise.resolve()
            .then(() => handler(stream))
            .catch(() => {
              if (!stream.closed) void stream.close(14, 'handler failed').catch(() => {});
            })
            .finally(() => queueMicrotask(() => plugin.#autoAnswers--));
        }
        return stream.connection();
      },
      grpc: async (request: GrpcCallRequest): Promise<GrpcCallResponse> => {
        const handler = grpcClusters[request.cluster];
        if (!handler || !self) return { status: 14, statusMessage: 'no handler' };
        const call: TestGrpcCall = {
          cluster: request.cluster,
          service: request.service,
          method: request.method,
          metadata: new HeaderMap(request.initialMetadata).toObject(),
          message: request.message,
          timeoutMs: request.timeoutMs,
        };
        self.grpcCalls.push(call);
        const plugin = self;
        plugin.#autoAnswers++;
        try {
          const a = await handler(call);
          return {
            status: a.status ?? 0,
            ...(a.statusMessage !== undefined ? { statusMessage: a.statusMessage } : {}),
            messages: (a.messages ?? []).map((m) => bytes(m)),
            initialMetadata: new HeaderMap(a.initialMetadata).pairs,
            trailingMetadata: new HeaderMap(a.trailingMetadata).pairs,
          };
        } catch {
          return { status: 14, statusMessage: 'handler failed' };
        } finally {
          queueMicrotask(() => plugin.#autoAnswers--);
        }
      },
      dispatch: (request) => {
        const call = calls.get(request.token);
        calls.delete(request.token);
        if (!call || !self) return Promise.resolve({ headers: [] });
        const handler = clusters[request.cluster];
        if (handler) {
          const plugin = self;
          plugin.#autoAnswers++;
          void Promise.resolve()
            .then(() => handler(call))
            .then(
              (answer) => (answer === 'fail' ? call.fail() : call.respond(answer)).catch(() => {}),
              () => call.fail().catch(() => {}),
            )
            .finally(() => plugin.#autoAnswers--);
        }
        return call.response;
      },
    };
    const host = await Plugin.load({
      module,
      pluginConfig: options.pluginConfig,
      ...(options.rootId !== undefined ? { rootId: options.rootId } : {}),
      ...(options.vmConfig !== undefined ? { vmConfig: options.vmConfig } : {}),
      ...(options.env ? { env: options.env } : {}),
      ...(options.failStrategy ? { failStrategy: options.failStrategy } : {}),
      ...(options.properties ? { properties: options.properties } : {}),
      ...(options.bufferLimit !== undefined ? { bufferLimit: options.bufferLimit } : {}),
      logLevel: options.logLevel ?? 'trace',
      callbackTimeoutMs: options.callbackTimeoutMs ?? 5000,
      trace: options.trace !== false,
      dispatcher,
      onLog: (entry) => {
        const record = { level: logLevelName(entry.level), message: entry.message, contextId: entry.contextId };
        logs.push(record);
        if (options.printLogs) process.stderr.write(`[${record.level}] [ctx ${record.contextId}] ${record.message}\n`);
      },
      onPropertyRead: (path) => propertiesRead.push(path.join('.')),
      onHttpCall: (request) => {
        if (!self) return;
        const call = new TestHttpCall(request, self);
        calls.set(request.token, call);
        self.httpCalls.push(call);
        self.#current?.httpCalls.push(call);
      },
    });
    self = new TestPlugin(host, logs, propertiesRead);
    self.#trace = options.trace !== false;
    self.#traceSecrets = options.traceSecrets === true;
    return self;
  }

  /** True when the plugin failed (configure refused its config, or a trap). */
  get failed(): boolean {
    return this.host.failed;
  }

  get failure(): Error | undefined {
    return this.host.failure;
  }

  /**
   * Sends a request through the plugin. Resolves when it reached the upstream, was answered locally,
   * was closed, or is paused waiting for something only the test can do (answer `exchange.pendingCalls`,
   * then `await exchange.settled()` or use the promise `call.respond()` returns).
   */
  async request(request: TestRequest = {}): Promise<TestExchange> {
    const rec = this.#trace ? new ExchangeRecorder(++this.#exchanges, [{ name: this.host.name, rootId: this.host.rootId, configuration: this.host.traceConfiguration }]) : undefined;
    const stream = this.host.newStream({ sourceAddress: '127.0.0.1', sourcePort: 40000, destinationAddress: '127.0.0.1', destinationPort: 8080 }, rec?.streams[0]);
    const exchange = new TestExchange(stream, (e) => this.#settle(e), rec, this.#traceSecrets);
    this.#current = exchange;
    try {
      exchange.start(request);
      await this.#settle(exchange);
    } finally {
      this.#current = undefined;
    }
    return exchange;
  }

  /** Waits until no exchange can make progress without the test (auto-answered calls done). */
  async settled(): Promise<void> {
    for (let i = 0; i < 3 || this.#autoAnswers > 0; i++) await new Promise((r) => setImmediate(r));
  }

  async #settle(exchange: TestExchange): Promise<void> {
    const running = exchange.running;
    if (!running) return;
    if (exchange.state !== 'paused') return;
    let finished = false;
    const done = running.then(() => {
      finished = true;
    });
    for (;;) {
      await Promise.race([done, this.settled()]);
      if (finished) return;
      // Paused with nothing left for the host to do: the test must act.
      if (this.#autoAnswers === 0) {
        exchange.state = 'paused';
        void done.catch(() => {});
        return;
      }
    }
  }

  /** Log messages at one level (`'info'`, `'warn'`, ...). */
  logsAt(level: LogLevelName): string[] {
    return this.logs.filter((l) => l.level === level).map((l) => l.message);
  }

  /** A metric's value by name (histograms: the sum), or undefined when never defined. */
  metric(name: string): number | undefined {
    const m = this.host.metrics.byName(name);
    return m === undefined ? undefined : Number(m.value);
  }

  /** All metrics by name. */
  metrics(): Record<string, { kind: string; value: number; samples?: number[] }> {
    const out: Record<string, { kind: string; value: number; samples?: number[] }> = {};
    for (const m of this.host.metrics.all()) out[m.name] = { kind: m.kind, value: Number(m.value), ...(m.samples ? { samples: [...m.samples] } : {}) };
    return out;
  }

  /** Calls proxy_on_tick once (the period the plugin asked for is `tickPeriodMs`). */
  async tick(): Promise<void> {
    this.host.tick();
    await this.settled();
  }

  get tickPeriodMs(): number {
    return this.host.tickPeriodMs;
  }

  /** Stops the VM. */
  close(): void {
    this.host.close();
  }
}

/**
 * Loads a built plugin for tests: `module` is a path (relative to the working directory), a file URL,
 * or the module bytes. A module that is not valid Proxy-Wasm throws; a plugin that refuses its
 * configuration loads with `failed` true (and answers 503 under the default FAIL_CLOSE).
 */
export async function loadPlugin(module: string | URL | Uint8Array, options: LoadPluginOptions = {}): Promise<TestPlugin> {
  const data = module instanceof Uint8Array ? module : await readFile(module instanceof URL ? fileURLToPath(module) : module);
  return TestPlugin.create(new Uint8Array(data), options);
}
