import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';
import { startServe, startServer, type ServeProcess } from '../helpers/serve.js';
import { fixturesDir, wat } from '../unit/host/fixtures.js';

// `istio-wasm replay` of a plugin that asks a gRPC service (test/fixtures/wat/grpc-check.wat: a
// unary call, or a stream for /s… paths), recorded by the built CLI's `serve --trace` against a real
// h2c gRPC server. Replay answers the calls and streams from the recording with the gRPC server
// gone, runs the plugin with the configuration recorded with each exchange, and reports a call the
// recording has no answer for as a change.
let tmp: { dir: string; cleanup: () => Promise<void> };
let upstream: Awaited<ReturnType<typeof startServer>>;
let grpc: http2.Http2Server | undefined;
let recording: string;
let plugin: string;
const running: ServeProcess[] = [];
const config = { mode: 'strict', limit: 3 };

/** Length-prefixed gRPC frames in a body. */
function frames(data: Buffer): string[] {
  const out: string[] = [];
  for (let at = 0; at + 5 <= data.length; ) {
    const len = data.readUInt32BE(at + 1);
    out.push(data.subarray(at + 5, at + 5 + len).toString());
    at += 5 + len;
  }
  return out;
}
const frame = (s: string) => {
  const b = Buffer.alloc(5 + Buffer.byteLength(s));
  b.writeUInt32BE(Buffer.byteLength(s), 1);
  b.write(s, 5);
  return b;
};

/** authz.Checker: Check allows /ok, refuses the rest with grpc-status 7; Watch answers "allow" after the client's last message. */
async function startGrpc(): Promise<{ server: http2.Http2Server; url: string }> {
  const server = http2.createServer();
  server.on('stream', (stream, headers) => {
    const chunks: Buffer[] = [];
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('end', () => {
      const messages = frames(Buffer.concat(chunks));
      stream.respond({ ':status': 200, 'content-type': 'application/grpc', 'x-checker': 'v1' }, { waitForTrailers: true });
      stream.on('wantTrailers', () => stream.sendTrailers(headers[':path'] === '/authz.Checker/Check' && messages[0] !== '/ok' ? { 'grpc-status': '7', 'grpc-message': 'not allowed' } : { 'grpc-status': '0' }));
      if (headers[':path'] === '/authz.Checker/Watch') {
        stream.write(frame(`seen ${messages.length}`));
        stream.end(frame(messages.at(-1) === 'more' ? 'allow' : 'deny'));
      } else stream.end(frame(messages[0] === '/ok' ? 'allow' : `no entry for ${messages[0] ?? ''}`));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, 'dist', 'cli.chunks'))) execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'ignore' });
  tmp = await makeTempDir('ciw-replay-grpc-');
  plugin = path.join(tmp.dir, 'grpc-check.wasm');
  writeFileSync(plugin, await wat('grpc-check.wat'));
  upstream = await startServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('from upstream\n');
  });
  const g = await startGrpc();
  grpc = g.server;
  recording = path.join(tmp.dir, 'session.jsonl');
  const s = await startServe(['--wasm', plugin, '--upstream', upstream.url, '--plugin-config', JSON.stringify(config), '--cluster', `authz=${g.url}`, '--trace', recording]);
  running.push(s);
  const ok = await fetch(`${s.url}/ok`);
  expect(ok.status).toBe(200);
  expect(ok.headers.get('x-config')).toBe('{"limit":3,"mode":"strict"}');
  const no = await fetch(`${s.url}/no`);
  expect([no.status, await no.text()]).toEqual([403, 'no entry for /no']);
  expect((await fetch(`${s.url}/stream`)).status).toBe(200);
  await s.stop();
  // No gRPC service from here on: replay answers from the recording.
  await new Promise<void>((resolve) => g.server.close(() => resolve()));
  grpc = undefined;
});

afterAll(async () => {
  await Promise.all(running.map((s) => s.stop()));
  await upstream?.close();
  grpc?.close();
  await tmp?.cleanup();
});

