import { performance } from 'node:perf_hooks';
import type { HeaderMap } from '../header-map.js';
import type { LocalResponse } from '../contexts.js';
import { BodyCapture } from './body.js';
import { HeaderSnapshots, noHeaders, pairsOf, type HeaderSnapshot } from './header-snapshot.js';
import { EXCHANGE_BODY_LIMIT, TRACE_FORMAT, TRACE_VERSION, type TraceConfiguration, type TraceExchange, type TraceMessage, type TracePairs } from './format.js';
import { StreamTrace } from './stream-trace.js';
import { wallClock } from './wall-clock.js';

/**
 * One message of the exchange as recorded: raw, turned into the trace format only when the trace is
 * read. `headers` is a flat snapshot; for serve's response it is the list serve wrote, and
 * `statusHeader` the `:status` it stands for. It is its own body capture (one object per message).
 */
class Side extends BodyCapture {
  readonly headers: HeaderSnapshot;
  readonly status: number | undefined;
  readonly statusHeader: boolean;
  trailers: HeaderSnapshot | undefined = undefined;

  constructor(headers: HeaderSnapshot, status: number | undefined, statusHeader: boolean, bodyLimit: number) {
    super(bodyLimit);
    this.headers = headers;
    this.status = status;
    this.statusHeader = statusHeader;
  }

  message(): TraceMessage {
    const m: TraceMessage = { headers: pairsOf(this.headers, this.statusHeader ? [':status', String(this.status)] : undefined), body: this.body() };
    if (this.trailers) m.trailers = pairsOf(this.trailers);
    return m;
  }
}

/** The four messages of an exchange, as the recorder's methods name them. */
export type ExchangeSide = 'request' | 'upstreamRequest' | 'upstreamResponse' | 'response';

/**
 * Records one exchange as a driver (serve's proxy, the test API, replay) sees it from outside the
 * plugins — the request as sent, what went upstream, what came back, what the client got — and holds
 * one StreamTrace per plugin for what happened inside. end() hands the recorder to `onDone`; the
 * TraceExchange is built when first read (`trace`), so an exchange nobody looks at costs no more than
 * its raw record.
 */
export class ExchangeRecorder {
  readonly id: number;
  readonly streams: StreamTrace[];
  readonly #origin = performance.now();
  readonly #startedAt = wallClock.at(this.#origin);
  readonly #limit: number;
  readonly #onDone: ((rec: ExchangeRecorder) => void) | undefined;
  // The four messages as plain fields (no object holding them, one less per exchange to keep).
  #request: Side | undefined;
  #upstreamRequest: Side | undefined;
  #upstreamResponse: Side | undefined;
  #response: Side | undefined;
  #local: TraceExchange['local'];
  readonly #snapshots = new HeaderSnapshots();
  /** Whole microseconds once ended, -1 before. */
  #durationUs = -1;

  /** `configuration`: what each plugin was configured with (Plugin.traceConfiguration), recorded per plugin. */
  constructor(id: number, plugins: ReadonlyArray<{ name: string; rootId: string; configuration?: TraceConfiguration | undefined }>, options: { bodyLimit?: number; onDone?: (rec: ExchangeRecorder) => void } = {}) {
    this.id = id;
    this.#limit = options.bodyLimit ?? EXCHANGE_BODY_LIMIT;
    this.#onDone = options.onDone;
    this.streams = plugins.map((p) => new StreamTrace(p.name, p.rootId, this.#origin, p.configuration, this.#snapshots));
  }

  /** Starts a message: its headers (a snapshot) and, for responses, the status. */
  #start(name: ExchangeSide, headers: HeaderMap | TracePairs, status?: number): void {
    this.#set(name, new Side(this.#snapshots.take(headers), status, false, this.#limit));
  }

  #side(name: ExchangeSide): Side | undefined {
    return name === 'request' ? this.#request : name === 'upstreamRequest' ? this.#upstreamRequest : name === 'upstreamResponse' ? this.#upstreamResponse : this.#response;
  }

