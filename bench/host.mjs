#!/usr/bin/env node
// Benchmarks of the Proxy-Wasm host and `istio-wasm serve` (issue 4), as ratios measured in one run:
//  1. requests/s through `serve` with the example plugin, with a CONTINUE-only plugin, and through a
//     plain node:http reverse proxy (goal: example plugin >= 0.8x plain proxy); load from autocannon
//     in its own process, each server in its own process;
//  2. host cost per proxy_on_request_headers with 20 headers, as a ratio to calling an empty exported
//     wasm function (goal: under 5 us);
//  3. memory after 100k requests against after 1k (goal: <= 1.1x), guest memory and JS heap.
// Needs `npm run build` first. Run: node bench/host.mjs [--duration 5] [--connections 50] [--rounds 2] [--json]
// bench/run.mjs imports runHostBench().
import { spawn, execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const host = await import(pathToFileURL(path.join(repoRoot, 'dist', 'host.js')).href).catch(() => {
  throw new Error('bench/host.mjs needs the built host: run `npm run build` first');
});

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc');

async function compileWat(file) {
  const wabt = await (await import('wabt')).default();
  const parsed = wabt.parseWat(file, readFileSync(file, 'utf8'), { bulk_memory: true });
  const { buffer } = parsed.toBinary({});
  parsed.destroy();
  return buffer;
}

/** The AssemblyScript example plugin built with asc (the C example as a fallback). */
function buildExample(dir) {
  const template = path.join(repoRoot, 'templates', 'assemblyscript');
  const flagsFile = path.join(repoRoot, 'assembly', 'asc-flags.json');
  if (existsSync(path.join(template, 'assembly', 'index.ts')) && existsSync(flagsFile)) {
    try {
      const project = path.join(dir, 'as');
      mkdirSync(path.join(project, 'node_modules'), { recursive: true });
      cpSync(path.join(template, 'assembly'), path.join(project, 'assembly'), { recursive: true });
      symlinkSync(repoRoot, path.join(project, 'node_modules', 'create-istio-wasm'));
      const flags = JSON.parse(readFileSync(flagsFile, 'utf8'));
      execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'assemblyscript', 'bin', 'asc.js'), 'assembly/index.ts', '-o', 'plugin.wasm', ...flags], { cwd: project, stdio: 'pipe' });
      return { file: path.join(project, 'plugin.wasm'), kind: 'AssemblyScript example' };
    } catch (error) {
      process.stderr.write(`bench: AssemblyScript example did not build (${String(error.message).split('\n')[0]}); using the C example\n`);
    }
  }
  const out = path.join(dir, 'example-c.wasm');
  execFileSync('clang', ['--target=wasm32-wasi', '-O2', '-mexec-model=reactor', '-o', out, path.join(repoRoot, 'test', 'fixtures', 'c', 'example-plugin.c')], { stdio: 'pipe' });
  return { file: out, kind: 'C example' };
}

function startProcess(args, readyPattern, label) {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${label} did not start:\n${out}`));
    }, 20_000);
    const onData = (d) => {
      out += d.toString();
      const m = readyPattern.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ url: m[1], pid: child.pid, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGINT'); setTimeout(() => child.kill('SIGKILL'), 3000).unref(); }) });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${label} exited (${code}):\n${out}`)));
  });
}

const upstreamScript = `
const http = require('node:http');
const s = http.createServer((req, res) => { req.resume(); req.on('end', () => { res.writeHead(200, {'content-type': 'text/plain', 'content-length': '2'}); res.end('ok'); }); });
s.listen(0, '127.0.0.1', () => console.log('listening http://127.0.0.1:' + s.address().port));
process.on('SIGINT', () => process.exit(0));`;

const plainProxyScript = (upstream) => `
const http = require('node:http');
const target = new URL(${JSON.stringify(upstream)});
// The same upstream pool settings as serve's (src/serve/proxy.ts), so the comparison is fair.
const agent = new http.Agent({ keepAlive: true, maxSockets: 256, scheduling: 'lifo' });
const s = http.createServer((req, res) => {
  const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers, agent }, (r) => { res.writeHead(r.statusCode, r.headers); r.pipe(res); });
  up.on('error', () => { res.writeHead(502); res.end(); });
  req.pipe(up);
});
s.keepAliveTimeout = 5000; // serve's downstream keep-alive
s.listen(0, '127.0.0.1', () => console.log('listening http://127.0.0.1:' + s.address().port));
process.on('SIGINT', () => process.exit(0));`;

