import { performance } from 'node:perf_hooks';
import type { HeaderMap } from '../header-map.js';
import type { LocalResponse } from '../contexts.js';
import { BodyCapture } from './body.js';
import { EXCHANGE_BODY_LIMIT, TRACE_FORMAT, TRACE_VERSION, type TraceConfiguration, type TraceExchange, type TracePairs } from './format.js';
import { StreamTrace } from './stream-trace.js';

/** A snapshot of headers: a shallow copy (HeaderMap never changes a pair array in place). */
const copy = (map: HeaderMap | TracePairs): TracePairs => (Array.isArray(map) ? map : map.pairs).slice();

interface Side {
  headers: TracePairs;
  body: BodyCapture;
  trailers?: TracePairs;
  status?: number;
}

/**
 * Records one exchange as a driver (serve's proxy, the test API, replay) sees it from outside the
 * plugins — the request as sent, what went upstream, what came back, what the client got — and holds
 * one StreamTrace per plugin for what happened inside. finish() hands the TraceExchange to `onDone`.
 */
export class ExchangeRecorder {
  readonly id: number;
  readonly streams: StreamTrace[];
  readonly #origin = performance.now();
  readonly #startedAt = Date.now();
  readonly #limit: number;
  readonly #onDone: ((trace: TraceExchange) => void) | undefined;
  #request: Side | undefined;
  #upstreamRequest: Side | undefined;
  #upstreamResponse: Side | undefined;
  #response: Side | undefined;
  #local: TraceExchange['local'];
  #result: TraceExchange | undefined;

  /** `configuration`: what each plugin was configured with (Plugin.traceConfiguration), recorded per plugin. */
  constructor(id: number, plugins: ReadonlyArray<{ name: string; rootId: string; configuration?: TraceConfiguration }>, options: { bodyLimit?: number; onDone?: (trace: TraceExchange) => void } = {}) {
    this.id = id;
    this.#limit = options.bodyLimit ?? EXCHANGE_BODY_LIMIT;
    this.#onDone = options.onDone;
    this.streams = plugins.map((p) => new StreamTrace(p.name, p.rootId, this.#origin, p.configuration));
  }

  #side(headers: HeaderMap | TracePairs, status?: number): Side {
    const side: Side = { headers: copy(headers), body: new BodyCapture(this.#limit) };
    if (status !== undefined) side.status = status;
    return side;
  }

  /** The request as the client sent it (call before the plugins see it: they change the map in place). */
  request(headers: HeaderMap | TracePairs): void {
    this.#request = this.#side(headers);
  }

  requestBody(chunk: Uint8Array): void {
    this.#request?.body.add(chunk);
  }

  requestTrailers(trailers: HeaderMap | TracePairs): void {
    if (this.#request) this.#request.trailers = copy(trailers);
  }

  /** The request as it leaves for the upstream, after every plugin's request side. */
  upstreamRequest(headers: HeaderMap | TracePairs): void {
    this.#upstreamRequest = this.#side(headers);
  }

  upstreamRequestBody(chunk: Uint8Array): void {
    this.#upstreamRequest?.body.add(chunk);
  }

  upstreamRequestTrailers(trailers: HeaderMap | TracePairs): void {
    if (this.#upstreamRequest) this.#upstreamRequest.trailers = copy(trailers);
  }

  /** The upstream's answer, before the plugins' response side. */
  upstreamResponse(status: number, headers: HeaderMap | TracePairs): void {
    this.#upstreamResponse = this.#side(headers, status);
  }

  upstreamResponseBody(chunk: Uint8Array): void {
    this.#upstreamResponse?.body.add(chunk);
  }

  upstreamResponseTrailers(trailers: HeaderMap | TracePairs): void {
    if (this.#upstreamResponse) this.#upstreamResponse.trailers = copy(trailers);
  }

  /** What the client receives. */
  response(status: number, headers: HeaderMap | TracePairs): void {
    this.#response = this.#side(headers, status);
  }

  responseBody(chunk: Uint8Array): void {
    this.#response?.body.add(chunk);
  }

  responseTrailers(trailers: HeaderMap | TracePairs): void {
    if (this.#response) this.#response.trailers = copy(trailers);
  }

  /** A local reply: by a plugin (its name) or by the host ('host'). The first one counts. */
  local(response: LocalResponse, by: string): void {
    this.#local ??= { status: response.status, details: response.details, grpcStatus: response.grpcStatus, by };
  }

  get finished(): boolean {
    return this.#result !== undefined;
  }

  /** Ends the record (idempotent) and hands it over. */
  finish(): TraceExchange {
    if (this.#result) return this.#result;
    for (const s of this.streams) s.detach();
    const trace = this.#build();
    this.#result = trace;
    this.#onDone?.(trace);
    return trace;
  }

  /** The record so far, without ending it (an exchange still under way). */
  snapshot(): TraceExchange {
    return this.#result ?? this.#build();
  }

  #build(): TraceExchange {
    const message = (side: Side) => ({ headers: side.headers, body: side.body.body(), ...(side.trailers ? { trailers: side.trailers } : {}) });
    const request = this.#request ?? this.#side([]);
    const header = (name: string) => request.headers.find(([k]) => k === name)?.[1];
    const trace: TraceExchange = {
      format: TRACE_FORMAT,
      version: TRACE_VERSION,
      id: this.id,
      startedAt: new Date(this.#startedAt).toISOString(),
      durationMs: Math.round((performance.now() - this.#origin) * 1000) / 1000,
      method: header(':method') ?? 'GET',
      path: header(':path') ?? '/',
      request: message(request),
      answeredBy: this.#local ? this.#local.by : this.#response ? 'upstream' : 'reset',
      plugins: this.streams.map((s) => s.plugin),
    };
    if (this.#upstreamRequest) trace.upstreamRequest = message(this.#upstreamRequest);
    if (this.#upstreamResponse) trace.upstreamResponse = { status: this.#upstreamResponse.status ?? 0, ...message(this.#upstreamResponse) };
    if (this.#response) trace.response = { status: this.#response.status ?? 0, ...message(this.#response) };
    if (this.#local) trace.local = this.#local;
    return trace;
  }
}
