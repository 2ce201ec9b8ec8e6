import type http from 'node:http';
import { summarize, type TraceStore } from '../../host/index.js';
import { appScript } from './app-script.js';
import { pageCss, pageHtml } from './page.js';

const json = (res: http.ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(body));
};

/**
 * The timeline page on the admin listener: /ui/ (page, script, styles), /ui/api/exchanges (summaries,
 * oldest first), /ui/api/exchanges/<id> (one exchange, masked unless --trace-secrets) and /ui/events
 * (server-sent events, one `exchange` event per finished exchange). Answers false for other paths.
 */
export function uiRoutes(store: TraceStore): (req: http.IncomingMessage, res: http.ServerResponse) => boolean {
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://admin');
    const p = url.pathname;
    if (!p.startsWith('/ui')) return false;
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET' });
      res.end();
      return true;
    }
    if (p === '/ui') {
      res.writeHead(301, { location: '/ui/' });
      res.end();
      return true;
    }
    const asset = p === '/ui/' || p === '/ui/index.html' ? ['text/html', pageHtml] : p === '/ui/app.js' ? ['text/javascript', appScript] : p === '/ui/app.css' ? ['text/css', pageCss] : undefined;
    if (asset) {
      res.writeHead(200, { 'content-type': `${asset[0]}; charset=utf-8`, 'cache-control': 'no-cache' });
      res.end(asset[1]);
      return true;
    }
    if (p === '/ui/api/exchanges') {
      json(res, 200, store.list().map(summarize));
      return true;
    }
    const one = /^\/ui\/api\/exchanges\/(\d+)$/.exec(p);
    if (one) {
      const trace = store.get(Number(one[1]));
      if (trace) json(res, 200, store.output(trace));
      else json(res, 404, { error: `exchange ${one[1]} is not kept (serve keeps the last ${store.capacity})` });
      return true;
    }
    if (p === '/ui/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
      res.write('retry: 1000\n\n');
      const unsubscribe = store.subscribe((s) => res.write(`event: exchange\ndata: ${JSON.stringify(s)}\n\n`));
      // A comment now and then keeps idle connections (and proxies between) from timing out.
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      ping.unref();
      req.on('close', () => {
        clearInterval(ping);
        unsubscribe();
      });
      return true;
    }
    json(res, 404, { error: `no ${p}; the page is at /ui/` });
    return true;
  };
}