function autocannon(url, { duration, connections }) {
  const bin = path.join(repoRoot, 'node_modules', 'autocannon', 'autocannon.js');
  const out = execFileSync(process.execPath, [bin, '-j', '-c', String(connections), '-d', String(duration), '-H', 'authorization=Bearer x', url], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 64 * 1024 * 1024 });
  const r = JSON.parse(out);
  return { rps: r.requests.average, p99ms: r.latency.p99, errors: r.errors + r.non2xx };
}

/**
 * Requests/s of each server variant ([label, node args, ready pattern], started with the upstream's
 * URL) against one upstream: interleaved rounds, best of each, so other work on the machine hits
 * every variant alike. Each result also lists its requests/s in every round (`rounds`, in round order).
 */
export async function bestOfRounds(variantsFor, { duration, connections, rounds }) {
  const upstream = await startProcess(['-e', upstreamScript], /listening (http:\/\/\S+)/, 'upstream');
  const results = {};
  try {
    const variants = variantsFor(upstream.url);
    for (let round = 0; round < rounds; round++) {
      // Every other round in reverse order: no variant always runs first (or right after another's
      // shutdown), so load that rises or falls during the run weighs on all alike.
      for (const [label, args, ready] of round % 2 === 0 ? variants : [...variants].reverse()) {
        const server = await startProcess(args, ready, label);
        try {
          autocannon(`${server.url}/public/path`, { duration: 1, connections }); // warm-up
          const r = autocannon(`${server.url}/public/path`, { duration, connections });
          const rounds = [...(results[label]?.rounds ?? []), r.rps];
          results[label] = !results[label] || r.rps > results[label].rps ? { ...r, rounds } : { ...results[label], rounds };
        } finally {
          await server.stop();
        }
      }
    }
  } finally {
    await upstream.stop();
  }
  return results;
}

function throughput({ example, continueOnly, duration, connections, rounds }) {
  const cli = path.join(repoRoot, 'bin', 'istio-wasm.js');
  return bestOfRounds(
    (upstream) => [
      ['plain node:http proxy', ['-e', plainProxyScript(upstream)], /listening (http:\/\/\S+)/],
      ['serve, CONTINUE-only plugin', [cli, 'serve', '--wasm', continueOnly, '--upstream', upstream, '--listen', '127.0.0.1:0', '--log-level', 'error'], /serving on (http:\/\/\S+)/],
      ['serve, example plugin', [cli, 'serve', '--wasm', example, '--upstream', upstream, '--listen', '127.0.0.1:0', '--log-level', 'error'], /serving on (http:\/\/\S+)/],
    ],
    { duration, connections, rounds },
  );
}

function timeLoop(fn, iterations) {
  for (let i = 0; i < Math.min(20_000, iterations); i++) fn(); // warm-up
  const start = process.hrtime.bigint();
  for (let i = 0; i < iterations; i++) fn();
  return Number(process.hrtime.bigint() - start) / iterations;
}

async function perCall({ exampleBytes, continueBytes, iterations }) {
  const raw = new WebAssembly.Instance(new WebAssembly.Module(continueBytes), {});
  const empty = raw.exports.empty;
  const emptyNs = timeLoop(() => empty(), iterations);
  const headers = new host.HeaderMap([[':method', 'GET'], [':path', '/public/path'], [':authority', 'example.com'], [':scheme', 'http']]);
  for (let i = 0; headers.size < 20; i++) headers.add(`x-header-${i}`, `value-${i}-abcdefghij`);
  const measure = async (bytes) => {
    const plugin = await host.Plugin.load({ module: bytes, pluginConfig: {}, rootId: 'bench' });
    const stream = plugin.newStream();
    const ns = timeLoop(() => stream.onRequestHeaders(headers, true), iterations);
    stream.finish();
    return ns;
  };
  const continueNs = await measure(continueBytes);
  const exampleNs = await measure(exampleBytes);
  return { emptyNs, continueNs, exampleNs };
}

async function memory({ exampleBytes }) {
  const plugin = await host.Plugin.load({ module: exampleBytes, pluginConfig: {}, rootId: 'bench' });
  const run = async (n) => {
    for (let i = 0; i < n; i++) {
      const chain = new host.Chain([plugin.newStream()]);
      const req = new host.HeaderMap([[':method', 'GET'], [':path', `/public/${i}`], [':authority', 'example.com'], ['x-request-id', String(i)]]);
      await chain.requestHeaders(req, true);
      await chain.responseHeaders(new host.HeaderMap([[':status', '200'], ['content-length', '2']]), false);
      await chain.responseData(new TextEncoder().encode('ok'), true);
      chain.finish();
    }
  };
  const sample = () => {
    gc();
    gc();
    return { guest: plugin.vm?.mem.size ?? 0, heap: process.memoryUsage().heapUsed };
  };
  await run(1_000);
  const after1k = sample();
  await run(99_000);
  const after100k = sample();
  return { after1k, after100k, openStreams: plugin.vm?.openStreams ?? -1 };
}

