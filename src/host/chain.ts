import { HeaderMap } from './header-map.js';
import type { LocalResponse } from './contexts.js';
import type { HttpStream, StepOutcome } from './stream.js';

/**
 * One HTTP exchange through a chain of plugin streams, as Envoy's filter manager runs it: the request
 * through the streams in order, the response back in reverse; headers are one map every plugin
 * changes in place; a paused stream holds everything behind it; a local reply from any plugin goes
 * back through every plugin's response side.
 */
export type ChainOutcome =
  | { kind: 'continue' }
  | { kind: 'local'; response: LocalResponse; by: number }
  | { kind: 'closed'; by: number };

export type DataOutcome = { kind: 'continue'; data: Uint8Array } | Exclude<ChainOutcome, { kind: 'continue' }>;

const empty = new Uint8Array(0);
const CONTINUE: ChainOutcome = Object.freeze({ kind: 'continue' });

/** A step's outcome: synchronous when no plugin paused (the common case), a promise otherwise. */
export type MaybePromise<T> = T | Promise<T>;

/**
 * Every method answers synchronously when no plugin pauses, and with a promise when one does, so a
 * driver pays for promises and microtask hops only when a plugin actually waits (`await` works on both).
 */
export class Chain {
  readonly streams: HttpStream[];

  constructor(streams: HttpStream[]) {
    this.streams = streams;
  }

  requestHeaders(headers: HeaderMap, endOfStream: boolean): MaybePromise<ChainOutcome> {
    return this.#requestHeaders(0, headers, endOfStream);
  }

