import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';
import { echoHandler, startServe, startServer, type ServeProcess } from '../helpers/serve.js';
import { buildCPlugin, wat } from '../unit/host/fixtures.js';
import { readEcho } from '../helpers/echo-config.js';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';

// `istio-wasm replay` on a session recorded by the built CLI's `serve --trace`: the same plugin and
// configuration replays unchanged (exit 0) with no network, even for exchanges that made HTTP
// callouts; a plugin whose behaviour changed exits 1 naming the exchange and the difference.
let tmp: { dir: string; cleanup: () => Promise<void> };
let example: string | undefined;
let upstream: Awaited<ReturnType<typeof startServer>>;
let auth: Awaited<ReturnType<typeof startServer>> | undefined;
let recording: string;
const running: ServeProcess[] = [];
const authCluster = 'outbound|8080||auth.default.svc.cluster.local';
const config = JSON.stringify({ authCluster, responseHeader: 'x-demo' });

beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli.chunks'))) execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'ignore' });
  tmp = await makeTempDir('ciw-replay-');
  if (buildCPlugin('example-plugin.c', tmp.dir)) example = path.join(tmp.dir, 'example-plugin.wasm');
  upstream = await startServer(echoHandler());
  auth = await startServer((req, res) => {
    res.writeHead(req.headers.authorization === 'Bearer good' && req.url === '/check' ? 200 : 403);
    res.end();
  });
  recording = path.join(tmp.dir, 'session.jsonl');
  if (!example) return;
  const s = await startServe(['--wasm', example, '--upstream', upstream.url, '--root-id', 'demo', '--plugin-config', config, '--cluster', `${authCluster}=${auth.url}`, '--trace', recording, '--trace-secrets']);
  running.push(s);
  expect((await fetch(`${s.url}/public/page`)).status).toBe(200);
  expect((await fetch(`${s.url}/v2/things`)).status).toBe(401);
  expect((await fetch(`${s.url}/v2/things`, { headers: { authorization: 'Bearer good' } })).status).toBe(200);
  expect((await fetch(`${s.url}/v2/things`, { method: 'POST', body: 'x=1', headers: { authorization: 'Bearer bad' } })).status).toBe(403);
  await s.stop();
  // No auth service from here on: replay answers the callouts from the recording.
  await auth.close();
  auth = undefined;
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  await upstream?.close();
  await auth?.close();
  await tmp?.cleanup();
});

