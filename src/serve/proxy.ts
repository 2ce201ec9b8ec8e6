import http from 'node:http';
import https from 'node:https';
import { randomUUID } from 'node:crypto';
import { Chain, HeaderMap, localResponseMessage, type HttpStream, type LocalResponse, type Plugin } from '../host/index.js';

/** Hop-by-hop headers a proxy never forwards (RFC 9110 7.6.1), plus host (it travels as :authority). */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'te', 'trailer', 'upgrade', 'host']);

export interface ProxyOptions {
  upstream: URL;
  /** The chain for a new request, in order (read on every request so reloads take effect). */
  plugins: () => Plugin[];
  onError?: (message: string) => void;
}

function requestHeaderMap(req: http.IncomingMessage, upstream: URL): HeaderMap {
  const map = new HeaderMap([
    [':method', req.method ?? 'GET'],
    [':path', req.url ?? '/'],
    [':authority', req.headers.host ?? upstream.host],
    [':scheme', 'http'],
  ]);
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const k = String(raw[i]).toLowerCase();
    if (!hopByHop.has(k)) map.add(k, String(raw[i + 1]));
  }
  if (!map.has('x-forwarded-proto')) map.add('x-forwarded-proto', 'http');
  if (!map.has('x-request-id')) map.add('x-request-id', randomUUID());
  return map;
}

function responseHeaderMap(res: http.IncomingMessage): HeaderMap {
  const map = new HeaderMap([[':status', String(res.statusCode ?? 502)]]);
  const raw = res.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const k = String(raw[i]).toLowerCase();
    if (!hopByHop.has(k)) map.add(k, String(raw[i + 1]));
  }
  return map;
}

/** Headers as node:http's flat raw list [name, value, name, value, ...] (no per-name objects to build). */
function rawHeaders(map: HeaderMap, skip?: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (const [k, v] of map.pairs) {
    if (k.charCodeAt(0) === 58 /* ':' */ || skip?.has(k)) continue;
    out.push(k, v);
  }
  return out;
}

const lengthHeaders = new Set(['content-length', 'transfer-encoding']);

function requestHasBody(req: http.IncomingMessage): boolean {
  const length = req.headers['content-length'];
  if (length !== undefined) return Number(length) > 0;
  return req.headers['transfer-encoding'] !== undefined;
}

function responseHasBody(method: string, res: http.IncomingMessage): boolean {
  const status = res.statusCode ?? 200;
  if (method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) return false;
  return res.headers['content-length'] !== '0';
}

// Connections to the upstream are kept and reused, as Envoy's connection pool does.
const httpAgent = new http.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo' });
const httpsAgent = new https.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo' });

const upstreamFailure = (reason: string): LocalResponse => ({
  status: 502,
  details: `upstream_reset_before_response_started{${reason}}`,
  headers: [['content-type', 'text/plain']],
  body: new TextEncoder().encode(`upstream connect error or disconnect/reset before headers. reset reason: ${reason.replace(/_/g, ' ')}`),
  grpcStatus: -1,
});

/**
 * A request handler for node:http: runs each exchange through the plugin chain and proxies it to the
 * upstream, streaming bodies when no plugin buffers them.
 */
