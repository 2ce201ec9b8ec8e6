import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { TraceStore, type Plugin, type TraceExchange } from '../host/index.js';
import { proxyHandler } from '../serve/proxy.js';
import type { HarRequest } from './read.js';

export interface HarOutcome {
  request: HarRequest;
  /** The status the client got this time (undefined: the stream was reset or timed out). */
  status: number | undefined;
  trace: TraceExchange | undefined;
  error?: string;
}

function send(port: number, authority: string, r: HarRequest, timeoutMs: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const headers: Array<[string, string]> = [...r.headers, ['host', authority]];
    if (r.body.byteLength > 0) headers.push(['content-length', String(r.body.byteLength)]);
    const req = http.request({ host: '127.0.0.1', port, method: r.method, path: r.path, headers: headers.flat(), agent: false, timeout: timeoutMs }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs / 1000} s`)));
    req.on('error', reject);
    req.end(r.body.byteLength > 0 ? r.body : undefined);
  });
}

/**
 * Sends each HAR request, in order, through serve's proxy (in this process, on 127.0.0.1) with the
 * plugins, to the live upstream; returns what the client got and each exchange's trace.
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
        const status = await send(port, upstream.host, request, timeoutMs);
        // The trace lands when the proxy finished the exchange (just after the response ended).
        for (let i = 0; i < 50 && store.total === before; i++) await new Promise((r) => setTimeout(r, 10));
        out.push({ request, status, trace: store.total > before ? store.list().at(-1) : undefined });
      } catch (error) {
        out.push({ request, status: undefined, trace: undefined, error: error instanceof Error ? error.message : String(error) });
      }
    }
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
  return out;
}