describe('istio-wasm replay', () => {
  it('replays an unchanged plugin with no network: exit 0, every exchange unchanged', async ({ skip }) => {
    if (!example) return skip('clang missing');
    expect(readFileSync(recording, 'utf8').trim().split('\n')).toHaveLength(4);
    const r = await runCli(['replay', recording, '--wasm', example, '--plugin-config', config], { cwd: tmp.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('#1 GET /public/page: unchanged (200)');
    expect(r.stdout).toContain('#3 GET /v2/things: unchanged (200)');
    expect(r.stdout).toContain('#4 POST /v2/things: unchanged (403)');
    expect(r.stdout).toContain('4 exchanges replayed: nothing changed');
  });

  it('a plugin whose behaviour changed: exit 1, naming the exchange and the difference', async ({ skip }) => {
    if (!example) return skip('clang missing');
    // The new configuration protects every path: /public/page now needs a credential.
    const changed = JSON.stringify({ authCluster, responseHeader: 'x-demo', protectedPrefix: '/' });
    const r = await runCli(['replay', recording, '--wasm', example, '--plugin-config', changed], { cwd: tmp.dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/#1 GET \/public\/page: CHANGED\n {2}status: 200 -> 401\n {2}answered by: upstream -> example-plugin\n {2}local reply: \(absent\) -> 401 by example-plugin\n {2}request reached the upstream: yes -> no\n {2}body sent downstream: .* -> "unauthorized: missing authorization header\\n" \(43 bytes\)\n/);
    expect(r.stdout).toContain('#2 GET /v2/things: unchanged (401)');
    expect(r.stdout).toContain('#3 GET /v2/things: unchanged (200)');
    expect(r.stdout).toContain('4 exchanges replayed: 1 changed');
    // A renamed response header shows as a header difference on every exchange that passed the plugin.
    const renamed = await runCli(['replay', recording, '--wasm', example, '--plugin-config', JSON.stringify({ authCluster, responseHeader: 'x-renamed' })], { cwd: tmp.dir });
    expect(renamed.code).toBe(1);
    expect(renamed.stdout).toContain('#3 GET /v2/things: CHANGED\n  header sent downstream x-demo: demo -> (absent)\n  header sent downstream x-renamed: (absent) -> demo\n');

    const j = await runCli(['replay', recording, '--wasm', example, '--plugin-config', changed, '--json'], { cwd: tmp.dir });
    expect(j.code).toBe(1);
    const report = JSON.parse(j.stdout) as { source: string; total: number; changed: number; exchanges: Array<{ id: number; changed: boolean; differences: Array<{ what: string; recorded: string; replayed: string }>; trace: { format: string } }> };
    expect(report).toMatchObject({ source: 'trace', total: 4, changed: 1 });
    expect(report.exchanges[0]?.differences[0]).toEqual({ what: 'status', recorded: '200', replayed: '401' });
    expect(report.exchanges[0]?.trace.format).toBe('istio-wasm-trace');
  });

  it('sends a HAR file\'s requests through the plugin to a live upstream and compares status, headers and body', async ({ skip }) => {
    if (!example) return skip('clang missing');
    // A live service that answers gzip when asked, as a real one behind the mesh would.
    const shop = await startServer((req, res) => {
      const body = Buffer.from('hello shop\n');
      const gzip = /gzip/.test(String(req.headers['accept-encoding'] ?? ''));
      res.writeHead(200, { 'content-type': 'text/plain', date: new Date().toUTCString(), ...(gzip ? { 'content-encoding': 'gzip' } : {}) });
      res.end(gzip ? gzipSync(body) : body);
    });
    try {
      const har = path.join(tmp.dir, 'session.har');
      const header = (name: string, value: string) => ({ name, value });
      const entry = (url: string, status: number, headers: Array<{ name: string; value: string }>, content: Record<string, unknown>) => ({
        request: { method: 'GET', url, httpVersion: 'HTTP/2', headers: [header(':authority', 'shop.example.com'), header('accept-encoding', 'gzip, deflate, br')], queryString: [], cookies: [], headersSize: -1, bodySize: 0 },
        response: { status, statusText: '', httpVersion: 'HTTP/2', headers, cookies: [], content: { mimeType: 'text/plain', ...content }, redirectURL: '', headersSize: -1, bodySize: -1 },
      });
      // What the browser saw through the mesh: Envoy's date, server and x-envoy-* headers, a body it decoded.
      const seen = [header('content-type', 'text/plain'), header('content-encoding', 'gzip'), header('date', 'Mon, 01 Jan 2024 00:00:00 GMT'), header('server', 'istio-envoy'), header('x-envoy-upstream-service-time', '4'), header('x-wasm-plugin', 'demo')];
      writeFileSync(
        har,
        JSON.stringify({
          log: {
            version: '1.2',
            creator: { name: 'WebInspector', version: '537.36' },
            entries: [
              entry('https://shop.example.com/public/a?x=1', 200, seen, { size: 11, text: 'hello shop\n' }),
              entry('https://shop.example.com/v2/cart', 200, seen, { size: 11, text: 'hello shop\n' }),
              entry('https://shop.example.com/public/b', 200, [...seen.filter((h) => h.name !== 'x-wasm-plugin'), header('x-wasm-plugin', 'old-name'), header('x-cache', 'HIT')], { size: 11, text: Buffer.from('hello shop!').toString('base64'), encoding: 'base64' }),
              entry('https://shop.example.com/public/c', 200, [], { size: 0 }),
            ],
          },
        }, null, 2),
      );
      const r = await runCli(['replay', har, '--wasm', example, '--root-id', 'demo', '--upstream', shop.url, '--ignore-header', 'x-cache'], { cwd: tmp.dir });
      expect(r.stderr).toBe('');
      expect(r.code).toBe(1);
      expect(r.stdout).toContain('#1 GET /public/a?x=1: unchanged (200)\n');
      expect(r.stdout).toContain('#2 GET /v2/cart: CHANGED\n  status: 200 -> 401\n  header sent downstream content-encoding: gzip -> (absent)\n  header sent downstream www-authenticate: (absent) -> Bearer\n  body sent downstream: "hello shop\\n" (11 bytes) -> "unauthorized: missing authorization header\\n" (43 bytes)\n#3');
      expect(r.stdout).toContain('#3 GET /public/b: CHANGED\n  header sent downstream x-wasm-plugin: old-name -> demo\n  body sent downstream: "hello shop!" (11 bytes) -> "hello shop\\n" (11 bytes)\n#4');
      expect(r.stdout).toContain('#4 GET /public/c: unchanged (200)\n');
      expect(r.stdout).toContain('4 requests replayed: 2 changed');
      const j = await runCli(['replay', har, '--wasm', example, '--root-id', 'demo', '--upstream', shop.url, '--json'], { cwd: tmp.dir });
      const report = JSON.parse(j.stdout) as { format: string; version: number; exchanges: Array<{ differences: Array<{ what: string }>; note?: string }> };
      expect(report).toMatchObject({ format: 'istio-wasm-replay', version: 1, source: 'har', total: 4, changed: 2 });
      // Without --ignore-header x-cache, the header the CDN added shows.
      expect(report.exchanges[2]?.differences.map((d) => d.what)).toContain('header sent downstream x-cache');
      expect(report.exchanges[3]?.note).toBe('the HAR lists no response headers: headers were not compared');
      const missing = await runCli(['replay', har, '--wasm', example], { cwd: tmp.dir });
      expect(missing.code).toBe(2);
      expect(missing.stderr).toMatch(/HAR file: replaying it needs a live --upstream URL/);
    } finally {
      await shop.close();
    }
  });

  it('in a project, replays with what serve gave the plugin: vmConfig env (HOST and valueless INLINE entries) and filter name', async () => {
    const created = await runCli(['echo', '--yes', '--no-install', '--no-git'], { bin: 'create-istio-wasm', cwd: tmp.dir });
    expect(created.code, created.stderr).toBe(0);
    const project = path.join(tmp.dir, 'echo');
    const configFile = path.join(project, 'istio-wasm.yaml');
    const yaml = parseYaml(readFileSync(configFile, 'utf8')) as { module: string; wasmPlugin: Record<string, unknown> };
    yaml.wasmPlugin.vmConfig = { env: [{ name: 'MODE', value: 'strict' }, { name: 'EMPTY', valueFrom: 'INLINE' }, { name: 'REPLAY_HOST_VAR', valueFrom: 'HOST' }] };
    writeFileSync(configFile, stringifyYaml(yaml));
    mkdirSync(path.dirname(path.join(project, yaml.module)), { recursive: true });
    writeFileSync(path.join(project, yaml.module), await wat('echo-config.wat'));
    const session = path.join(tmp.dir, 'echo.jsonl');
    const env = { REPLAY_HOST_VAR: 'from the proxy' };
    const s = await startServe(['--upstream', upstream.url, '--trace', session], { cwd: project, env });
    running.push(s);
    const seen = readEcho(new Uint8Array(await (await fetch(`${s.url}/`)).arrayBuffer()));
    expect(seen.env).toEqual({ MODE: 'strict', EMPTY: '', REPLAY_HOST_VAR: 'from the proxy' });
    expect(seen.pluginName).toBe('istio-system.echo~istio-translated-wasmplugin');
    await s.stop();
    const r = await runCli(['replay', session], { cwd: project, env });
    expect(r.stdout).toContain('1 exchange replayed: nothing changed');
    expect(r.code).toBe(0);
  });

  it('refuses bad input with exit 2 and a clear error', async () => {
    const notTrace = path.join(tmp.dir, 'other.jsonl');
    writeFileSync(notTrace, '{"format":"something-else"}\n');
    const r = await runCli(['replay', notTrace, '--wasm', 'x.wasm'], { cwd: tmp.dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/other\.jsonl:1 is not an istio-wasm trace/);
    const garbled = path.join(tmp.dir, 'garbled.jsonl');
    writeFileSync(garbled, '{"format":"istio-wasm-trace","version":1\n');
    expect((await runCli(['replay', garbled], { cwd: tmp.dir })).stderr).toMatch(/garbled\.jsonl:1 is not JSON/);
    const newer = path.join(tmp.dir, 'newer.jsonl');
    writeFileSync(newer, '{"format":"istio-wasm-trace","version":99}\n');
    expect((await runCli(['replay', newer], { cwd: tmp.dir })).stderr).toMatch(/version 99; this istio-wasm reads version 1/);
    expect((await runCli(['replay', path.join(tmp.dir, 'absent.jsonl')], { cwd: tmp.dir })).code).toBe(2);
    // A HAR replay's --cluster is read as serve reads it: NAME=URL, the URL checked.
    const har = path.join(tmp.dir, 'one.har');
    writeFileSync(har, JSON.stringify({ log: { version: '1.2', entries: [{ request: { method: 'GET', url: 'http://shop/a', headers: [] }, response: { status: 200, headers: [] } }] } }));
    const badCluster = await runCli(['replay', har, '--wasm', 'x.wasm', '--upstream', upstream.url, '--cluster', 'auth=not a url'], { cwd: tmp.dir });
    expect(badCluster.code).toBe(2);
    expect(badCluster.stderr).toContain('--cluster auth= must map to a URL, got "not a url"');
  });
});
