#!/usr/bin/env node
// Benchmarks of recording (issue 11), as ratios measured in one run:
//  1. requests/s through `serve` with recording on (the default: ring of 200, the page's store)
//     against `serve --no-trace`, same plugin, same upstream (goal: >= 0.9x); interleaved rounds,
//     load from autocannon in its own process, each server in its own process. The ratio judged is
//     best of each (other work on the machine only ever slows a round down, so each side's best round
//     is the one least disturbed); each round's pair (run back to back) is printed beside it;
//  1b. the same pair side by side: both servers under load at once, each with its own upstream and
//     autocannon, so whatever else the machine does weighs on both alike (requests served by each in
//     the same seconds; median of the rounds);
//  2. JS heap after 100k traced exchanges against after 1k, through serve's trace store and the
//     host's recorder (goal: <= 1.1x: the ring is bounded, nothing else grows).
// Needs `npm run build` first. Run: node bench/trace.mjs [--duration 5] [--connections 50] [--rounds 5] [--json]
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { spawn } from 'node:child_process';
import { bestOfRounds, buildExample, runAsScript, startProcess, upstreamScript } from './host.mjs';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const host = await import(pathToFileURL(path.join(repoRoot, 'dist', 'host.js')).href).catch(() => {
  throw new Error('bench/trace.mjs needs the built host: run `npm run build` first');
});
const { TraceStore } = host;

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length === 0 ? NaN : sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

function throughput({ example, duration, connections, rounds }) {
  const cli = path.join(repoRoot, 'bin', 'istio-wasm.js');
  const serve = (upstream, ...extra) => [cli, 'serve', '--wasm', example, '--upstream', upstream, '--listen', '127.0.0.1:0', '--log-level', 'error', ...extra];
  return bestOfRounds(
    (upstream) => [
      ['serve --no-trace', serve(upstream, '--no-trace'), /serving on (http:\/\/\S+)/],
      ['serve, recording', serve(upstream), /serving on (http:\/\/\S+)/],
    ],
    { duration, connections, rounds },
  );
}

/** Requests autocannon completed against `url` in `duration` seconds (run in its own process, not waited on). */
function load(url, { duration, connections }) {
  const bin = path.join(repoRoot, 'node_modules', 'autocannon', 'autocannon.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, '-j', '-c', String(connections), '-d', String(duration), '-H', 'authorization=Bearer x', url], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', () => {
      try {
        resolve(JSON.parse(out).requests.total);
      } catch (error) {
        reject(error);
      }
    });
  });
}

/** Recording / --no-trace with both servers under load at the same time: one ratio per round. */
async function sideBySide({ example, duration, connections, rounds }) {
  const cli = path.join(repoRoot, 'bin', 'istio-wasm.js');
  const ratios = [];
  for (let round = 0; round < rounds; round++) {
    const started = [];
    try {
      const start = async (args, ready, label) => {
        const p = await startProcess(args, ready, label);
        started.push(p);
        return p;
      };
      const upOff = await start(['-e', upstreamScript], /listening (http:\/\/\S+)/, 'upstream');
      const upOn = await start(['-e', upstreamScript], /listening (http:\/\/\S+)/, 'upstream');
      const serve = (upstream, ...extra) => [cli, 'serve', '--wasm', example, '--upstream', upstream, '--listen', '127.0.0.1:0', '--log-level', 'error', ...extra];
      const off = await start(serve(upOff.url, '--no-trace'), /serving on (http:\/\/\S+)/, 'serve --no-trace');
      const on = await start(serve(upOn.url), /serving on (http:\/\/\S+)/, 'serve, recording');
      await Promise.all([load(`${off.url}/public/path`, { duration: 1, connections }), load(`${on.url}/public/path`, { duration: 1, connections })]); // warm-up
      const [a, b] = await Promise.all([load(`${off.url}/public/path`, { duration, connections }), load(`${on.url}/public/path`, { duration, connections })]);
      ratios.push(b / a);
    } finally {
      for (const p of started.reverse()) await p.stop();
    }
  }
  return ratios;
}

