import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';
import { echoHandler, startServe, startServer, type ServeProcess } from '../helpers/serve.js';
import { buildCPlugin, wat } from '../unit/host/fixtures.js';
import { readEcho } from '../helpers/echo-config.js';

// `serve` from the built CLI in front of real local servers, with a C plugin and WAT plugins.
let tmp: { dir: string; cleanup: () => Promise<void> };
let example: string | undefined;
let trapOnce: string;
let upstream: Awaited<ReturnType<typeof startServer>>;
let auth: Awaited<ReturnType<typeof startServer>>;
const running: ServeProcess[] = [];
const authCluster = 'outbound|8080||auth.default.svc.cluster.local';

beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli.chunks'))) execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'ignore' });
  tmp = await makeTempDir('ciw-serve-');
  const built = buildCPlugin('example-plugin.c', tmp.dir);
  if (built) example = path.join(tmp.dir, 'example-plugin.wasm');
  trapOnce = path.join(tmp.dir, 'trap-once.wasm');
  writeFileSync(trapOnce, await wat('trap-once.wat'));
  upstream = await startServer(echoHandler());
  auth = await startServer((req, res) => {
    res.writeHead(req.headers.authorization === 'Bearer good' && req.url === '/check' ? 200 : 403);
    res.end();
  });
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  await upstream?.close();
  await auth?.close();
  await tmp?.cleanup();
});

/** Output of the child arrives after the HTTP answer: wait for it, bounded. */
async function until(check: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!check() && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
}

async function serve(args: string[]): Promise<ServeProcess> {
  const s = await startServe(args);
  running.push(s);
  return s;
}

