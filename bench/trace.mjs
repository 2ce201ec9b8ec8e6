#!/usr/bin/env node
// Benchmarks of recording (issue 11), as ratios measured in one run:
//  1. requests/s through `serve` with recording on (the default: ring of 200, the page's store)
//     against `serve --no-trace`, same plugin, same upstream (goal: >= 0.9x). Both servers run the
//     whole time, each in its own process, load from autocannon in its own process; short loads are
//     taken in turn (--no-trace, recording, --no-trace, …, --no-trace) and each recording load is set
//     against the mean of the --no-trace loads either side of it, so a slow spell of the machine that
//     lasts a few seconds weighs on both sides of a ratio. The ratio judged is the median of those.
//     Each server's CPU time per request (from /proc, on Linux) is set side by side too: the cost of
//     recording as the process pays it, whatever else the machine runs;
//  1b. the same pair side by side: both servers under load at once, each with its own upstream and
//     autocannon, so whatever else the machine does weighs on both alike (requests served by each in
//     the same seconds; median of 3 rounds);
//  2. JS heap after 100k traced exchanges against after 1k, through serve's trace store and the
//     host's recorder (goal: <= 1.1x: the ring is bounded, nothing else grows).
// Needs `npm run build` first.
// Run: node bench/trace.mjs [--duration 2] [--connections 50] [--rounds 10] [--json]
//   --duration: seconds of each load in turn (side by side: 2.5 times as long); --rounds: recording loads.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import { execFileSync, spawn } from 'node:child_process';
import { buildExample, runAsScript, startProcess, upstreamScript } from './host.mjs';

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

/** startProcess, keeping what it started in `started` (to stop it all whatever fails). */
function starter(started) {
  return async (args, ready, label) => {
    const p = await startProcess(args, ready, label);
    started.push(p);
    return p;
  };
}

/** CPU seconds (user + system) a process has used so far, from /proc (Linux); undefined elsewhere. */
function cpuSeconds(pid) {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / clockTicks;
  } catch {
    return undefined;
  }
}
const clockTicks = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/**
 * Recording against --no-trace, both servers up the whole time: loads of `duration` seconds in turn,
 * off, on, off, …, off (`rounds` recording loads); each recording load against the mean of the
 * --no-trace loads either side of it.
 */
async function alternating({ example, duration, connections, rounds }) {
  const cli = path.join(repoRoot, 'bin', 'istio-wasm.js');
  const started = [];
  try {
    const start = starter(started);
    const upstream = await start(['-e', upstreamScript], /listening (http:\/\/\S+)/, 'upstream');
    const serve = (...extra) => [cli, 'serve', '--wasm', example, '--upstream', upstream.url, '--listen', '127.0.0.1:0', '--log-level', 'error', ...extra];
    const off = await start(serve('--no-trace'), /serving on (http:\/\/\S+)/, 'serve --no-trace');
    const on = await start(serve(), /serving on (http:\/\/\S+)/, 'serve, recording');
    for (const server of [off, on, off, on]) await load(`${server.url}/public/path`, { duration: 1, connections }); // warm-up
    const measure = async (server) => {
      const before = cpuSeconds(server.pid);
      const r = await load(`${server.url}/public/path`, { duration, connections });
      const after = cpuSeconds(server.pid);
      return { rps: r.total / r.seconds, errors: r.errors, cpuUsPerRequest: before === undefined || after === undefined || r.total === 0 ? undefined : ((after - before) * 1e6) / r.total };
    };
    const offs = [await measure(off)];
    const ons = [];
    for (let i = 0; i < rounds; i++) {
      ons.push(await measure(on));
      offs.push(await measure(off));
    }
    const ratios = ons.map((o, i) => o.rps / ((offs[i].rps + offs[i + 1].rps) / 2));
    const cpu = ons.every((o) => o.cpuUsPerRequest !== undefined) && offs.every((o) => o.cpuUsPerRequest !== undefined)
      ? ons.map((o, i) => (offs[i].cpuUsPerRequest + offs[i + 1].cpuUsPerRequest) / 2 / o.cpuUsPerRequest)
      : undefined;
    return { off: offs, on: ons, ratios, ratio: median(ratios), cpuRatios: cpu, cpuRatio: cpu ? median(cpu) : undefined };
  } finally {
    for (const p of started.reverse()) await p.stop();
  }
}

