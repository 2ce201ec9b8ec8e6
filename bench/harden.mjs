#!/usr/bin/env node
// `npm run harden` (also part of `npm run bench`): the figures of issue 15.
//  1. Property-based areas: runs the property test files (the SDK inside the host, the host under
//     hostile modules) with HARDEN_REPORT set, and prints the cases tried and failures per area.
//  2. serve under hostile traffic, in this process, on serve bundled as `npm run build` bundles it:
//     1,000 concurrent requests while slow clients hold connections, clients abort mid-body, the
//     upstream resets requests and smuggling attempts arrive; prints requests held (answered right), open plugin contexts after
//     the run (must be 0) and the JS heap after the run against before (after a full GC; goal <= 1.1x).
// `node bench/harden.mjs --traffic-only` skips part 1; `--json` prints the figures as one JSON object.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { loadSource } from './load-source.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const json = args.includes('--json');
const figures = { areas: {}, traffic: {} };
let failed = false;

// ---- 1. property-based areas ---------------------------------------------------------------------
if (!args.includes('--traffic-only')) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ciw-harden-'));
  const report = path.join(dir, 'report.jsonl');
  writeFileSync(report, '');
  const files = ['test/unit/host/host-hostile.test.ts', 'test/integration/sdk-properties.test.ts'];
  const started = Date.now();
  const run = spawnSync(process.execPath, [path.join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs'), 'run', ...files], {
    cwd: repoRoot,
    env: { ...process.env, HARDEN_REPORT: report },
    encoding: 'utf8',
  });
  const seconds = (Date.now() - started) / 1000;
  for (const line of readFileSync(report, 'utf8').split('\n').filter(Boolean)) {
    const { area, cases, failures } = JSON.parse(line);
    const a = (figures.areas[area] ??= { cases: 0, failures: 0 });
    a.cases += cases;
    a.failures += failures;
  }
  rmSync(dir, { recursive: true, force: true });
  if (run.status !== 0) {
    failed = true;
    process.stderr.write(`${run.stdout}\n${run.stderr}\n`);
  }
  figures.propertySeconds = seconds;
  if (!json) {
    console.log(`property-based areas (${seconds.toFixed(1)} s for ${files.length} files):`);
    for (const [area, a] of Object.entries(figures.areas)) console.log(`  ${area.padEnd(34)} ${String(a.cases).padStart(7)} cases  ${a.failures} failures`);
  }
  if (Object.values(figures.areas).some((a) => a.failures > 0) || Object.keys(figures.areas).length === 0) failed = true;
}

// ---- 2. serve under hostile traffic --------------------------------------------------------------
v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');
const { startServe } = await loadSource('src/serve/index.ts');

const wabt = await (await import('wabt')).default();
const watFile = path.join(repoRoot, 'test', 'fixtures', 'wat', 'continue-only.wat');
const parsed = wabt.parseWat(watFile, readFileSync(watFile, 'utf8'), {});
const work = mkdtempSync(path.join(os.tmpdir(), 'ciw-harden-serve-'));
const wasmPath = path.join(work, 'continue-only.wasm');
writeFileSync(wasmPath, parsed.toBinary({}).buffer);
parsed.destroy();

const upstream = http.createServer((req, res) => {
  if (req.url === '/reset') return req.socket.destroy();
  req.resume();
  req.on('end', () => res.end('ok'));
});
await new Promise((r) => upstream.listen(0, '127.0.0.1', r));
const upstreamUrl = new URL(`http://127.0.0.1:${upstream.address().port}`);

const spec = { name: 'continue-only', wasmPath, rootId: '', env: {}, failStrategy: 'FAIL_CLOSE', source: 'bench', fromProject: false };
const serve = await startServe(
  { plugins: [spec], upstream: upstreamUrl, host: '127.0.0.1', port: 0, statsHost: '127.0.0.1', statsPort: 0, clusters: {}, watch: false, logLevel: 'error', project: undefined, trace: false, traceFile: undefined, traceSecrets: false },
  { onEvent: () => {} },
);
const target = new URL(serve.url);
const agent = new http.Agent({ keepAlive: true, maxSockets: 1000 });

function request(pathname, body) {
  return new Promise((resolve) => {
    const req = http.request({ host: target.hostname, port: target.port, path: pathname, method: body ? 'POST' : 'GET', agent }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode));
      res.on('error', () => resolve(0));
    });
    req.on('error', () => resolve(0));
    req.end(body);
  });
}

