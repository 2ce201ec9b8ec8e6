import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TraceStore, type Plugin, type TraceExchange } from '../host/index.js';
import { proxyHandler } from '../serve/proxy.js';
import type { HarRequest } from './read.js';

/** Bytes of a response body kept for the comparison (a larger one is compared on its size and first bytes). */
export const HAR_BODY_LIMIT = 8 * 1024 * 1024;

/** What the client got this time: status, headers as sent on the wire, the body as received (still content-encoded). */
export interface HarAnswer {
  status: number;
  headers: Array<[string, string]>;
  body: Uint8Array;
  /** The full size when more than HAR_BODY_LIMIT bytes came. */
  size: number;
}

export interface HarOutcome {
  request: HarRequest;
  /** What the client got (undefined: the stream was reset or timed out). */
  answer: HarAnswer | undefined;
  trace: TraceExchange | undefined;
  error?: string;
}

function send(port: number, authority: string, r: HarRequest, timeoutMs: number): Promise<HarAnswer> {
  return new Promise((resolve, reject) => {
    const headers: Array<[string, string]> = [...r.headers, ['host', authority]];
    if (r.body.byteLength > 0) headers.push(['content-length', String(r.body.byteLength)]);
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers: headers.flat(), agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      let kept = 0;
      res.on('data', (c: Buffer) => {
        size += c.byteLength;
        if (kept >= HAR_BODY_LIMIT) return;
        const part = c.subarray(0, HAR_BODY_LIMIT - kept);
        chunks.push(part);
        kept += part.byteLength;
      });
      res.on('end', () => {
        const pairs: Array<[string, string]> = [];
        for (let i = 0; i + 1 < res.rawHeaders.length; i += 2) pairs.push([String(res.rawHeaders[i]).toLowerCase(), String(res.rawHeaders[i + 1])]);
        resolve({ status: res.statusCode ?? 0, headers: pairs, body: Buffer.concat(chunks), size });
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(r.body.byteLength > 0 ? r.body : undefined);
  });
}

/**
 * Sends each HAR request, in order, through serve's proxy (in this process, on 127.0.0.1) with the
 * plugins, to the live upstream; returns what the client got (status, headers, body) and each exchange's trace.
 */
export async function replayHar(requests: HarRequest[], plugins: Plugin[], upstream: URL, timeoutMs = 30_000): Promise<HarOutcome[]> {
  const store = new TraceStore({ capacity: Math.max(1, requests.length), secrets: true });
  const server = http.createServer(proxyHandler({ upstream, plugins: () => plugins, traces: store }));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const out: HarOutcome[] = [];
  try {
    for (const request of requests) {
      const before = store.total;
      try {
        const answer = await send(port, upstream.host, request, timeoutMs);
        // The trace lands when the proxy finished the exchange (just after the response ended).
        for (let i = 0; i < 50 && store.total === before; i++) await new Promise((r) => setTimeout(r, 10));
        out.push({ request, answer, trace: store.total > before ? store.list().at(-1) : undefined });
      } catch (error) {
        out.push({ request, answer: undefined, trace: undefined, error: error instanceof Error ? error.message : String(error) });
      }
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return out;
}
