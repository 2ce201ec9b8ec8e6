import http from 'node:http';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { Chain, HeaderMap, localResponseMessage, type ChainOutcome, type DataOutcome, type ExchangeRecorder, type HttpStream, type LocalResponse, type MaybePromise, type Plugin } from '../host/index.js';
import { endBody, rawHeaders, writeBody, writeHead, writeRawHead, writeTrailers } from './recorded-writes.js';

/** Hop-by-hop headers a proxy never forwards (RFC 9110 7.6.1), plus host (it travels as :authority). */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

export interface ProxyOptions {
  upstream: URL;
  /** The chain for a new request, in order (read on every request so reloads take effect). */
  plugins: () => Plugin[];
  onError?: (message: string) => void;
  /**
   * The route timeout (a VirtualService's `timeout`; Istio sets none by default): from the end of the
   * request until the response is complete. Before the response headers Envoy answers 504 "upstream
   * request timeout"; after, it resets the stream. 0 or absent: none.
   */
  routeTimeoutMs?: number;
  /** Records each exchange (serve's trace store); unset: nothing is recorded (--no-trace). */
  traces?: { begin(plugins: readonly Plugin[]): ExchangeRecorder };
}

function requestHeaderMap(req: http.IncomingMessage, upstream: URL): HeaderMap {
  const map = new HeaderMap();
  // Pairs built directly (already lower-case): this runs on every request.
  const pairs: Array<[string, string]> = [
    [':method', req.method ?? 'GET'],
    [':path', req.url ?? '/'],
    [':authority', req.headers.host ?? upstream.host],
    [':scheme', 'http'],
  ];
  let forwardedProto = false;
  let requestId = false;
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const k = String(raw[i]).toLowerCase();
    if (hopByHop.has(k)) continue;
    if (k === 'x-forwarded-proto') forwardedProto = true;
    else if (k === 'x-request-id') requestId = true;
    pairs.push([k, String(raw[i + 1])]);
  }
  if (!forwardedProto) pairs.push(['x-forwarded-proto', 'http']);
  if (!requestId) pairs.push(['x-request-id', randomUUID()]);
  map.pairs = pairs;
  return map;
}

function responseHeaderMap(res: http.IncomingMessage): HeaderMap {
  const map = new HeaderMap();
  const pairs: Array<[string, string]> = [[':status', String(res.statusCode ?? 502)]];
  const raw = res.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const k = String(raw[i]).toLowerCase();
    if (!hopByHop.has(k)) pairs.push([k, String(raw[i + 1])]);
  }
  map.pairs = pairs;
  return map;
}

const lengthHeaders = new Set(['content-length', 'transfer-encoding']);

function requestHasBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

function responseHasBody(method: string, res: http.IncomingMessage): boolean {
  const status = res.statusCode ?? 200;
  if (method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) return false;
  return res.headers['content-length'] !== '0';
}

// Connections to the upstream are kept and reused, as Envoy's connection pool does.
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo' });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo' });

// Envoy's router answers 503 when the upstream fails before any response header (connect failure or
// reset): "upstream connect error or disconnect/reset before headers. reset reason: …".
const upstreamFailure = (reason: string): LocalResponse => ({
  status: 503,
  details: `upstream_reset_before_response_started{${reason}}`,
  headers: [['content-type', 'text/plain']],
  body: new TextEncoder().encode(`upstream connect error or disconnect/reset before headers. reset reason: ${reason.replace(/_/g, ' ')}`),
  grpcStatus: -1,
});

/** Upstream target parts that do not change between requests. */
interface Target {
  options: ProxyOptions;
  secure: boolean;
  /** The upstream's own path prefix, if any, goes in front of the request path. */
  prefix: string;
  /** The upstream host for node:http (IPv6 without brackets). */
  host: string;
}

/**
 * A request handler for node:http: runs each exchange through the plugin chain and proxies it to the
 * upstream, streaming bodies when no plugin buffers them.
 */
export function proxyHandler(options: ProxyOptions): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  const target: Target = {
    options,
    secure: options.upstream.protocol === 'https:',
    prefix: options.upstream.pathname === '/' ? '' : options.upstream.pathname.replace(/\/$/, ''),
    host: options.upstream.hostname.replace(/^\[(.*)\]$/, '$1'),
  };
  return (req, res) => new Exchange(req, res, target).start();
}