describe('istio-wasm serve', () => {
  it('proxies through the plugin: headers both ways, bodies, 401, stats, clean Ctrl-C', async ({ skip }) => {
    if (!example) return skip('clang missing');
    const s = await serve(['--wasm', example, '--upstream', upstream.url, '--root-id', 'demo', '--plugin-config', '{"responseHeader":"x-demo"}']);
    expect(s.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const r = await fetch(`${s.url}/hello?x=1`, { method: 'POST', body: 'payload', headers: { 'x-client': 'c' } });
    expect(r.status).toBe(200);
    expect(r.headers.get('x-demo')).toBe('demo');
    expect(r.headers.get('x-upstream')).toBe('yes');
    const seen = (await r.json()) as { url: string; body: string; headers: Record<string, string> };
    expect(seen.url).toBe('/hello?x=1');
    expect(seen.body).toBe('payload');
    expect(seen.headers['x-wasm-plugin-request']).toBe('demo');
    expect(seen.headers['x-client']).toBe('c');

    // A large body streams through both ways (many chunks, backpressure).
    const big = 'x'.repeat(3 * 1024 * 1024);
    const echoed = await fetch(`${s.url}/big`, { method: 'POST', body: big });
    expect(echoed.status).toBe(200);
    expect(((await echoed.json()) as { body: string }).body.length).toBe(big.length);

    const denied = await fetch(`${s.url}/v2/secret`);
    expect(denied.status).toBe(401);
    expect(denied.headers.get('www-authenticate')).toBe('Bearer');
    expect(await denied.text()).toBe('unauthorized: missing authorization header\n');
    await until(() => /missing authorization header/.test(s.stderr()));
    expect(s.stderr()).toMatch(/\[example-plugin\] \[warn\] \[ctx \d+\] missing authorization header/);
    expect(s.stderr()).toMatch(/\[info\] \[ctx 1\] config: \{"responseHeader":"x-demo"\}/);

    const stats = await (await fetch(s.statsUrl)).text();
    expect(stats).toMatch(/# TYPE example_requests_total counter/);
    expect(stats).toMatch(/example_requests_total\{plugin="example-plugin"\} 3/);
    expect(await s.stop()).toBe(0);
    expect(s.stderr()).toMatch(/stopped/);
  });

  it('answers the plugin\'s HTTP call from a second local server (--cluster), and unknown clusters like Envoy', async ({ skip }) => {
    if (!example) return skip('clang missing');
    const s = await serve(['--wasm', example, '--upstream', upstream.url, '--plugin-config', JSON.stringify({ authCluster }), '--cluster', `${authCluster}=${auth.url}`]);
    expect((await fetch(`${s.url}/v2/a`, { headers: { authorization: 'Bearer good' } })).status).toBe(200);
    const no = await fetch(`${s.url}/v2/a`, { headers: { authorization: 'Bearer bad' } });
    expect(no.status).toBe(403);
    expect(await no.text()).toBe('forbidden\n');
    const unknown = await serve(['--wasm', example, '--upstream', upstream.url, '--plugin-config', JSON.stringify({ authCluster })]);
    expect((await fetch(`${unknown.url}/v2/a`, { headers: { authorization: 'Bearer good' } })).status).toBe(403);
  });

  it('passes HTTP/1.1 trailers both ways through the plugin\'s trailer callbacks', async () => {
    // Adds x-plugin-saw to the request trailers (and logs it) and to the response trailers.
    const trailersPlugin = path.join(tmp.dir, 'trailers.wasm');
    writeFileSync(
      trailersPlugin,
      await wat(`(module
        (import "env" "proxy_add_header_map_value" (func $add (param i32 i32 i32 i32 i32) (result i32)))
        (import "env" "proxy_log" (func $log (param i32 i32 i32) (result i32)))
        (memory (export "memory") 1)
        (data (i32.const 100) "x-plugin-saw")
        (data (i32.const 120) "request-trailers")
        (data (i32.const 140) "response-trailers")
        (func (export "proxy_abi_version_0_2_1"))
        (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 1024))
        (func (export "proxy_on_context_create") (param i32 i32))
        (func (export "proxy_on_request_trailers") (param i32 i32) (result i32)
          (drop (call $add (i32.const 1) (i32.const 100) (i32.const 12) (i32.const 120) (i32.const 16)))
          (drop (call $log (i32.const 2) (i32.const 120) (i32.const 16)))
          (i32.const 0))
        (func (export "proxy_on_response_trailers") (param i32 i32) (result i32)
          (drop (call $add (i32.const 3) (i32.const 100) (i32.const 12) (i32.const 140) (i32.const 17)))
          (i32.const 0)))`),
    );
    const seen: { body?: string; trailers?: Record<string, string | undefined> } = {};
    const trailing = await startServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        seen.body = Buffer.concat(chunks).toString();
        seen.trailers = { ...req.trailers };
        res.writeHead(200, { 'content-type': 'text/plain', trailer: 'x-upstream-trailer' });
        res.write('first ');
        res.addTrailers({ 'x-upstream-trailer': 'u' });
        res.end('second');
      });
    });
    try {
      const s = await serve(['--wasm', trailersPlugin, '--upstream', trailing.url]);
      const got = await new Promise<{ status: number; body: string; trailers: NodeJS.Dict<string> }>((resolve, reject) => {
        const req = http.request(`${s.url}/t`, { method: 'POST', headers: { 'content-type': 'text/plain' } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString(), trailers: res.trailers }));
        });
        req.on('error', reject);
        req.write('abc');
        req.write('def');
        req.addTrailers({ 'x-client-trailer': 'c' });
        req.end();
      });
      expect(seen).toEqual({ body: 'abcdef', trailers: { 'x-client-trailer': 'c', 'x-plugin-saw': 'request-trailers' } });
      expect(got).toEqual({ status: 200, body: 'first second', trailers: { 'x-upstream-trailer': 'u', 'x-plugin-saw': 'response-trailers' } });
      await until(() => /request-trailers/.test(s.stderr()));
      expect(s.stderr()).toMatch(/request-trailers/);
    } finally {
      await trailing.close();
    }
  });

  it('answers 503 when the upstream refuses connections (as Envoy), and keeps running', async () => {
    const closed = await startServer(() => {});
    await closed.close();
    const s = await serve(['--wasm', trapOnce, '--upstream', closed.url, '--fail-strategy', 'FAIL_OPEN']);
    const first = await fetch(`${s.url}/`);
    expect(first.status).toBe(503);
    expect(await first.text()).toMatch(/^upstream connect error or disconnect\/reset before headers\. reset reason: connection failure/);
    expect((await fetch(`${s.url}/`)).status).toBe(503);
  });

  it.each([
    ['FAIL_CLOSE', [503, 503]],
    ['FAIL_OPEN', [200, 200]],
    ['FAIL_RELOAD', [503, 200]],
  ] as const)('applies %s when the plugin traps', async (strategy, statuses) => {
    const s = await serve(['--wasm', trapOnce, '--upstream', upstream.url, '--fail-strategy', strategy]);
    const got = [(await fetch(`${s.url}/a`)).status, (await fetch(`${s.url}/b`)).status];
    expect(got).toEqual(statuses);
    await until(() => /failed \(/.test(s.stderr()));
    expect(s.stderr()).toMatch(new RegExp(`plugin trap-once failed \\(${strategy}\\): .*trapped in proxy_on_request_headers`));
  });

  it('orders a chain of manifests as Istio does (--explain-order)', async () => {
    const manifest = (name: string, phase: string | undefined, priority: number | undefined) => {
      const file = path.join(tmp.dir, `${name}.yaml`);
      writeFileSync(
        file,
        [
          'apiVersion: extensions.istio.io/v1alpha1',
          'kind: WasmPlugin',
          `metadata: { name: ${name} }`,
          'spec:',
          `  url: file://${trapOnce}`,
          ...(phase ? [`  phase: ${phase}`] : []),
          ...(priority !== undefined ? [`  priority: ${priority}`] : []),
        ].join('\n'),
      );
      return file;
    };
    const files = [manifest('stats-b', 'STATS', 1), manifest('none', undefined, 100), manifest('authz', 'AUTHZ', 0), manifest('authn-low', 'AUTHN', 1), manifest('authn-high', 'AUTHN', 10), manifest('stats-a', 'STATS', 1)];
    const r = await runCli(['serve', '--upstream', upstream.url, '--explain-order', ...files.flatMap((f) => ['--manifest', f])]);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toBe('request path: authn-high -> authn-low -> authz -> stats-a -> stats-b -> none -> upstream');
  });

  it('runs a TrafficExtension manifest (spec.wasm) with its pluginConfig, root id and filter name; refuses Lua and NETWORK ones', async () => {
    const echo = path.join(tmp.dir, 'echo-config.wasm');
    writeFileSync(echo, await wat('echo-config.wat'));
    const doc = (kind: string, name: string, module: string[]) =>
      ['apiVersion: extensions.istio.io/v1alpha1', `kind: ${kind}`, `metadata: { name: ${name}, namespace: edge }`, 'spec:', '  phase: UNSPECIFIED', ...module].join('\n');
    const te = path.join(tmp.dir, 'te.yaml');
    writeFileSync(te, doc('TrafficExtension', 'te-echo', ['  wasm:', `    url: file://${echo}`, '    pluginName: te-root', '    pluginConfig: { b: 2, a: 1 }', '    vmConfig: { env: [{ name: MODE, value: strict }] }']));
    const s = await serve(['--manifest', te, '--upstream', upstream.url]);
    const seen = readEcho(new Uint8Array(await (await fetch(`${s.url}/`)).arrayBuffer()));
    expect(seen).toMatchObject({ configuration: '{"a":1,"b":2}', rootId: 'te-root', pluginName: 'edge.te-echo', env: { MODE: 'strict' } });
    const wp = path.join(tmp.dir, 'wp.yaml');
    writeFileSync(wp, ['apiVersion: extensions.istio.io/v1alpha1', 'kind: WasmPlugin', 'metadata: { name: wp-echo, namespace: edge }', 'spec:', `  url: file://${echo}`].join('\n'));
    const w = await serve(['--manifest', wp, '--upstream', upstream.url]);
    expect(readEcho(new Uint8Array(await (await fetch(`${w.url}/`)).arrayBuffer())).pluginName).toBe('edge.wp-echo~istio-translated-wasmplugin');

    const lua = path.join(tmp.dir, 'lua.yaml');
    writeFileSync(lua, doc('TrafficExtension', 'headers', ['  lua:', '    inlineCode: "function envoy_on_request(h) end"']));
    const refused = await runCli(['serve', '--manifest', lua, '--upstream', upstream.url]);
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toContain('TrafficExtension headers is an inline Lua filter; serve runs Wasm plugins only');
    const tcp = path.join(tmp.dir, 'tcp.yaml');
    writeFileSync(tcp, doc('TrafficExtension', 'tcp', ['  wasm:', `    url: file://${echo}`, '    type: NETWORK']));
    const network = await runCli(['serve', '--manifest', tcp, '--upstream', upstream.url]);
    expect(network.code).not.toBe(0);
    expect(network.stderr).toContain('TrafficExtension tcp is a NETWORK (TCP) plugin; serve runs HTTP plugins');
  });

  it('resets the downstream when the upstream resets mid-body, never ending a truncated body as complete', async () => {
    const continueOnly = path.join(tmp.dir, 'continue-only.wasm');
    writeFileSync(continueOnly, await wat('continue-only.wat'));
    const cut = await startServer((req, res) => {
      res.writeHead(200, req.url === '/sized' ? { 'content-length': '100' } : {});
      res.write('partial');
      setTimeout(() => res.socket?.destroy(), 30);
    });
    try {
      const s = await serve(['--wasm', continueOnly, '--upstream', cut.url]);
      for (const p of ['/sized', '/chunked']) {
        const r = await fetch(`${s.url}${p}`);
        expect(r.status).toBe(200);
        await expect(r.text(), p).rejects.toThrow();
      }
      // serve keeps running
      expect((await fetch(`${s.url}/sized`)).status).toBe(200);
    } finally {
      await cut.close();
    }
  });

  it('makes no named function per request (the bundle names each one with Object.defineProperty, ~0.3 µs)', async ({ skip }) => {
    if (!example) return skip('clang missing');
    // A preload counts the functions given a name at run time; SIGUSR2 writes the count so far.
    const preload = path.join(tmp.dir, 'count-named.cjs');
    const counted = path.join(tmp.dir, 'named.txt');
    writeFileSync(
      preload,
      `const define = Object.defineProperty; let named = 0;
Object.defineProperty = function (o, k, d) { if (k === 'name' && typeof o === 'function') named++; return define(o, k, d); };
process.on('SIGUSR2', () => require('node:fs').writeFileSync(${JSON.stringify(counted)}, String(named)));`,
    );
    const s = await startServe(['--wasm', example, '--upstream', upstream.url], { env: { NODE_OPTIONS: `--require ${JSON.stringify(preload)}` } });
    running.push(s);
    const exchanges = async (n: number) => {
      for (let i = 0; i < n; i++) {
        expect((await fetch(`${s.url}/get/${i}`)).status).toBe(200);
        expect((await fetch(`${s.url}/post/${i}`, { method: 'POST', body: 'payload' })).status).toBe(200);
      }
    };
    const count = async () => {
      writeFileSync(counted, '');
      s.child.kill('SIGUSR2');
      await until(() => readFileSync(counted, 'utf8') !== '');
      // No answer would read as 0 and pass: the count must have been written.
      const text = readFileSync(counted, 'utf8');
      expect(text, 'the preload wrote no count').toMatch(/^\d+$/);
      return Number(text);
    };
    await exchanges(3);
    const before = await count();
    // The preload sees the bundle's names at load (hundreds), so a 0 below is not a preload that counts nothing.
    expect(before).toBeGreaterThan(50);
    await exchanges(20);
    // One-off lazy set-up may name a function or two; a function made per request would name 40.
    expect((await count()) - before).toBeLessThan(10);
  });

  it('refuses bad input with clear errors', async () => {
    const notWasm = path.join(tmp.dir, 'not.wasm');
    writeFileSync(notWasm, 'hello');
    const r = await runCli(['serve', '--wasm', notWasm, '--upstream', upstream.url, '--listen', '127.0.0.1:0']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not a WebAssembly module/);
    const c = await runCli(['serve', '--wasm', trapOnce, '--upstream', upstream.url, '--plugin-config', '{nope']);
    expect(c.stderr).toMatch(/--plugin-config is not JSON/);
    const u = await runCli(['serve', '--wasm', trapOnce]);
    expect(u.stderr).toMatch(/needs --upstream/);
  });
});