/** Requests autocannon completed against `url` in about `duration` seconds (run in its own process, not waited on). */
function load(url, { duration, connections }) {
  const bin = path.join(repoRoot, 'node_modules', 'autocannon', 'autocannon.js');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, '-j', '-c', String(connections), '-d', String(duration), '-H', 'authorization=Bearer x', url], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.once('error', reject);
    child.once('exit', () => {
      try {
        const r = JSON.parse(out);
        resolve({ total: r.requests.total, seconds: r.duration, errors: r.errors + r.non2xx });
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
      const start = starter(started);
      const upOff = await start(['-e', upstreamScript], /listening (http:\/\/\S+)/, 'upstream');
      const upOn = await start(['-e', upstreamScript], /listening (http:\/\/\S+)/, 'upstream');
      const serve = (upstream, ...extra) => [cli, 'serve', '--wasm', example, '--upstream', upstream, '--listen', '127.0.0.1:0', '--log-level', 'error', ...extra];
      const off = await start(serve(upOff.url, '--no-trace'), /serving on (http:\/\/\S+)/, 'serve --no-trace');
      const on = await start(serve(upOn.url), /serving on (http:\/\/\S+)/, 'serve, recording');
      await Promise.all([load(`${off.url}/public/path`, { duration: 1, connections }), load(`${on.url}/public/path`, { duration: 1, connections })]); // warm-up
      const [a, b] = await Promise.all([load(`${off.url}/public/path`, { duration, connections }), load(`${on.url}/public/path`, { duration, connections })]);
      ratios.push(b.total / a.total);
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
    const duration = options.duration ?? 2;
    const turns = await alternating({ example: example.file, duration, connections: options.connections ?? 50, rounds: options.rounds ?? 10 });
    const cpuText = (list) => (list.every((r) => r.cpuUsPerRequest !== undefined) ? `, CPU ${median(list.map((r) => r.cpuUsPerRequest)).toFixed(1)} us/request` : '');
    const errors = (list) => list.reduce((n, r) => n + r.errors, 0);
    log(`  serve --no-trace     ${median(turns.off.map((r) => r.rps)).toFixed(0).padStart(7)} req/s, median of ${turns.off.length} loads of ${duration} s${cpuText(turns.off)}, errors ${errors(turns.off)}`);
    log(`  serve, recording     ${median(turns.on.map((r) => r.rps)).toFixed(0).padStart(7)} req/s, median of ${turns.on.length} loads of ${duration} s${cpuText(turns.on)}, errors ${errors(turns.on)}`);
    log(`    recording / --no-trace: ${turns.ratio.toFixed(3)}x, the median of ${turns.ratios.length} recording loads each against the --no-trace loads either side (goal >= 0.9x: ${turns.ratio >= 0.9 ? 'met' : 'NOT met'}); each: ${turns.ratios.map((r) => r.toFixed(2)).join(' ')}`);
    if (turns.cpuRatio !== undefined) log(`    CPU per request, --no-trace / recording: ${turns.cpuRatio.toFixed(3)}x, median; each: ${turns.cpuRatios.map((r) => r.toFixed(2)).join(' ')}`);
    const side = await sideBySide({ example: example.file, duration: Math.max(1, Math.round(duration * 2.5)), connections: options.connections ?? 50, rounds: 3 });
    const sideRatio = median(side);
    log(`    side by side (both under load at once): ${sideRatio.toFixed(3)}x, the median of ${side.length} rounds (${side.map((r) => r.toFixed(2)).join(' ')}) (goal >= 0.9x: ${sideRatio >= 0.9 ? 'met' : 'NOT met'})`);
    return { example: example.kind, memory: { ...mem, heapRatio }, throughput: { ...turns, recordingToNoTrace: turns.ratio, sideBySide: side, sideBySideRatio: sideRatio } };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runAsScript(runTraceBench);
