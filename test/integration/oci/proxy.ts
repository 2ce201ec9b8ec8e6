import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

/**
 * A small HTTP proxy in front of a test registry: forwards everything (keeping Host so the
 * registry's Location headers name the proxy), and can demand Bearer tokens from its own token
 * endpoint (`/token`, Basic-authenticated), or intercept requests (errors, delays).
 * Used instead of the registry's own `auth: token` (which needs a signing cert bundle).
 */
export interface ProxyRequest {
  method: string;
  url: string;
  authorization?: string | undefined;
}

export interface TestProxy {
  url: string;
  host: string;
  requests: ProxyRequest[];
  /** Tokens issued by /token (to check none leaks). */
  issuedTokens: string[];
  tokenRequests: Array<{ scope: string[]; service: string | null; basicUser?: string; grant?: string }>;
  stop(): Promise<void>;
}

export type Interceptor = (req: http.IncomingMessage, body: Buffer) => Promise<{ status: number; headers?: Record<string, string>; body?: string } | 'forward' | 'hang'> | { status: number; headers?: Record<string, string>; body?: string } | 'forward' | 'hang';

export async function startProxy(target: string, options: { bearer?: { user: string; pass: string; refreshToken?: string }; intercept?: Interceptor; tokenTtl?: number; /** Host name the token realm names instead of 127.0.0.1 (e.g. `localhost.`). */ realmHost?: string } = {}): Promise<TestProxy> {
  const targetUrl = new URL(target);
  const requests: ProxyRequest[] = [];
  const issuedTokens: string[] = [];
  const tokenRequests: TestProxy['tokenRequests'] = [];
  const valid = new Set<string>();
  const hanging = new Set<http.ServerResponse>();
  let self = '';
  let realm = '';
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    const url = new URL(req.url ?? '/', self);
    if (options.bearer && url.pathname === '/token' && req.method === 'POST') {
      // OAuth2 refresh-token grant (Docker's identitytoken): form fields, no Authorization.
      const form = new URLSearchParams(body.toString('utf8'));
      tokenRequests.push({ scope: (form.get('scope') ?? '').split(' ').filter(Boolean), service: form.get('service'), grant: form.get('grant_type') ?? '' });
      if (form.get('grant_type') !== 'refresh_token' || !options.bearer.refreshToken || form.get('refresh_token') !== options.bearer.refreshToken) {
        res.writeHead(400, { 'content-type': 'application/json' }).end('{"error":"invalid_grant"}');
        return;
      }
      const token = `tok-${randomBytes(12).toString('hex')}`;
      valid.add(token);
      issuedTokens.push(token);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ access_token: token, expires_in: options.tokenTtl ?? 300, scope: form.get('scope') }));
      return;
    }
    if (options.bearer && url.pathname === '/token') {
      const auth = req.headers.authorization ?? '';
      const decoded = auth.startsWith('Basic ') ? Buffer.from(auth.slice(6), 'base64').toString() : '';
      const entry: TestProxy['tokenRequests'][number] = { scope: url.searchParams.getAll('scope'), service: url.searchParams.get('service') };
      if (decoded) entry.basicUser = decoded.split(':')[0] ?? '';
      tokenRequests.push(entry);
      if (decoded !== `${options.bearer.user}:${options.bearer.pass}`) {
        res.writeHead(401, { 'content-type': 'application/json' }).end('{"details":"bad credentials"}');
        return;
      }
      const token = `tok-${randomBytes(12).toString('hex')}`;
      valid.add(token);
      issuedTokens.push(token);
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ token, access_token: token, expires_in: options.tokenTtl ?? 300 }));
      return;
    }
    if (options.intercept) {
      const decision = await options.intercept(req, body);
      if (decision === 'hang') {
        hanging.add(res);
        return;
      }
      if (decision !== 'forward') {
        res.writeHead(decision.status, decision.headers ?? {}).end(decision.body ?? '');
        return;
      }
    }
    if (options.bearer && url.pathname.startsWith('/v2')) {
      const auth = req.headers.authorization ?? '';
      if (!auth.startsWith('Bearer ') || !valid.has(auth.slice(7))) {
        const repo = /^\/v2\/(.+?)\/(blobs|manifests|tags)\//.exec(url.pathname)?.[1];
        const scope = repo ? `,scope="repository:${repo}:pull,push"` : '';
        res.writeHead(401, { 'www-authenticate': `Bearer realm="${realm}/token",service="test-proxy"${scope}`, 'content-type': 'application/json' });
        res.end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}');
        return;
      }
    }
    const headers = { ...req.headers };
    delete headers.authorization;
    const upstream = http.request(
      { host: targetUrl.hostname, port: targetUrl.port, method: req.method, path: req.url, headers },
      (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      },
    );
    upstream.on('error', () => res.writeHead(502).end());
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  self = `http://127.0.0.1:${port}`;
  realm = `http://${options.realmHost ?? '127.0.0.1'}:${port}`;
  return {
    url: self,
    host: `127.0.0.1:${port}`,
    requests,
    issuedTokens,
    tokenRequests,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const r of hanging) r.destroy();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