// Shared with bench/trace.mjs (serve with and without recording).
export { buildExample, startProcess, upstreamScript };

/** Runs every benchmark; returns numbers and ratios (and prints them unless quiet). */
export async function runHostBench(options = {}) {
  const duration = options.duration ?? 5;
  const connections = options.connections ?? 50;
  const iterations = options.iterations ?? 200_000;
  const log = options.quiet ? () => {} : (line) => process.stdout.write(`${line}\n`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ciw-bench-'));
  try {
    const example = buildExample(dir);
    const continueOnly = path.join(dir, 'continue-only.wasm');
    writeFileSync(continueOnly, await compileWat(path.join(repoRoot, 'test', 'fixtures', 'wat', 'continue-only.wat')));
    const exampleBytes = new Uint8Array(readFileSync(example.file));
    const continueBytes = new Uint8Array(readFileSync(continueOnly));

    log(`host benchmarks (example plugin: ${example.kind}, ${exampleBytes.byteLength} bytes)`);
    const calls = await perCall({ exampleBytes, continueBytes, iterations });
    log(`  proxy_on_request_headers, 20 headers: example ${(calls.exampleNs / 1000).toFixed(2)} us, CONTINUE-only ${(calls.continueNs / 1000).toFixed(2)} us, empty wasm call ${calls.emptyNs.toFixed(0)} ns`);
    log(`    ratio to an empty exported function: example ${(calls.exampleNs / calls.emptyNs).toFixed(1)}x, CONTINUE-only ${(calls.continueNs / calls.emptyNs).toFixed(1)}x (goal: under 5 us: ${calls.exampleNs < 5000 ? 'met' : 'NOT met'})`);

    const mem = await memory({ exampleBytes });
    const guestRatio = mem.after100k.guest / mem.after1k.guest;
    const heapRatio = mem.after100k.heap / mem.after1k.heap;
    log(`  memory after 100k vs 1k requests: guest ${mem.after1k.guest / 65536} -> ${mem.after100k.guest / 65536} pages (${guestRatio.toFixed(2)}x), JS heap ${(mem.after1k.heap / 1e6).toFixed(1)} -> ${(mem.after100k.heap / 1e6).toFixed(1)} MB (${heapRatio.toFixed(2)}x); open contexts ${mem.openStreams} (goal <= 1.1x: ${guestRatio <= 1.1 && heapRatio <= 1.1 ? 'met' : 'NOT met'})`);

    const rps = await throughput({ example: example.file, continueOnly, duration, connections, rounds: options.rounds ?? 2 });
    const plain = rps['plain node:http proxy']?.rps ?? NaN;
    for (const [label, r] of Object.entries(rps)) log(`  ${label.padEnd(30)} ${r.rps.toFixed(0).padStart(7)} req/s  p99 ${r.p99ms} ms  errors ${r.errors}  (${(r.rps / plain).toFixed(2)}x plain)`);
    const exampleRatio = (rps['serve, example plugin']?.rps ?? 0) / plain;
    log(`    serve with the example plugin / plain proxy: ${exampleRatio.toFixed(2)}x (goal >= 0.8x: ${exampleRatio >= 0.8 ? 'met' : 'NOT met'})`);
    return {
      example: example.kind,
      perCall: { ...calls, exampleRatio: calls.exampleNs / calls.emptyNs, continueRatio: calls.continueNs / calls.emptyNs },
      memory: { ...mem, guestRatio, heapRatio },
      throughput: { ...rps, exampleToPlain: exampleRatio, continueToPlain: (rps['serve, CONTINUE-only plugin']?.rps ?? 0) / plain },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs a suite as its own script: --duration/--connections/--rounds N (or =N), --json for the numbers. */
export async function runAsScript(run) {
  const arg = (name, fallback) => {
    // --name N or --name=N; anything unreadable keeps the default (bench/run.mjs passes flags only).
    const eq = process.argv.find((a) => a.startsWith(`${name}=`));
    const at = process.argv.indexOf(name);
    const value = Number(eq ? eq.slice(name.length + 1) : at > 0 ? process.argv[at + 1] : NaN);
    return Number.isFinite(value) && value > 0 ? value : fallback;
  };
  const json = process.argv.includes('--json');
  // Duration and rounds left unset unless given: each suite has its own defaults.
  const result = await run({ duration: arg('--duration', undefined), connections: arg('--connections', 50), rounds: arg('--rounds', undefined), quiet: json });
  if (json) process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await runAsScript(runHostBench);