async function memory({ exampleBytes }) {
  const plugin = await host.Plugin.load({ module: exampleBytes, pluginConfig: {}, rootId: 'bench', trace: true });
  const store = new TraceStore({ capacity: 200 });
  const ok = new TextEncoder().encode('ok');
  const run = async (n) => {
    for (let i = 0; i < n; i++) {
      const rec = store.begin([plugin]);
      const chain = new host.Chain([plugin.newStream(undefined, rec.streams[0])]);
      const req = new host.HeaderMap([[':method', 'GET'], [':path', `/public/${i}`], [':authority', 'example.com'], ['x-request-id', String(i)], ['authorization', 'Bearer x']]);
      rec.request(req);
      await chain.requestHeaders(req, true);
      rec.upstreamRequest(req);
      const res = new host.HeaderMap([[':status', '200'], ['content-length', '2']]);
      rec.upstreamResponse(200, res);
      rec.upstreamResponseBody(ok);
      await chain.responseHeaders(res, false);
      await chain.responseData(ok, true);
      rec.response(200, res);
      rec.responseBody(ok);
      chain.finish();
      rec.finish();
    }
  };
  const sample = () => {
    gc();
    gc();
    return process.memoryUsage().heapUsed;
  };
  await run(1_000);
  const after1k = sample();
  await run(99_000);
  const after100k = sample();
  return { after1k, after100k, kept: store.list().length, recorded: store.total };
}

export async function runTraceBench(options = {}) {
  const log = options.quiet ? () => {} : (line) => process.stdout.write(`${line}\n`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ciw-bench-trace-'));
  try {
    const example = buildExample(dir);
    const exampleBytes = new Uint8Array(readFileSync(example.file));
    log(`trace benchmarks (example plugin: ${example.kind})`);
    const mem = await memory({ exampleBytes });
    const heapRatio = mem.after100k / mem.after1k;
    log(`  JS heap after 100k traced exchanges vs 1k: ${(mem.after1k / 1e6).toFixed(1)} -> ${(mem.after100k / 1e6).toFixed(1)} MB (${heapRatio.toFixed(2)}x), ${mem.kept} of ${mem.recorded} kept (goal <= 1.1x: ${heapRatio <= 1.1 ? 'met' : 'NOT met'})`);
    const rps = await throughput({ example: example.file, duration: options.duration ?? 5, connections: options.connections ?? 50, rounds: options.rounds ?? 5 });
    const off = rps['serve --no-trace']?.rps ?? NaN;
    for (const [label, r] of Object.entries(rps)) log(`  ${label.padEnd(20)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${r.p99ms} ms  errors ${r.errors}  (${(r.rps / off).toFixed(2)}x --no-trace)`);
    const ratio = (rps['serve, recording']?.rps ?? 0) / off;
    const on = rps['serve, recording']?.rounds ?? [];
    const pairs = (rps['serve --no-trace']?.rounds ?? []).map((o, i) => (on[i] ?? 0) / o);
    log(`    recording / --no-trace: ${ratio.toFixed(2)}x, best of each in ${pairs.length} rounds (goal >= 0.9x: ${ratio >= 0.9 ? 'met' : 'NOT met'}); each round's pair: ${pairs.map((r) => r.toFixed(2)).join(' ')} (median ${median(pairs).toFixed(2)}x)`);
    const side = await sideBySide({ example: example.file, duration: options.duration ?? 5, connections: options.connections ?? 50, rounds: 3 });
    const sideRatio = median(side);
    log(`    side by side (both under load at once): ${sideRatio.toFixed(2)}x, the median of ${side.length} rounds (${side.map((r) => r.toFixed(2)).join(' ')}) (goal >= 0.9x: ${sideRatio >= 0.9 ? 'met' : 'NOT met'})`);
    return { example: example.kind, memory: { ...mem, heapRatio }, throughput: { ...rps, recordingToNoTrace: ratio, pairRatios: pairs, sideBySide: side, sideBySideRatio: sideRatio } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runAsScript(runTraceBench);
