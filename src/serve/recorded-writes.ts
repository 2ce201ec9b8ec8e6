import type http from 'node:http';
import type { ExchangeRecorder, HeaderMap } from '../host/index.js';

/**
 * Everything the proxy writes to the client or to the upstream goes through these, which record it
 * into the exchange's trace when there is one. Recording at the proxy's own call sites, instead of
 * replacing node:http's writeHead/write/end/addTrailers on each message with per-request closures,
 * costs nothing when serve runs with --no-trace and leaves node's objects in the shapes its inline
 * caches expect.
 */

/** Headers as node:http's flat raw list [name, value, name, value, ...] (no per-name objects to build). */
export function rawHeaders(map: HeaderMap, skip?: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const [k, v] of map.pairs) {
    if (k.charCodeAt(0) === 58 /* ':' */ || skip?.has(k)) continue;
    out.push(k, v);
  }
  return out;
}

/** The response head to the client: `:status` (502 when a plugin set one node:http cannot send) and the other headers. */
export function writeHead(res: http.ServerResponse, headers: HeaderMap, rec: ExchangeRecorder | undefined): void {
  const status = Number(headers.get(':status') ?? 200);
  writeRawHead(res, Number.isInteger(status) && status >= 100 && status <= 999 ? status : 502, rawHeaders(headers), rec);
}

/** A response head given as node:http's flat list (the list is kept by the trace: do not change it afterwards). */
export function writeRawHead(res: http.ServerResponse, status: number, raw: string[], rec: ExchangeRecorder | undefined): void {
  rec?.responseHead(status, raw);
  res.writeHead(status, raw);
}

/** What serve writes: the response to the client, or the request to the upstream. */
type Outgoing = 'response' | 'upstreamRequest';

/** A body chunk to the client or the upstream. */
export function writeBody(to: http.OutgoingMessage, side: Outgoing, chunk: Uint8Array, rec: ExchangeRecorder | undefined): void {
  rec?.body(side, chunk);
  to.write(chunk);
}

/** Ends the response to the client or the request to the upstream, with its last chunk when there is one. */
export function endBody(to: http.OutgoingMessage, side: Outgoing, chunk: Uint8Array | undefined, rec: ExchangeRecorder | undefined): void {
  if (chunk !== undefined) rec?.body(side, chunk);
  to.end(chunk);
}

/** Trailers to the client or the upstream (before endBody). */
export function writeTrailers(to: http.OutgoingMessage, side: Outgoing, pairs: Array<[string, string]>, rec: ExchangeRecorder | undefined): void {
  rec?.trailers(side, pairs);
  to.addTrailers(pairs);
}
