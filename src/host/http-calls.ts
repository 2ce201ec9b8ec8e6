import http from 'node:http';
import https from 'node:https';
import type { HeaderPairs } from './header-map.js';

/** An outbound call a plugin dispatched with proxy_http_call. */
export interface HttpCallRequest {
  token: number;
  cluster: string;
  headers: HeaderPairs;
  body: Uint8Array;
  trailers: HeaderPairs;
  timeoutMs: number;
}

/** The answer handed to proxy_on_http_call_response; no headers at all means the call failed. */
export interface HttpCallResponse {
  headers: HeaderPairs;
  body?: Uint8Array;
  trailers?: HeaderPairs;
}

/**
 * Where calls go. `knows(cluster)` false answers the plugin as Envoy does for an unknown cluster:
 * proxy_http_call returns BAD_ARGUMENT and nothing is dispatched.
 */
export interface HttpCallDispatcher {
  knows(cluster: string): boolean;
  dispatch(request: HttpCallRequest, signal: AbortSignal): Promise<HttpCallResponse>;
}

export const failedCall: HttpCallResponse = { headers: [] };

/** A dispatcher that maps cluster names to real base URLs and sends the call with node:http. */
export function urlClusters(clusters: Record<string, string>): HttpCallDispatcher {
  return {
    knows: (cluster) => Object.prototype.hasOwnProperty.call(clusters, cluster),
    dispatch: (request, signal) => {
      const base = clusters[request.cluster];
      if (!base) return Promise.resolve(failedCall);
      return sendHttp(base, request, signal);
    },
  };
}

function sendHttp(base: string, request: HttpCallRequest, signal: AbortSignal): Promise<HttpCallResponse> {
  const pseudo = new Map(request.headers.filter(([k]) => k.startsWith(':')));
  const target = new URL(pseudo.get(':path') ?? '/', base);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of request.headers) {
    if (k.startsWith(':')) continue;
    const prev = headers[k];
    headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const authority = pseudo.get(':authority');
  if (authority) headers.host = authority;
  if (request.body.byteLength > 0) headers['content-length'] = String(request.body.byteLength);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: HttpCallResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = client.request(target, { method: pseudo.get(':method') ?? 'GET', headers, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => done(failedCall));
      res.on('end', () => {
        const out: HeaderPairs = [[':status', String(res.statusCode ?? 0)]];
        for (let i = 0; i < res.rawHeaders.length; i += 2) out.push([String(res.rawHeaders[i]).toLowerCase(), String(res.rawHeaders[i + 1])]);
        const trailers: HeaderPairs = [];
        for (let i = 0; i < res.rawTrailers.length; i += 2) trailers.push([String(res.rawTrailers[i]).toLowerCase(), String(res.rawTrailers[i + 1])]);
        done({ headers: out, body: Buffer.concat(chunks), trailers });
      });
    });
    const timer = request.timeoutMs > 0 ? setTimeout(() => {
      req.destroy();
      done(failedCall);
    }, request.timeoutMs) : undefined;
    req.on('error', () => done(failedCall));
    req.end(request.body.byteLength > 0 ? request.body : undefined);
  });
}