function rawSocket(data) {
  const socket = net.connect(Number(target.port), target.hostname);
  socket.on('error', () => {});
  socket.write(data);
  return socket;
}

async function openContexts() {
  const text = await (await fetch(serve.statsUrl)).text();
  return [...text.matchAll(/^istio_wasm_serve_open_contexts\{[^}]*\} (\d+)$/gm)].reduce((n, m) => n + Number(m[1]), 0);
}

async function settle() {
  for (let i = 0; i < 5; i++) {
    await new Promise((r) => setTimeout(r, 50));
    gc();
  }
  return process.memoryUsage().heapUsed;
}

// Warm-up: code paths compiled, pools filled.
for (let round = 0; round < 4; round++) await Promise.all(Array.from({ length: 250 }, (_, i) => request(`/warm/${i}`, 'x'.repeat(100))));
const before = await settle();

const hostile = [];
// Slow clients: headers trickle in and never finish (held open while the others are served).
const slow = Array.from({ length: 100 }, () => rawSocket(`GET /slow HTTP/1.1\r\nHost: x\r\nX-Slow: `));
// Clients that abort mid-body.
for (let i = 0; i < 100; i++) {
  const s = rawSocket(`POST /abort HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n${'y'.repeat(1000)}`);
  hostile.push(new Promise((r) => setTimeout(() => { s.destroy(); r(); }, 20 + (i % 50))));
}
// Smuggling attempts: conflicting Content-Length / Transfer-Encoding.
const smuggled = [];
for (let i = 0; i < 50; i++) {
  smuggled.push(new Promise((resolve) => {
    const s = rawSocket(`POST /smuggle HTTP/1.1\r\nHost: x\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /smuggled HTTP/1.1\r\nHost: x\r\n\r\n`);
    let got = '';
    s.on('data', (d) => (got += d));
    s.on('close', () => resolve(got.startsWith('HTTP/1.1 400')));
    setTimeout(() => s.destroy(), 15000);
  }));
}
// Upstream resets, and the 1,000 concurrent requests that must all be answered.
const resets = Array.from({ length: 100 }, () => request('/reset'));
const good = Array.from({ length: 1000 }, (_, i) => request(`/ok/${i}`, i % 2 ? 'body' : undefined));
const statuses = await Promise.all(good);
const resetStatuses = await Promise.all(resets);
const smuggleRefused = (await Promise.all(smuggled)).filter(Boolean).length;
await Promise.all(hostile);
for (const s of slow) s.destroy();
agent.destroy();
await new Promise((r) => setTimeout(r, 200));
const open = await openContexts();
const after = await settle();

const held = statuses.filter((s) => s === 200).length;
figures.traffic = {
  requests: good.length,
  held,
  upstreamResetsAnswered503: resetStatuses.filter((s) => s === 503).length,
  smugglingRefused400: smuggleRefused,
  slowClients: slow.length,
  abortedMidBody: 100,
  openContextsAfter: open,
  heapBeforeMiB: +(before / 1048576).toFixed(1),
  heapAfterMiB: +(after / 1048576).toFixed(1),
  memoryRatio: +(after / before).toFixed(3),
};
await serve.close();
upstream.closeAllConnections();
upstream.close();
rmSync(work, { recursive: true, force: true });

const t = figures.traffic;
if (t.held !== t.requests || t.openContextsAfter !== 0 || t.upstreamResetsAnswered503 !== 100 || t.smugglingRefused400 !== 50) failed = true;
if (json) console.log(JSON.stringify(figures));
else {
  console.log('serve under hostile traffic:');
  console.log(`  requests held            ${t.held}/${t.requests} answered 200 while ${t.slowClients} slow clients held connections and ${t.abortedMidBody} aborted mid-body`);
  console.log(`  upstream resets          ${t.upstreamResetsAnswered503}/100 answered 503`);
  console.log(`  smuggling attempts       ${t.smugglingRefused400}/50 refused with 400`);
  console.log(`  open contexts after      ${t.openContextsAfter}`);
  console.log(`  memory ratio             ${t.memoryRatio}x (JS heap after GC: ${t.heapBeforeMiB} MiB before, ${t.heapAfterMiB} MiB after; goal <= 1.1x)`);
}
process.exit(failed ? 1 : 0);