describe('istio-wasm replay: gRPC callouts and the recorded configuration', () => {
  it('records the gRPC calls, the stream and the configuration in the trace file', () => {
    const lines = readFileSync(recording, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { path: string; plugins: Array<{ configuration: unknown; callouts: Array<Record<string, unknown>> }> });
    expect(lines.map((l) => l.path)).toEqual(['/ok', '/no', '/stream']);
    expect(lines[0]?.plugins[0]?.configuration).toEqual({ size: 27, json: { limit: 3, mode: 'strict' } });
    expect(lines[1]?.plugins[0]?.callouts[0]).toMatchObject({ kind: 'grpc', cluster: 'authz', request: { service: 'authz.Checker', method: 'Check', body: { size: 3, text: '/no' } }, response: { status: 7, statusMessage: 'not allowed', body: { text: 'no entry for /no' } } });
    const stream = lines[2]?.plugins[0]?.callouts[0];
    expect(stream).toMatchObject({ kind: 'grpc-stream', sent: 2, response: { status: 0 } });
    expect((stream?.events as Array<Record<string, unknown>>).map((e) => Object.keys(e).filter((k) => k !== 't').sort().join())).toEqual(['initialMetadata,sent', 'message,sent', 'message,sent', 'sent,trailingMetadata']);
  });

  it('replays with no gRPC service and the recorded configuration: exit 0, nothing changed', async () => {
    const r = await runCli(['replay', recording, '--wasm', plugin], { cwd: tmp.dir });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('#1 GET /ok: unchanged (200)');
    expect(r.stdout).toContain('#2 GET /no: unchanged (403)');
    expect(r.stdout).toContain('#3 GET /stream: unchanged (200)');
    expect(r.stdout).toContain('3 exchanges replayed: nothing changed');
  });

  it('a build that calls another method: the call the recording has no answer for is a change, not a crash', async () => {
    const changed = path.join(tmp.dir, 'grpc-verify.wasm');
    writeFileSync(changed, await wat(readFileSync(path.join(fixturesDir, 'wat', 'grpc-check.wat'), 'utf8').replace('"Check"', '"Vrify"')));
    const r = await runCli(['replay', recording, '--wasm', changed], { cwd: tmp.dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('#1 GET /ok: CHANGED\n  status: 200 -> 403\n');
    expect(r.stdout).toContain('  callouts: grpc-check: grpc authz authz.Checker/Check -> grpc-check: grpc authz authz.Checker/Vrify\n');
    expect(r.stdout).toContain('  callouts without a recorded answer (grpc-check): (none) -> grpc authz authz.Checker/Vrify\n');
    expect(r.stdout).toContain('#3 GET /stream: unchanged (200)');
    expect(r.stdout).toContain('3 exchanges replayed: 2 changed');
  });

  it('--plugin-config overrides the recorded configuration and says that they differ', async () => {
    const r = await runCli(['replay', recording, '--wasm', plugin, '--plugin-config', '{"mode":"lax"}'], { cwd: tmp.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('grpc-check: --plugin-config differs from the recorded configuration: recorded {"limit":3,"mode":"strict"}, now {"mode":"lax"}');
    expect(r.stdout).toContain('#1 GET /ok: CHANGED\n  header sent downstream x-config: {"limit":3,"mode":"strict"} -> {"mode":"lax"}\n');
    const same = await runCli(['replay', recording, '--wasm', plugin, '--plugin-config', JSON.stringify({ limit: 3, mode: 'strict' }), '--json'], { cwd: tmp.dir });
    expect(same.code).toBe(0);
    expect(JSON.parse(same.stdout)).toMatchObject({ source: 'trace', total: 3, changed: 0, warnings: [] });
  });

  it('--json prints the report docs/trace-format.md describes, field for field', async () => {
    const r = await runCli(['replay', recording, '--wasm', plugin, '--plugin-config', '{"mode":"lax"}', '--json'], { cwd: tmp.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('');
    const report = JSON.parse(r.stdout) as Record<string, unknown> & { exchanges: Array<Record<string, unknown> & { differences: Array<Record<string, unknown>> }>; warnings: string[] };
    const docs = readFileSync(path.join(repoRoot, 'docs', 'trace-format.md'), 'utf8');
    const section = docs.slice(docs.indexOf('### The replay report'));
    const tables = section.split(/\n(?=An \*\*exchange\*\* of the report)/);
    // The first column of each table: `a`, `b` names.
    const fields = (table: string | undefined) => [...(table ?? '').matchAll(/^\| (`[^|]+`) \|/gm)].flatMap((m) => [...(m[1] ?? '').matchAll(/`(\w+)`/g)].map((x) => x[1]));
    expect(Object.keys(report).sort()).toEqual(fields(tables[0]).sort());
    const documented = fields(tables[1]);
    for (const e of report.exchanges) for (const k of Object.keys(e)) expect(documented).toContain(k);
    expect(report.exchanges[0]?.differences[0]).toEqual({ what: 'header sent downstream x-config', recorded: '{"limit":3,"mode":"strict"}', replayed: '{"mode":"lax"}' });
    expect(report.warnings).toEqual(['grpc-check: --plugin-config differs from the recorded configuration: recorded {"limit":3,"mode":"strict"}, now {"mode":"lax"}']);
  });

  it('replay --help states the HAR comparison rules', async () => {
    const { HOP_BY_HOP_HEADERS, VOLATILE_HEADERS } = await import('../../src/replay/har-differ.js');
    const help = (await runCli(['replay', '--help'], { cwd: tmp.dir })).stdout.replace(/\s+/g, ' ');
    for (const h of [...HOP_BY_HOP_HEADERS, ...VOLATILE_HEADERS]) expect(help).toMatch(new RegExp(`[ (]${h.replace('*', '\\*')}[,)]`));
    expect(help).toContain('--ignore-header');
    expect(help).toContain('gRPC calls and gRPC streams');
  });

  it('a configuration with credentials is masked in the file; replay runs the current one and says why', async () => {
    const file = path.join(tmp.dir, 'masked.jsonl');
    const secretConfig = '{"mode":"strict","apiToken":"s3cret"}';
    // Nothing listens on port 9 of 127.0.0.1: the gRPC call fails, and replay gives the plugin that failure again.
    const s = await startServe(['--wasm', plugin, '--upstream', upstream.url, '--plugin-config', secretConfig, '--cluster', 'authz=http://127.0.0.1:9', '--trace', file]);
    running.push(s);
    expect((await fetch(`${s.url}/ok`)).status).toBe(403);
    await s.stop();
    const line = JSON.parse(readFileSync(file, 'utf8').trim()) as { plugins: Array<{ configuration: unknown; callouts: Array<{ response: unknown }> }> };
    expect(line.plugins[0]?.configuration).toEqual({ size: 37, json: { apiToken: '***', mode: 'strict' }, masked: true });
    expect(line.plugins[0]?.callouts[0]?.response).toMatchObject({ status: 14 });
    const r = await runCli(['replay', file, '--wasm', plugin, '--plugin-config', secretConfig], { cwd: tmp.dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('#1 GET /ok: unchanged (403)');
    expect(r.stderr).toContain('grpc-check: the recording masked credentials in the configuration: replaying with --plugin-config; record with `serve --trace-secrets` to replay the configuration as it was');
  });

  it('a call to a cluster serve did not know is refused again at replay: unchanged', async () => {
    const file = path.join(tmp.dir, 'refused.jsonl');
    const s = await startServe(['--wasm', plugin, '--upstream', upstream.url, '--trace', file]);
    running.push(s);
    expect((await fetch(`${s.url}/ok`)).status).toBe(403);
    await s.stop();
    const line = JSON.parse(readFileSync(file, 'utf8').trim()) as { plugins: Array<{ callouts: unknown[]; callbacks: Array<{ calls: Array<Record<string, unknown>> }> }> };
    expect(line.plugins[0]?.callouts).toEqual([]);
    expect(line.plugins[0]?.callbacks.flatMap((c) => c.calls).find((c) => c.call === 'proxy_grpc_call')).toMatchObject({ cluster: 'authz', status: 'BAD_ARGUMENT' });
    const r = await runCli(['replay', file, '--wasm', plugin], { cwd: tmp.dir });
    expect([r.code, r.stdout]).toEqual([0, '#1 GET /ok: unchanged (403)\n1 exchange replayed: nothing changed\n']);
  });

  it('an old trace without the configuration still replays (with --plugin-config, or none)', async () => {
    const old = path.join(tmp.dir, 'old.jsonl');
    const lines = readFileSync(recording, 'utf8').trim().split('\n').map((l) => {
      const e = JSON.parse(l) as { plugins: Array<Record<string, unknown>> };
      for (const p of e.plugins) delete p.configuration;
      return JSON.stringify(e);
    });
    writeFileSync(old, `${lines.join('\n')}\n`);
    const r = await runCli(['replay', old, '--wasm', plugin, '--plugin-config', JSON.stringify(config)], { cwd: tmp.dir });
    expect([r.code, r.stderr]).toEqual([0, '']);
    const none = await runCli(['replay', old, '--wasm', plugin], { cwd: tmp.dir });
    expect(none.code).toBe(1);
    expect(none.stdout).toContain('#1 GET /ok: CHANGED\n  header sent downstream x-config: {"limit":3,"mode":"strict"} -> \n');
  });
});