const internalError = new TextEncoder().encode('internal proxy error\n');

const isPromise = <T>(v: MaybePromise<T>): v is Promise<T> => v instanceof Promise;

/** Header pairs from node:http's flat raw trailer list (lower-cased names). */
function trailerMap(raw: string[]): HeaderMap {
  const map = new HeaderMap();
  for (let i = 0; i < raw.length; i += 2) map.add(String(raw[i]).toLowerCase(), String(raw[i + 1]));
  return map;
}

/** Trailers for addTrailers (pseudo-headers never travel as trailers). */
function trailerPairs(map: HeaderMap): Array<[string, string]> {
  return map.pairs.filter(([k]) => k.charCodeAt(0) !== 58);
}

/**
 * One exchange. Every step runs synchronously while the plugins answer synchronously (the common
 * case), so a request costs no promise or microtask hop unless a plugin pauses; the first step that
 * returns a promise continues the exchange from its callback.
 */
class Exchange {
  readonly #req: http.IncomingMessage;
  readonly #res: http.ServerResponse;
  readonly #target: Target;
  #plugins: Plugin[] = [];
  #streams: HttpStream[] = [];
  #chain!: Chain;
  #rec: ExchangeRecorder | undefined;
  #finished = false;
  #method: string;
  #headers!: HeaderMap;
  #hasBody = false;
  #upstreamReq: http.ClientRequest | undefined;
  #routeTimer: NodeJS.Timeout | undefined;
  #answered = false;
  #answer: http.IncomingMessage | undefined;
  #resHeaders!: HeaderMap;
  #headWritten = false;
  // Response body: chunks queue while a plugin step is pending; the upstream response is paused only
  // when the queue grows (a plugin holding the body).
  #queue: Buffer[] = [];
  #busy = false;
  #paused = false;
  #stopped = false;
  #ended = false;
  #bodyDone = false;
  /** Response body bytes still to come when the upstream sent a content-length (-1: unknown). */
  #remaining = -1;

  constructor(req: http.IncomingMessage, res: http.ServerResponse, target: Target) {
    this.#req = req;
    this.#res = res;
    this.#target = target;
    this.#method = req.method ?? 'GET';
  }

