import { localResponseMessage, type Chain, type ChainOutcome } from './chain.js';
import type { HeaderMap } from './header-map.js';
import type { LocalResponse } from './contexts.js';

/** How the request side of an in-memory exchange ended. */
export type RequestSide =
  | { kind: 'upstream'; body: Uint8Array }
  | { kind: 'local'; response: LocalResponse; by: number }
  | { kind: 'closed'; by: number };

/** How the response side ended: what the client gets, or a reset. */
export type ResponseSide =
  | { kind: 'sent'; headers: HeaderMap; body: Uint8Array }
  | { kind: 'local'; response: LocalResponse; headers: HeaderMap; body: Uint8Array; by: number }
  | { kind: 'closed'; by: number };

const empty = new Uint8Array(0);

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (b.byteLength === 0) return a;
  if (a.byteLength === 0) return b;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

function stopped(o: Exclude<ChainOutcome, { kind: 'continue' }>): Exclude<RequestSide, { kind: 'upstream' }> {
  return o.kind === 'local' ? { kind: 'local', response: o.response, by: o.by } : { kind: 'closed', by: o.by };
}

/**
 * Runs a whole request (headers, body in one chunk, trailers) through a chain, as the test API and
 * replay do without sockets: `headers` is changed in place into what the upstream receives.
 */
export async function driveRequest(chain: Chain, headers: HeaderMap, body: Uint8Array, trailers: HeaderMap | undefined): Promise<RequestSide> {
  const hasBody = body.byteLength > 0;
  const h = await chain.requestHeaders(headers, !hasBody && !trailers);
  if (h.kind !== 'continue') return stopped(h);
  let forwarded: Uint8Array = empty;
  if (hasBody) {
    const d = await chain.requestData(body, !trailers);
    if (d.kind !== 'continue') return stopped(d);
    forwarded = d.data;
  }
  if (trailers) {
    const t = await chain.requestTrailers(trailers);
    if (t.kind !== 'continue') return stopped(t);
    forwarded = concat(forwarded, chain.drainRequestBody());
  }
  return { kind: 'upstream', body: forwarded };
}

/** Runs a whole response (the upstream's, or a local reply) back through the chain. */
export async function driveResponse(chain: Chain, headers: HeaderMap, body: Uint8Array, trailers: HeaderMap | undefined): Promise<ResponseSide> {
  const hasBody = body.byteLength > 0;
  let o: ChainOutcome = await chain.responseHeaders(headers, !hasBody && !trailers);
  let out: Uint8Array = empty;
  if (o.kind === 'continue' && hasBody) {
    const d = await chain.responseData(body, !trailers);
    if (d.kind === 'continue') out = d.data;
    else o = d;
  }
  if (o.kind === 'continue' && trailers) {
    o = await chain.responseTrailers(trailers);
    if (o.kind === 'continue') out = concat(out, chain.drainResponseBody());
  }
  if (o.kind === 'local') {
    const replaced = localResponseMessage(o.response);
    return { kind: 'local', response: o.response, headers: replaced.headers, body: replaced.body, by: o.by };
  }
  if (o.kind === 'closed') return { kind: 'closed', by: o.by };
  return { kind: 'sent', headers, body: out };
}