export function proxyHandler(options: ProxyOptions): (req: http.IncomingMessage, res: http.ServerResponse) => void {
  return (req, res) => {
    void handle(req, res, options).catch((error: unknown) => {
      options.onError?.(`proxy error: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'text/plain' });
        res.end('internal proxy error\n');
      } else res.destroy();
    });
  };
}

async function handle(req: http.IncomingMessage, res: http.ServerResponse, options: ProxyOptions): Promise<void> {
  const info = {
    sourceAddress: req.socket.remoteAddress ?? '127.0.0.1',
    sourcePort: req.socket.remotePort ?? 0,
    destinationAddress: req.socket.localAddress ?? '127.0.0.1',
    destinationPort: req.socket.localPort ?? 0,
    protocol: `HTTP/${req.httpVersion}`,
  };
  const plugins = options.plugins();
  const streams: HttpStream[] = plugins.map((p) => p.newStream(info));
  const chain = new Chain(streams);
  let finished = false;
  const finish = () => {
    if (finished) return;
    finished = true;
    chain.finish();
    streams.forEach((s, i) => plugins[i]?.noteStreamFailure(s));
  };
  res.on('close', finish);
  const method = req.method ?? 'GET';

  const sendLocal = async (local: LocalResponse) => {
    const msg = localResponseMessage(local);
    await respond(msg.headers, msg.body, chain, res, method, true);
    finish();
  };

  const headers = requestHeaderMap(req, options.upstream);
  const hasBody = requestHasBody(req);
  const h = await chain.requestHeaders(headers, !hasBody);
  if (h.kind === 'local') return sendLocal(h.response);
  if (h.kind === 'closed') {
    req.socket.destroy();
    return finish();
  }

  // The upstream request starts with the first bytes the chain lets through (or at end of stream, with
  // an exact content-length when a plugin buffered and maybe rewrote the whole body).
  const requestPath = headers.get(':path') ?? '/';
  // The upstream's own path prefix, if any, goes in front of the request path.
  const prefix = options.upstream.pathname === '/' ? '' : options.upstream.pathname.replace(/\/$/, '');
  const target = { protocol: options.upstream.protocol, hostname: options.upstream.hostname, port: options.upstream.port, path: prefix + (requestPath.startsWith('/') ? requestPath : `/${requestPath}`) };
  let upstreamReq: http.ClientRequest | undefined;
  const upstreamRes = new Promise<http.IncomingMessage | LocalResponse>((resolve) => {
    const open = (finalBody: Uint8Array | undefined) => {
      const out = rawHeaders(headers, finalBody !== undefined ? lengthHeaders : undefined);
      out.push('host', headers.get(':authority') ?? options.upstream.host);
      if (finalBody !== undefined && (finalBody.byteLength > 0 || hasBody)) out.push('content-length', String(finalBody.byteLength));
      const secure = target.protocol === 'https:';
      const r = (secure ? https : http).request({
        protocol: target.protocol,
        hostname: target.hostname,
        port: target.port,
        path: target.path,
        method: headers.get(':method') ?? method,
        headers: out,
        agent: secure ? httpsAgent : httpAgent,
      });
      r.on('response', resolve);
      r.on('error', (error: NodeJS.ErrnoException) => resolve(upstreamFailure(error.code === 'ECONNREFUSED' ? 'connection_failure' : 'connection_termination')));
      return r;
    };
    if (!hasBody) {
      upstreamReq = open(new Uint8Array(0));
      upstreamReq.end();
      return;
    }
    void (async () => {
      for await (const chunk of req as AsyncIterable<Buffer>) {
        const d = await chain.requestData(chunk, false);
        if (d.kind === 'local') return resolve(d.response);
        if (d.kind === 'closed') return req.socket.destroy();
        if (d.data.byteLength > 0) {
          upstreamReq ??= open(undefined);
          upstreamReq.write(d.data);
        }
      }
      const last = await chain.requestData(new Uint8Array(0), true);
      if (last.kind === 'local') return resolve(last.response);
      if (last.kind === 'closed') return req.socket.destroy();
      if (upstreamReq) upstreamReq.end(last.data.byteLength > 0 ? last.data : undefined);
      else {
        upstreamReq = open(last.data);
        upstreamReq.end(last.data.byteLength > 0 ? last.data : undefined);
      }
    })().catch(() => resolve(upstreamFailure('connection_termination')));
  });
  res.on('close', () => {
    if (!res.writableFinished) upstreamReq?.destroy();
  });

  const answer = await upstreamRes;
  if (!(answer instanceof http.IncomingMessage)) {
    upstreamReq?.destroy();
    return sendLocal(answer);
  }
  const resHeaders = responseHeaderMap(answer);
  const hasResBody = responseHasBody(method, answer);
  const rh = await chain.responseHeaders(resHeaders, !hasResBody);
  if (rh.kind === 'local') {
    answer.destroy();
    const msg = localResponseMessage(rh.response);
    writeHead(res, msg.headers);
    res.end(msg.body);
    return finish();
  }
  if (rh.kind === 'closed') {
    answer.destroy();
    res.destroy();
    return finish();
  }
  if (!hasResBody) {
    writeHead(res, resHeaders);
    res.end();
    return finish();
  }
  // Headers go downstream once the plugins continued them, as Envoy does; a plugin that rewrites the
  // body removes content-length itself.
  let headWritten = false;
  let stopped = false;
  await eachChunk(answer, async (chunk) => {
    const d = await chain.responseData(chunk, false);
    if (d.kind !== 'continue') {
      answer.destroy();
      if (d.kind === 'local' && !headWritten) {
        const msg = localResponseMessage(d.response);
        writeHead(res, msg.headers);
        res.end(msg.body);
      } else res.destroy();
      stopped = true;
      return false;
    }
    if (d.data.byteLength > 0) {
      if (!headWritten) {
        writeHead(res, resHeaders);
        headWritten = true;
      }
      res.write(d.data);
    }
    return true;
  });
  if (stopped) return finish();
  const last = await chain.responseData(new Uint8Array(0), true);
  if (last.kind === 'local' && !headWritten) {
    const msg = localResponseMessage(last.response);
    writeHead(res, msg.headers);
    res.end(msg.body);
    return finish();
  }
  if (last.kind !== 'continue') {
    res.destroy();
    return finish();
  }
  if (!headWritten) {
    // Everything was buffered: the length is known exactly.
    resHeaders.replace('content-length', String(last.data.byteLength));
    writeHead(res, resHeaders);
  }
  res.end(last.data.byteLength > 0 ? last.data : undefined);
  finish();
}

/** A response that did not come from the upstream (local reply) goes back through every plugin. */
async function respond(headers: HeaderMap, body: Uint8Array, chain: Chain, res: http.ServerResponse, method: string, viaChain: boolean): Promise<void> {
  if (viaChain) {
    const hasBody = body.byteLength > 0 && method !== 'HEAD';
    const o = await chain.responseHeaders(headers, !hasBody);
    if (o.kind === 'local') {
      const msg = localResponseMessage(o.response);
      writeHead(res, msg.headers);
      res.end(msg.body);
      return;
    }
    if (o.kind === 'closed') {
      res.destroy();
      return;
    }
    if (hasBody) {
      const d = await chain.responseData(body, true);
      if (d.kind === 'continue') {
        headers.replace('content-length', String(d.data.byteLength));
        writeHead(res, headers);
        res.end(d.data);
        return;
      }
      res.destroy();
      return;
    }
  }
  writeHead(res, headers);
  res.end(method === 'HEAD' ? undefined : body);
}

/**
 * Feeds a readable's chunks in order to an async step; false stops. Chunks queue up while a step
 * runs; the stream is paused only when the queue grows (a plugin holding the body), which keeps
 * the common case free of pause/resume round trips.
 */
function eachChunk(stream: http.IncomingMessage, step: (chunk: Buffer) => Promise<boolean>): Promise<void> {
  return new Promise((resolve) => {
    let tail: Promise<boolean> = Promise.resolve(true);
    let queued = 0;
    let paused = false;
    let stopped = false;
    const stop = () => {
      if (stopped) return;
      stopped = true;
      resolve();
    };
    stream.on('data', (chunk: Buffer) => {
      queued++;
      if (queued > 8 && !paused) {
        paused = true;
        stream.pause();
      }
      tail = tail.then(async (go) => {
        if (!go || stopped) return false;
        const next = await step(chunk).catch(() => false);
        queued--;
        if (paused && queued === 0) {
          paused = false;
          stream.resume();
        }
        if (!next) stop();
        return next;
      });
    });
    stream.once('end', () => void tail.then(stop));
    stream.once('error', () => void tail.then(stop));
    stream.once('close', () => void tail.then(() => setImmediate(stop)));
  });
}

function writeHead(res: http.ServerResponse, headers: HeaderMap): void {
  const status = Number(headers.get(':status') ?? 200);
  res.writeHead(Number.isInteger(status) && status >= 100 && status <= 999 ? status : 502, rawHeaders(headers));
}