  start(): void {
    try {
      this.#start();
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Runs a continuation of the exchange; an exception answers 500 (or resets) instead of escaping. */
  #guard(fn: () => void): void {
    try {
      fn();
    } catch (error) {
      this.#fail(error);
    }
  }

  /** Continues with `next` now, or when the step's promise settles. */
  #then<T>(value: MaybePromise<T>, next: (v: T) => void): void {
    if (isPromise(value)) value.then((v) => this.#guard(() => next(v)), (error: unknown) => this.#fail(error));
    else next(value);
  }

  // A method, not an arrow-function field: the bundle (esbuild's keepNames) would name a per-exchange
  // closure with Object.defineProperty, ~0.3 µs each. Callbacks are unnamed arrows calling methods.
  #fail(error: unknown): void {
    const res = this.#res;
    this.#target.options.onError?.(`proxy error: ${error instanceof Error ? error.message : String(error)}`);
    if (!res.headersSent) {
      writeRawHead(res, 500, ['content-type', 'text/plain'], this.#rec);
      endBody(res, 'response', internalError, this.#rec);
    } else res.destroy();
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    clearTimeout(this.#routeTimer);
    this.#chain.finish();
    const plugins = this.#plugins;
    this.#streams.forEach((s, i) => plugins[i]?.noteStreamFailure(s));
    this.#rec?.end();
    // The trace store keeps the record; the finished exchange does not (see HttpStream.finish).
    this.#rec = undefined;
  }

  /** Who answered locally: the plugin at `by` in the chain, or the host. */
  #noteLocal(local: LocalResponse, by: number | undefined): void {
    this.#rec?.local(local, by === undefined ? 'host' : (this.#plugins[by]?.name ?? 'host'));
  }

  #start(): void {
    const req = this.#req;
    const socket = req.socket;
    const info = {
      sourceAddress: socket.remoteAddress ?? '127.0.0.1',
      sourcePort: socket.remotePort ?? 0,
      destinationAddress: socket.localAddress ?? '127.0.0.1',
      destinationPort: socket.localPort ?? 0,
      protocol: `HTTP/${req.httpVersion}`,
    };
    const plugins = this.#target.options.plugins();
    this.#plugins = plugins;
    const rec = this.#target.options.traces?.begin(plugins);
    this.#rec = rec;
    const streams: HttpStream[] = [];
    if (rec) plugins.forEach((p, i) => streams.push(p.newStream(info, rec.streams[i])));
    else for (const p of plugins) streams.push(p.newStream(info));
    this.#streams = streams;
    this.#chain = new Chain(streams);
    this.#res.on('close', () => {
      this.#finish();
      if (!this.#res.writableFinished) this.#upstreamReq?.destroy();
    });
    this.#headers = requestHeaderMap(req, this.#target.options.upstream);
    rec?.request(this.#headers);
    this.#hasBody = requestHasBody(req);
    this.#then(this.#chain.requestHeaders(this.#headers, !this.#hasBody), (h) => this.#afterRequestHeaders(h));
  }

  #sendLocal(local: LocalResponse): void {
    const msg = localResponseMessage(local);
    respond(msg.headers, msg.body, this.#chain, this.#res, this.#method, this.#rec).then(() => this.#finish(), (error: unknown) => this.#fail(error));
  }

  #afterRequestHeaders(h: ChainOutcome): void {
    if (h.kind === 'local') {
      this.#noteLocal(h.response, h.by);
      return this.#sendLocal(h.response);
    }
    if (h.kind === 'closed') {
      this.#req.socket.destroy();
      return this.#finish();
    }
    // The upstream request starts with the first bytes the chain lets through (or at end of stream, with
    // an exact content-length when a plugin buffered and maybe rewrote the whole body).
    if (!this.#hasBody) {
      this.#upstreamReq = this.#open(new Uint8Array(0));
      endBody(this.#upstreamReq, 'upstreamRequest', undefined, this.#rec);
      this.#startRouteTimer();
      return;
    }
    this.#streamRequestBody().catch((error: unknown) => {
      if ((error as { code?: string }).code === 'ERR_HTTP_CONTENT_LENGTH_MISMATCH') {
        this.#target.options.onError?.(
          `a plugin changed the request body's length after content-length ${this.#headers.get('content-length') ?? ''} went upstream; the upstream request was reset (remove content-length in proxy_on_request_headers to rewrite bodies)`,
        );
      }
      this.#onAnswer(upstreamFailure('connection_termination'));
    });
  }

  #open(finalBody: Uint8Array | undefined): http.ClientRequest {
    const headers = this.#headers;
    const { options, secure, prefix } = this.#target;
    const upstream = options.upstream;
    const out = rawHeaders(headers, finalBody !== undefined ? lengthHeaders : undefined);
    out.push('host', headers.get(':authority') ?? upstream.host);
    if (finalBody !== undefined && (finalBody.byteLength > 0 || this.#hasBody)) out.push('content-length', String(finalBody.byteLength));
    // A body of unknown length streams chunked (as it came), whatever node:http's default for the method.
    else if (finalBody === undefined && !headers.has('content-length')) out.push('transfer-encoding', 'chunked');
    const requestPath = headers.get(':path') ?? '/';
    const r = (secure ? https : http).request({
      host: this.#target.host,
      port: upstream.port,
      path: prefix + (requestPath.startsWith('/') ? requestPath : `/${requestPath}`),
      method: headers.get(':method') ?? this.#method,
      headers: out,
      agent: secure ? httpsAgent : httpAgent,
    });
    // Never more (or fewer) body bytes than the content-length that went upstream: a longer body would
    // poison the kept-alive connection for the next client's request. node:http throws
    // ERR_HTTP_CONTENT_LENGTH_MISMATCH on the write, and the request is destroyed with its socket.
    (r as http.ClientRequest & { strictContentLength: boolean }).strictContentLength = true; // node >= 18.10; not in @types/node 20
    this.#rec?.upstreamRequest(headers);
    r.on('response', (answer: http.IncomingMessage) => this.#guard(() => this.#onAnswer(answer)));
    r.on('error', (error: NodeJS.ErrnoException) => this.#guard(() => this.#onAnswer(upstreamFailure(error.code === 'ECONNREFUSED' ? 'connection_failure' : 'connection_termination'))));
    return r;
  }

  async #streamRequestBody(): Promise<void> {
    const req = this.#req;
    const chain = this.#chain;
    for await (const chunk of req as AsyncIterable<Buffer>) {
      this.#rec?.requestBody(chunk);
      const d = await chain.requestData(chunk, false);
      if (d.kind === 'local') return this.#onAnswer(d.response, d.by);
      if (d.kind === 'closed') return void req.socket.destroy();
      if (d.data.byteLength > 0) {
        this.#upstreamReq ??= this.#open(undefined);
        writeBody(this.#upstreamReq, 'upstreamRequest', d.data, this.#rec);
      }
    }
    if (req.rawTrailers.length > 0) {
      // Envoy: the body ended without end of stream; the trailers end it (proxy_on_request_trailers).
      const trailers = trailerMap(req.rawTrailers);
      this.#rec?.requestTrailers(trailers);
      const t = await chain.requestTrailers(trailers);
      if (t.kind === 'local') return this.#onAnswer(t.response, t.by);
      if (t.kind === 'closed') return void req.socket.destroy();
      const held = chain.drainRequestBody();
      this.#upstreamReq ??= this.#open(undefined);
      if (held.byteLength > 0) writeBody(this.#upstreamReq, 'upstreamRequest', held, this.#rec);
      const pairs = trailerPairs(trailers);
      if (pairs.length > 0) writeTrailers(this.#upstreamReq, 'upstreamRequest', pairs, this.#rec);
      endBody(this.#upstreamReq, 'upstreamRequest', undefined, this.#rec);
      this.#startRouteTimer();
      return;
    }
    const last = await chain.requestData(new Uint8Array(0), true);
    if (last.kind === 'local') return this.#onAnswer(last.response, last.by);
    if (last.kind === 'closed') return void req.socket.destroy();
    this.#upstreamReq ??= this.#open(last.data);
    endBody(this.#upstreamReq, 'upstreamRequest', last.data.byteLength > 0 ? last.data : undefined, this.#rec);
    this.#startRouteTimer();
  }

  #startRouteTimer(): void {
    const ms = this.#target.options.routeTimeoutMs ?? 0;
    if (ms <= 0 || this.#finished) return;
    this.#routeTimer = setTimeout(() => this.#guard(() => this.#routeTimeout()), ms);
  }

  /** Envoy's route timeout fired: 504 before the response started (the upstream request is reset), else a reset. */
  #routeTimeout(): void {
    if (this.#finished) return;
    this.#target.options.onError?.(`upstream request timeout after ${this.#target.options.routeTimeoutMs} ms: ${this.#method} ${this.#req.url ?? ''}`);
    if (!this.#answered) {
      return this.#onAnswer({
        status: 504,
        details: 'upstream_response_timeout',
        headers: [['content-type', 'text/plain']],
        body: new TextEncoder().encode('upstream request timeout'),
        grpcStatus: -1,
      });
    }
    this.#answer?.destroy();
    this.#stopBody();
    this.#res.destroy();
  }

  /** The upstream's response, or a local reply standing for it (upstream failure, a plugin's answer). */
  #onAnswer(answer: http.IncomingMessage | LocalResponse, by?: number): void {
    if (this.#answered) return;
    this.#answered = true;
    if (!(answer instanceof http.IncomingMessage)) {
      this.#upstreamReq?.destroy();
      this.#noteLocal(answer, by);
      return this.#sendLocal(answer);
    }
    this.#answer = answer;
    this.#resHeaders = responseHeaderMap(answer);
    this.#rec?.upstreamResponse(answer.statusCode ?? 502, this.#resHeaders);
    const hasResBody = responseHasBody(this.#method, answer);
    this.#then(this.#chain.responseHeaders(this.#resHeaders, !hasResBody), (rh) => this.#afterResponseHeaders(rh, hasResBody));
  }

  #afterResponseHeaders(rh: ChainOutcome, hasResBody: boolean): void {
    const answer = this.#answer as http.IncomingMessage;
    const res = this.#res;
    if (rh.kind === 'local') {
      answer.destroy();
      this.#noteLocal(rh.response, rh.by);
      this.#localReply(rh.response);
      return this.#finish();
    }
    if (rh.kind === 'closed') {
      answer.destroy();
      res.destroy();
      return this.#finish();
    }
    if (!hasResBody) {
      writeHead(res, this.#resHeaders, this.#rec);
      endBody(res, 'response', undefined, this.#rec);
      return this.#finish();
    }
    // Headers go downstream once the plugins continued them, as Envoy does; a plugin that rewrites the
    // body removes content-length itself.
    // With a content-length, the chunk that completes the body carries end of stream, as Envoy's HTTP/1
    // codec dispatches it (one body callback, not a chunk and then an empty one).
    const length = answer.headers['content-length'];
    if (length !== undefined && /^\d+$/.test(length)) this.#remaining = Number(length);
    answer.on('data', (chunk: Buffer) => this.#onData(chunk));
    answer.once('end', () => {
      this.#ended = true;
      this.#maybeEndBody();
    });
    // The upstream reset mid-body: Envoy resets the downstream stream (upstream_reset_after_response_started)
    // instead of ending a truncated body as if it were complete.
    answer.once('error', () => this.#guard(() => this.#upstreamReset()));
    answer.once('close', () => {
      if (!this.#ended) setImmediate(() => this.#guard(() => this.#upstreamReset()));
    });
  }

  #upstreamReset(): void {
    const answer = this.#answer as http.IncomingMessage;
    if (this.#ended || this.#bodyDone) return;
    if (answer.complete) {
      this.#ended = true;
      return this.#maybeEndBody();
    }
    this.#target.options.onError?.('upstream reset after the response started: downstream reset');
    this.#stopBody();
    this.#res.destroy();
  }

  #localReply(local: LocalResponse): void {
    const msg = localResponseMessage(local);
    writeHead(this.#res, msg.headers, this.#rec);
    endBody(this.#res, 'response', msg.body, this.#rec);
  }

  #onData(chunk: Buffer): void {
    this.#rec?.upstreamResponseBody(chunk);
    if (this.#stopped) return;
    if (this.#busy || this.#queue.length > 0) {
      this.#queue.push(chunk);
      if (this.#queue.length > 8 && !this.#paused) {
        this.#paused = true;
        this.#answer?.pause();
      }
      return;
    }
    this.#guard(() => this.#chunk(chunk));
  }

  /** One response chunk through the chain; false from a step stops the body. */
  #chunk(chunk: Buffer): void {
    let end = false;
    if (this.#remaining > 0) {
      this.#remaining -= chunk.byteLength;
      end = this.#remaining <= 0;
    }
    let d: MaybePromise<DataOutcome>;
    try {
      d = this.#chain.responseData(chunk, end);
    } catch (error) {
      this.#stopBody();
      return this.#fail(error);
    }
    if (!isPromise(d)) return end ? this.#endWith(d) : this.#afterChunk(d);
    this.#busy = true;
    d.then(
      (r) => this.#guard(() => {
        this.#busy = false;
        if (this.#stopped) return;
        if (end) this.#endWith(r);
        else this.#afterChunk(r);
        this.#drain();
      }),
      (error: unknown) => {
        this.#busy = false;
        this.#stopBody();
        this.#fail(error);
      },
    );
  }

  #drain(): void {
    while (!this.#busy && !this.#stopped && this.#queue.length > 0) this.#chunk(this.#queue.shift() as Buffer);
    if (this.#busy || this.#stopped) return;
    if (this.#paused) {
      this.#paused = false;
      this.#answer?.resume();
    }
    this.#maybeEndBody();
  }

  #afterChunk(d: DataOutcome): void {
    const res = this.#res;
    if (d.kind !== 'continue') {
      this.#answer?.destroy();
      if (d.kind === 'local' && !this.#headWritten) {
        this.#noteLocal(d.response, d.by);
        this.#localReply(d.response);
      }
      else res.destroy();
      return this.#stopBody();
    }
    if (d.data.byteLength > 0) {
      if (!this.#headWritten) {
        writeHead(res, this.#resHeaders, this.#rec);
        this.#headWritten = true;
      }
      writeBody(res, 'response', d.data, this.#rec);
    }
  }

  #stopBody(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#queue.length = 0;
    this.#bodyDone = true;
    this.#finish();
  }

  /** After the upstream's last chunk went through: end of stream (or trailers) through the chain. */
  #maybeEndBody(): void {
    if (!this.#ended || this.#busy || this.#queue.length > 0 || this.#bodyDone) return;
    this.#bodyDone = true;
    const answer = this.#answer as http.IncomingMessage;
    if (answer.complete && answer.rawTrailers.length > 0) {
      // Envoy: the body ended without end of stream; the trailers end it (proxy_on_response_trailers).
      const trailers = trailerMap(answer.rawTrailers);
      this.#rec?.upstreamResponseTrailers(trailers);
      this.#then(this.#chain.responseTrailers(trailers), (o) => this.#afterResponseTrailers(o, trailers));
      return;
    }
    this.#then(this.#chain.responseData(new Uint8Array(0), true), (last) => this.#afterLastChunk(last));
  }

  /** The chunk that completed a content-length body went through with end of stream. */
  #endWith(last: DataOutcome): void {
    this.#bodyDone = true;
    this.#queue.length = 0;
    this.#afterLastChunk(last);
  }

  #afterLastChunk(last: DataOutcome): void {
    const res = this.#res;
    if (last.kind === 'local' && !this.#headWritten) {
      this.#noteLocal(last.response, last.by);
      this.#localReply(last.response);
      return this.#finish();
    }
    if (last.kind !== 'continue') {
      res.destroy();
      return this.#finish();
    }
    if (!this.#headWritten) {
      // Everything was buffered: the length is known exactly.
      this.#resHeaders.replace('content-length', String(last.data.byteLength));
      writeHead(res, this.#resHeaders, this.#rec);
    }
    endBody(res, 'response', last.data.byteLength > 0 ? last.data : undefined, this.#rec);
    this.#finish();
  }

  #afterResponseTrailers(o: ChainOutcome, trailers: HeaderMap): void {
    const res = this.#res;
    if (o.kind === 'local' && !this.#headWritten) {
      this.#noteLocal(o.response, o.by);
      this.#localReply(o.response);
      return this.#finish();
    }
    if (o.kind !== 'continue') {
      res.destroy();
      return this.#finish();
    }
    const held = this.#chain.drainResponseBody();
    const pairs = trailerPairs(trailers);
    if (!this.#headWritten) {
      // Trailers need chunked framing: no content-length, even when everything was buffered.
      if (pairs.length > 0) this.#resHeaders.remove('content-length');
      else this.#resHeaders.replace('content-length', String(held.byteLength));
      writeHead(res, this.#resHeaders, this.#rec);
    }
    if (held.byteLength > 0) writeBody(res, 'response', held, this.#rec);
    if (pairs.length > 0) writeTrailers(res, 'response', pairs, this.#rec);
    endBody(res, 'response', undefined, this.#rec);
    this.#finish();
  }
}

/** A local reply goes back through every plugin's response side, as Envoy's does. */
async function respond(headers: HeaderMap, body: Uint8Array, chain: Chain, res: http.ServerResponse, method: string, rec: ExchangeRecorder | undefined): Promise<void> {
  const hasBody = body.byteLength > 0 && method !== 'HEAD';
  const o = await chain.responseHeaders(headers, !hasBody);
  if (o.kind === 'local') {
    const msg = localResponseMessage(o.response);
    writeHead(res, msg.headers, rec);
    endBody(res, 'response', msg.body, rec);
    return;
  }
  if (o.kind === 'closed') {
    res.destroy();
    return;
  }
  if (hasBody) {
    const d = await chain.responseData(body, true);
    if (d.kind === 'continue') {
      headers.replace('content-length', String(d.data.byteLength));
      writeHead(res, headers, rec);
      endBody(res, 'response', d.data, rec);
      return;
    }
    res.destroy();
    return;
  }
  writeHead(res, headers, rec);
  endBody(res, 'response', method === 'HEAD' ? undefined : body, rec);
}
