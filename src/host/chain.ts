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

export class Chain {
  readonly streams: HttpStream[];

  constructor(streams: HttpStream[]) {
    this.streams = streams;
  }

  async requestHeaders(headers: HeaderMap, endOfStream: boolean): Promise<ChainOutcome> {
    for (let i = 0; i < this.streams.length; i++) {
      const s = this.streams[i] as HttpStream;
      const o = await settle(s, s.onRequestHeaders(headers, endOfStream));
      if (o.kind !== 'continue') return stop(o, i);
    }
    return { kind: 'continue' };
  }

  /** A request body chunk; `data` is what to forward now (empty while some plugin buffers). */
  async requestData(chunk: Uint8Array, endOfStream: boolean): Promise<DataOutcome> {
    let data = chunk;
    for (let i = 0; i < this.streams.length; i++) {
      const s = this.streams[i] as HttpStream;
      const first = s.onRequestBody(data, endOfStream);
      if (first.kind === 'buffer') return { kind: 'continue', data: empty };
      const o = await settle(s, first);
      if (o.kind !== 'continue') return stop(o, i);
      data = s.requestBody.drain();
    }
    return { kind: 'continue', data };
  }

  async requestTrailers(trailers: HeaderMap): Promise<ChainOutcome> {
    for (let i = 0; i < this.streams.length; i++) {
      const s = this.streams[i] as HttpStream;
      // A plugin that buffered body gets it released before the trailers, as Envoy does.
      const o = await settle(s, s.onRequestTrailers(trailers));
      if (o.kind !== 'continue') return stop(o, i);
    }
    return { kind: 'continue' };
  }

  /** Buffered request body still held by plugins (after trailers), in chain order. */
  drainRequestBody(): Uint8Array {
    const parts = this.streams.map((s) => s.requestBody.drain()).filter((p) => p.byteLength > 0);
    return concat(parts);
  }

  async responseHeaders(headers: HeaderMap, endOfStream: boolean): Promise<ChainOutcome> {
    for (let i = this.streams.length - 1; i >= 0; i--) {
      const s = this.streams[i] as HttpStream;
      const o = await settle(s, s.onResponseHeaders(headers, endOfStream));
      if (o.kind !== 'continue') return stop(o, i);
    }
    return { kind: 'continue' };
  }

  async responseData(chunk: Uint8Array, endOfStream: boolean): Promise<DataOutcome> {
    let data = chunk;
    for (let i = this.streams.length - 1; i >= 0; i--) {
      const s = this.streams[i] as HttpStream;
      const first = s.onResponseBody(data, endOfStream);
      if (first.kind === 'buffer') return { kind: 'continue', data: empty };
      const o = await settle(s, first);
      if (o.kind !== 'continue') return stop(o, i);
      data = s.responseBody.drain();
    }
    return { kind: 'continue', data };
  }

  async responseTrailers(trailers: HeaderMap): Promise<ChainOutcome> {
    for (let i = this.streams.length - 1; i >= 0; i--) {
      const s = this.streams[i] as HttpStream;
      const o = await settle(s, s.onResponseTrailers(trailers));
      if (o.kind !== 'continue') return stop(o, i);
    }
    return { kind: 'continue' };
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

async function settle(stream: HttpStream, outcome: StepOutcome): Promise<StepOutcome> {
  if (outcome.kind === 'pause') return stream.resumed();
  if (outcome.kind === 'buffer') return { kind: 'continue' };
  return outcome;
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
