import { execFileSync } from 'node:child_process';
import http from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';
import { echoHandler, startServe, startServer, type ServeProcess } from '../helpers/serve.js';
import { buildCPlugin } from '../unit/host/fixtures.js';

// serve's recording from the built CLI: the timeline page and its API on the admin listener, the
// live event stream, --trace FILE (JSON Lines, masked), --trace-secrets and --no-trace.
let tmp: { dir: string; cleanup: () => Promise<void> };
let example: string | undefined;
let upstream: Awaited<ReturnType<typeof startServer>>;
const running: ServeProcess[] = [];

beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli.chunks'))) execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'ignore' });
  tmp = await makeTempDir('ciw-serve-trace-');
  if (buildCPlugin('example-plugin.c', tmp.dir)) example = path.join(tmp.dir, 'example-plugin.wasm');
  upstream = await startServer(echoHandler());
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  await upstream?.close();
  await tmp?.cleanup();
});

async function serve(args: string[]): Promise<ServeProcess> {
  const s = await startServe(args);
  running.push(s);
  return s;
}

const uiOf = (s: ServeProcess) => /ui: (http:\/\/127\.0\.0\.1:\d+\/ui\/)/.exec(s.stderr())?.[1];

/** The first `exchange` event of /ui/events, bounded in time. */
function firstEvent(url: string, trigger: () => Promise<unknown>): Promise<{ id: number; path: string; status: number }> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no server-sent event in 5 s')), 5000);
    const req = http.get(url, (res) => {
      expect(res.headers['content-type']).toBe('text/event-stream');
      let text = '';
      res.on('data', (d: Buffer) => {
        text += d.toString();
        const m = /event: exchange\ndata: (.*)\n\n/.exec(text);
        if (m?.[1]) {
          clearTimeout(timer);
          req.destroy();
          resolve(JSON.parse(m[1]) as { id: number; path: string; status: number });
        }
      });
      void trigger();
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
  });
}

describe('istio-wasm serve: traces', () => {
  it('serves the timeline page and its API beside the stats, streams exchanges live, and appends --trace FILE masked', async ({ skip }) => {
    if (!example) return skip('clang missing');
    const file = path.join(tmp.dir, 'traces.jsonl');
    const s = await serve(['--wasm', example, '--upstream', upstream.url, '--root-id', 'demo', '--plugin-config', '{"responseHeader":"x-demo"}', '--trace', file]);
    const ui = uiOf(s);
    expect(ui).toBeDefined();
    expect(new URL(ui!).port).toBe(new URL(s.statsUrl).port);
    const page = await fetch(ui!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<script src="app.js">');
    expect((await fetch(`${ui}app.js`)).headers.get('content-type')).toMatch(/javascript/);

    const event = await firstEvent(`${ui}events`, () => fetch(`${s.url}/hello`, { headers: { authorization: 'Bearer sekret-token' } }).then((r) => r.text()));
    expect(event).toMatchObject({ id: 1, path: '/hello', status: 200 });
    expect((await fetch(`${s.url}/v2/private`)).status).toBe(401);

    const list = (await (await fetch(`${ui}api/exchanges`)).json()) as Array<{ id: number; status: number; answeredBy: string }>;
    expect(list.map((e) => [e.id, e.status, e.answeredBy])).toEqual([[1, 200, 'upstream'], [2, 401, 'example-plugin']]);
    const one = (await (await fetch(`${ui}api/exchanges/1`)).json()) as { request: { headers: string[][] }; plugins: Array<{ name: string; callbacks: Array<{ callback: string; after?: string[][] }> }>; response: { headers: string[][] } };
    expect(one.request.headers).toContainEqual(['authorization', 'Bearer ***']);
    const cbs = one.plugins[0]!.callbacks;
    expect(cbs.map((c) => c.callback)).toEqual(expect.arrayContaining(['proxy_on_request_headers', 'proxy_on_response_headers', 'proxy_on_done']));
    expect(cbs.find((c) => c.callback === 'proxy_on_response_headers')?.after).toContainEqual(['x-demo', 'demo']);
    expect(one.response.headers).toContainEqual(['x-demo', 'demo']);
    expect((await fetch(`${ui}api/exchanges/99`)).status).toBe(404);

    // The file has every exchange, one JSON object per line, with the credential masked.
    await new Promise((r) => setTimeout(r, 200));
    const lines = readFileSync(file, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(2);
    const traces = lines.map((l) => JSON.parse(l) as { format: string; version: number; path: string; answeredBy: string; local?: { status: number } });
    expect(traces.map((t) => [t.format, t.version, t.path, t.answeredBy])).toEqual([['istio-wasm-trace', 1, '/hello', 'upstream'], ['istio-wasm-trace', 1, '/v2/private', 'example-plugin']]);
    expect(traces[1]?.local?.status).toBe(401);
    // (The echo upstream repeats the header in its body: bodies are recorded as they are.)
    expect(readFileSync(file, 'utf8')).not.toContain('["authorization","Bearer sekret-token"]');
    expect(readFileSync(file, 'utf8')).toContain('["authorization","Bearer ***"]');
    expect(await s.stop()).toBe(0);
  });

  it('--trace-secrets keeps credentials; --no-trace records nothing and serves no page', async ({ skip }) => {
    if (!example) return skip('clang missing');
    const file = path.join(tmp.dir, 'secrets.jsonl');
    const s = await serve(['--wasm', example, '--upstream', upstream.url, '--trace', file, '--trace-secrets']);
    await (await fetch(`${s.url}/a`, { headers: { authorization: 'Bearer kept' } })).text();
    await new Promise((r) => setTimeout(r, 200));
    expect(readFileSync(file, 'utf8')).toContain('"Bearer kept"');
    expect(readFileSync(file, 'utf8')).toContain('"secrets":true');
    await s.stop();

    const off = await serve(['--wasm', example, '--upstream', upstream.url, '--no-trace']);
    expect(uiOf(off)).toBeUndefined();
    expect((await fetch(`${off.url}/a`)).status).toBe(200);
    const admin = new URL(off.statsUrl);
    expect((await fetch(`${admin.origin}/ui/`)).status).toBe(404);
    await off.stop();
  });

  it('--trace FILE that fails after start (a full disk) is reported once on stderr, and serve keeps serving', async ({ skip }) => {
    if (!example) return skip('clang missing');
    // /dev/full opens, and every write to it fails with ENOSPC.
    const s = await serve(['--wasm', example, '--upstream', upstream.url, '--trace', '/dev/full']);
    expect((await fetch(`${s.url}/one`)).status).toBe(200);
    const deadline = Date.now() + 5000;
    while (!/cannot append to --trace file \/dev\/full/.test(s.stderr()) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(s.stderr()).toMatch(/cannot append to --trace file \/dev\/full: .*ENOSPC|no space/i);
    expect((await fetch(`${s.url}/two`)).status).toBe(200);
    expect((await fetch(`${s.url}/three`)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 200));
    expect(s.stderr().match(/cannot append to --trace file/g)).toHaveLength(1);
    // The page still has every exchange.
    const list = (await (await fetch(`${uiOf(s)}api/exchanges`)).json()) as Array<{ path: string }>;
    expect(list.map((e) => e.path)).toEqual(['/one', '/two', '/three']);
    expect(await s.stop()).toBe(0);
  });
});