  #set(name: ExchangeSide, side: Side): void {
    if (name === 'request') this.#request = side;
    else if (name === 'upstreamRequest') this.#upstreamRequest = side;
    else if (name === 'upstreamResponse') this.#upstreamResponse = side;
    else this.#response = side;
  }

  /** A body chunk of a message already started (bounded: the first 64 KiB are kept, the size counted). */
  body(name: ExchangeSide, chunk: Uint8Array): void {
    this.#side(name)?.add(chunk);
  }

  /** The trailers of a message already started. */
  trailers(name: ExchangeSide, trailers: HeaderMap | TracePairs): void {
    const side = this.#side(name);
    if (side) side.trailers = this.#snapshots.take(trailers);
  }

  /** The request as the client sent it (call before the plugins see it: they change the map in place). */
  request(headers: HeaderMap | TracePairs): void {
    this.#start('request', headers);
  }

  requestBody(chunk: Uint8Array): void {
    this.body('request', chunk);
  }

  requestTrailers(trailers: HeaderMap | TracePairs): void {
    this.trailers('request', trailers);
  }

  /** The request as it leaves for the upstream, after every plugin's request side. */
  upstreamRequest(headers: HeaderMap | TracePairs): void {
    this.#start('upstreamRequest', headers);
  }

  upstreamRequestBody(chunk: Uint8Array): void {
    this.body('upstreamRequest', chunk);
  }

  upstreamRequestTrailers(trailers: HeaderMap | TracePairs): void {
    this.trailers('upstreamRequest', trailers);
  }

  /** The upstream's answer, before the plugins' response side. */
  upstreamResponse(status: number, headers: HeaderMap | TracePairs): void {
    this.#start('upstreamResponse', headers, status);
  }

  upstreamResponseBody(chunk: Uint8Array): void {
    this.body('upstreamResponse', chunk);
  }

  upstreamResponseTrailers(trailers: HeaderMap | TracePairs): void {
    this.trailers('upstreamResponse', trailers);
  }

  /** What the client receives. */
  response(status: number, headers: HeaderMap | TracePairs): void {
    this.#start('response', headers, status);
  }

  /**
   * What the client receives, as written to node:http: the status and the flat [name, value, …] list
   * (kept as it is, not copied: the caller must not change it afterwards).
   */
  responseHead(status: number, flat: readonly string[]): void {
    this.#response = new Side(flat, status, true, this.#limit);
  }

  responseBody(chunk: Uint8Array): void {
    this.body('response', chunk);
  }

  responseTrailers(trailers: HeaderMap | TracePairs): void {
    this.trailers('response', trailers);
  }

  /** A local reply: by a plugin (its name) or by the host ('host'). The first one counts. */
  local(response: LocalResponse, by: string): void {
    this.#local ??= { status: response.status, details: response.details, grpcStatus: response.grpcStatus, by };
  }

  get finished(): boolean {
    return this.#durationUs >= 0;
  }

  /** Ends the record (idempotent) and hands it over, without building the trace. */
  end(): void {
    if (this.#durationUs >= 0) return;
    this.#durationUs = Math.round((performance.now() - this.#origin) * 1000);
    for (const s of this.streams) s.detach();
    this.#snapshots.forget();
    this.#onDone?.(this);
  }

  /** Ends the record (idempotent) and returns it. */
  finish(): TraceExchange {
    this.end();
    return this.trace;
  }

  /**
   * The record, built when read (each plugin's part is kept once built, until it changes: a callout's
   * answer can come after the exchange ended); the exchange so far while it runs.
   */
  get trace(): TraceExchange {
    return this.#build();
  }

  /** The record so far, without ending it (an exchange still under way). */
  snapshot(): TraceExchange {
    return this.trace;
  }

  #build(): TraceExchange {
    const request = this.#request ?? new Side(noHeaders, undefined, false, 0);
    const header = (name: string) => {
      for (let i = 0; i + 1 < request.headers.length; i += 2) if (request.headers[i] === name) return request.headers[i + 1];
      return undefined;
    };
    const response = this.#response;
    const trace: TraceExchange = {
      format: TRACE_FORMAT,
      version: TRACE_VERSION,
      id: this.id,
      startedAt: new Date(this.#startedAt).toISOString(),
      durationMs: (this.#durationUs >= 0 ? this.#durationUs : Math.round((performance.now() - this.#origin) * 1000)) / 1000,
      method: header(':method') ?? 'GET',
      path: header(':path') ?? '/',
      request: request.message(),
      answeredBy: this.#local ? this.#local.by : response ? 'upstream' : 'reset',
      plugins: this.streams.map((s) => s.plugin),
    };
    if (this.#upstreamRequest) trace.upstreamRequest = this.#upstreamRequest.message();
    if (this.#upstreamResponse) trace.upstreamResponse = { status: this.#upstreamResponse.status ?? 0, ...this.#upstreamResponse.message() };
    if (response) trace.response = { status: response.status ?? 0, ...response.message() };
    if (this.#local) trace.local = this.#local;
    return trace;
  }
}
