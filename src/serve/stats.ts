import http from 'node:http';
import { toPrometheus, type Plugin } from '../host/index.js';

/** The plugins' metrics in Prometheus text, with a `plugin` label, plus serve's own counters. */
export function prometheusText(plugins: Plugin[], served: { requests: number }): string {
  const metrics = plugins.flatMap((p) => p.metrics.all().map((m) => ({ ...m, plugin: p.name })));
  const own = [
    '# TYPE istio_wasm_serve_requests_total counter',
    `istio_wasm_serve_requests_total ${served.requests}`,
    '# TYPE istio_wasm_serve_plugin_failed gauge',
    ...plugins.map((p) => `istio_wasm_serve_plugin_failed{plugin="${p.name}"} ${p.failed ? 1 : 0}`),
    // HTTP contexts a plugin holds now: back to 0 when no request is in flight, or something leaks.
    '# TYPE istio_wasm_serve_open_contexts gauge',
    ...plugins.map((p) => `istio_wasm_serve_open_contexts{plugin="${p.name}"} ${p.vm?.openStreams ?? 0}`),
  ];
  return `${toPrometheus(metrics)}${own.join('\n')}\n`;
}

/** The admin listener: Prometheus stats, and whatever `more` answers (the timeline page under /ui/). */
export function statsServer(text: () => string, more?: (req: http.IncomingMessage, res: http.ServerResponse) => boolean): http.Server {
  return http.createServer((req, res) => {
    if (more?.(req, res)) return;
    if (req.url === '/stats/prometheus' || req.url === '/metrics' || req.url === '/') {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' });
      res.end(text());
      return;
    }
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('try /stats/prometheus (or /ui/ for the timeline page)\n');
  });
}