  #requestHeaders(from: number, headers: HeaderMap, endOfStream: boolean): MaybePromise<ChainOutcome> {
    for (let i = from; i < this.streams.length; i++) {
      const s = this.streams[i] as HttpStream;
      const o = s.onRequestHeaders(headers, endOfStream);
      if (o.kind === 'continue' || o.kind === 'buffer') continue;
      if (o.kind === 'pause') return s.resumed().then((r) => (r.kind === 'continue' ? this.#requestHeaders(i + 1, headers, endOfStream) : stop(r, i)));
      return stop(o, i);
    }
    return CONTINUE;
  }

  /** A request body chunk; `data` is what to forward now (empty while some plugin buffers). */
  requestData(chunk: Uint8Array, endOfStream: boolean): MaybePromise<DataOutcome> {
    return this.#requestData(0, chunk, endOfStream);
  }

  #requestData(from: number, chunk: Uint8Array, endOfStream: boolean): MaybePromise<DataOutcome> {
    let data = chunk;
    for (let i = from; i < this.streams.length; i++) {
      const s = this.streams[i] as HttpStream;
      const first = s.onRequestBody(data, endOfStream);
      if (first.kind === 'buffer') return { kind: 'continue', data: empty };
      if (first.kind === 'pause') return s.resumed().then((r) => (r.kind === 'continue' ? this.#requestData(i + 1, s.requestBody.drain(), endOfStream) : stop(r, i)));
      if (first.kind !== 'continue') return stop(first, i);
      data = s.requestBody.drain();
    }
    return { kind: 'continue', data };
  }

  requestTrailers(trailers: HeaderMap): MaybePromise<ChainOutcome> {
    return this.#requestTrailers(0, trailers);
  }

  #requestTrailers(from: number, trailers: HeaderMap): MaybePromise<ChainOutcome> {
    for (let i = from; i < this.streams.length; i++) {
      const s = this.streams[i] as HttpStream;
      // A plugin that buffered body gets it released before the trailers, as Envoy does.
      const o = s.onRequestTrailers(trailers);
      if (o.kind === 'continue' || o.kind === 'buffer') continue;
      if (o.kind === 'pause') return s.resumed().then((r) => (r.kind === 'continue' ? this.#requestTrailers(i + 1, trailers) : stop(r, i)));
      return stop(o, i);
    }
    return CONTINUE;
  }

  /** Buffered request body still held by plugins (after trailers), in chain order. */
  drainRequestBody(): Uint8Array {
    const parts = this.streams.map((s) => s.requestBody.drain()).filter((p) => p.byteLength > 0);
    return concat(parts);
  }

  responseHeaders(headers: HeaderMap, endOfStream: boolean): MaybePromise<ChainOutcome> {
    return this.#responseHeaders(this.streams.length - 1, headers, endOfStream);
  }

  #responseHeaders(from: number, headers: HeaderMap, endOfStream: boolean): MaybePromise<ChainOutcome> {
    for (let i = from; i >= 0; i--) {
      const s = this.streams[i] as HttpStream;
      const o = s.onResponseHeaders(headers, endOfStream);
      if (o.kind === 'continue' || o.kind === 'buffer') continue;
      if (o.kind === 'pause') return s.resumed().then((r) => (r.kind === 'continue' ? this.#responseHeaders(i - 1, headers, endOfStream) : stop(r, i)));
      return stop(o, i);
    }
    return CONTINUE;
  }

  responseData(chunk: Uint8Array, endOfStream: boolean): MaybePromise<DataOutcome> {
    return this.#responseData(this.streams.length - 1, chunk, endOfStream);
  }

  #responseData(from: number, chunk: Uint8Array, endOfStream: boolean): MaybePromise<DataOutcome> {
    let data = chunk;
    for (let i = from; i >= 0; i--) {
      const s = this.streams[i] as HttpStream;
      const first = s.onResponseBody(data, endOfStream);
      if (first.kind === 'buffer') return { kind: 'continue', data: empty };
      if (first.kind === 'pause') return s.resumed().then((r) => (r.kind === 'continue' ? this.#responseData(i - 1, s.responseBody.drain(), endOfStream) : stop(r, i)));
      if (first.kind !== 'continue') return stop(first, i);
      data = s.responseBody.drain();
    }
    return { kind: 'continue', data };
  }

  responseTrailers(trailers: HeaderMap): MaybePromise<ChainOutcome> {
    return this.#responseTrailers(this.streams.length - 1, trailers);
  }

  #responseTrailers(from: number, trailers: HeaderMap): MaybePromise<ChainOutcome> {
    for (let i = from; i >= 0; i--) {
      const s = this.streams[i] as HttpStream;
      const o = s.onResponseTrailers(trailers);
      if (o.kind === 'continue' || o.kind === 'buffer') continue;
      if (o.kind === 'pause') return s.resumed().then((r) => (r.kind === 'continue' ? this.#responseTrailers(i - 1, trailers) : stop(r, i)));
      return stop(o, i);
    }
    return CONTINUE;
  }

  drainResponseBody(): Uint8Array {
    const parts = [...this.streams].reverse().map((s) => s.responseBody.drain()).filter((p) => p.byteLength > 0);
    return concat(parts);
  }

  /** done, log, delete on every stream. */
  finish(): void {
    for (const s of this.streams) s.finish();
  }
}

function stop(o: StepOutcome, by: number): Exclude<ChainOutcome, { kind: 'continue' }> {
  if (o.kind === 'local') return { kind: 'local', response: o.response, by };
  return { kind: 'closed', by };
}

function concat(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 0) return empty;
  if (parts.length === 1) return parts[0] as Uint8Array;
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.byteLength;
  }
  return out;
}

/** The response headers and body of a local reply, as Envoy writes it (content-type/length added). */
export function localResponseMessage(local: LocalResponse): { headers: HeaderMap; body: Uint8Array } {
  const headers = new HeaderMap([[':status', String(local.status)]]);
  for (const [k, v] of local.headers) headers.add(k, v);
  if (local.body.byteLength > 0 && !headers.has('content-type')) headers.add('content-type', 'text/plain');
  headers.replace('content-length', String(local.body.byteLength));
  return { headers, body: local.body };
}
