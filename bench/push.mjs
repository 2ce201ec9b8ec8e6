#!/usr/bin/env node
// Benchmark of `istio-wasm push` (issue 5), standalone or called by bench/run.mjs:
//   node bench/push.mjs [--runs N] [--json]
// Against one local CNCF registry (Debian docker-registry) on 127.0.0.1:
// - push of a 1 MiB and a 20 MiB module vs `skopeo copy oci:LAYOUT docker://…` of the same image
//   (goal: <= 1.0x skopeo's time). Ours starts from the .wasm (packaging included), skopeo from a
//   ready layout.
// - re-push of an unchanged image vs the first push (goal: only HEAD requests, <= 0.5x).
// Needs `npm run build` first (bench/run.mjs does), docker-registry and skopeo.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const cli = path.join(root, 'bin', 'istio-wasm.js');
const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1]) > 0 && args.includes('--runs') ? Number(args[args.indexOf('--runs') + 1]) : 5;
const asJson = args.includes('--json');

function need(tool) {
  if (spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status !== 0) {
    console.error(`bench/push: ${tool} is not installed (apt-get install docker-registry skopeo)`);
    process.exit(process.env.CI ? 1 : 0);
  }
}

async function startRegistry(dir) {
  const config = path.join(dir, 'registry.yml');
  await writeFile(config, `version: 0.1\nlog: { level: info, accesslog: { disabled: true } }\nstorage:\n  filesystem: { rootdirectory: ${JSON.stringify(path.join(dir, 'storage'))} }\n  delete: { enabled: true }\nhttp:\n  addr: 127.0.0.1:0\n`);
  const child = spawn('docker-registry', ['serve', config], { env: { PATH: process.env.PATH, HOME: dir }, stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise((resolve, reject) => {
    let err = '';
    const timer = setTimeout(() => reject(new Error(`registry did not start: ${err}`)), 15000);
    child.stderr.on('data', (d) => {
      err += d;
      const m = /listening on 127\.0\.0\.1:(\d+)/.exec(err);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.on('exit', (code) => reject(new Error(`registry exited ${code}: ${err}`)));
  });
  child.stderr.resume();
  child.removeAllListeners('exit');
  return { host: `127.0.0.1:${port}`, stop: () => new Promise((r) => { child.once('exit', r); child.kill('SIGTERM'); }) };
}

function run(command, argv, env = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(command, argv, { env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) reject(new Error(`${command} ${argv.join(' ')} failed (${code}): ${stderr}`));
      else resolve({ ms, stderr });
    });
  });
}

function module(size, seed) {
  const out = Buffer.alloc(size);
  out.set([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  let x = seed >>> 0;
  for (let i = 8; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

need('docker-registry');
need('skopeo');
const dir = await mkdtemp(path.join(os.tmpdir(), 'ciw-bench-push-'));
const registry = await startRegistry(dir);
// Our CLI's image cache lives in the bench's temp dir.
const env = { XDG_CACHE_HOME: path.join(dir, 'cache') };
const results = { runs, sizes: [] };
try {
  for (const [label, size] of [['1 MiB', 1024 * 1024], ['20 MiB', 20 * 1024 * 1024]]) {
    const ours = [];
    const skopeo = [];
    const repush = [];
    let repushRequests = '';
    // Fresh content per run: skopeo's blob-info cache would otherwise mount blobs it has seen.
    const prepare = async (i) => {
      const file = path.join(dir, `m-${size}-${i}.wasm`);
      await writeFile(file, module(size, size + i));
      const layout = path.join(dir, `layout-${size}-${i}`);
      await run(process.execPath, [cli, 'package', '--wasm', file, '--output', layout, '--tag', 'v1'], env);
      return { file, layout };
    };
    // Warm-up (page cache, registry), not counted.
    const warm = await prepare('warm');
    await run(process.execPath, [cli, 'push', `${registry.host}/warm/ours-${size}:v1`, '--wasm', warm.file, '--plain-http'], env);
    await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${warm.layout}:v1`, `docker://${registry.host}/warm/skopeo-${size}:v1`]);
    for (let i = 0; i < runs; i++) {
      const ourInput = await prepare(`ours-${i}`);
      const theirInput = await prepare(`skopeo-${i}`);
      // Alternate the order so neither tool always runs on a warmer machine.
      const pair = [
        async () => ours.push((await run(process.execPath, [cli, 'push', `${registry.host}/bench/ours-${size}-${i}:v1`, '--wasm', ourInput.file, '--plain-http'], env)).ms),
        async () => skopeo.push((await run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${theirInput.layout}:v1`, `docker://${registry.host}/bench/skopeo-${size}-${i}:v1`])).ms),
      ];
      if (i % 2) pair.reverse();
      for (const step of pair) await step();
      const again = await run(process.execPath, [cli, '--verbose', 'push', `${registry.host}/bench/ours-${size}-${i}:v1`, '--wasm', ourInput.file, '--plain-http'], env);
      repush.push(again.ms);
      const methods = {};
      for (const line of again.stderr.split('\n')) {
        const m = /^(GET|HEAD|POST|PUT|PATCH|DELETE) \S+ -> \d+$/.exec(line);
        if (m) methods[m[1]] = (methods[m[1]] ?? 0) + 1;
      }
      repushRequests = Object.entries(methods).map(([k, v]) => `${k} ${v}`).join(', ');
    }
    const row = {
      label,
      size,
      oursMs: median(ours),
      skopeoMs: median(skopeo),
      repushMs: median(repush),
      pushVsSkopeo: median(ours) / median(skopeo),
      repushVsPush: median(repush) / median(ours),
      repushRequests,
    };
    results.sizes.push(row);
  }
} finally {
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
}

if (asJson) {
  console.log(JSON.stringify(results, null, 2));
} else {
  console.log(`istio-wasm push vs skopeo copy (median of ${runs}, local registry)`);
  for (const r of results.sizes) {
    console.log(
      `  ${r.label.padEnd(7)} push ${r.oursMs.toFixed(0).padStart(5)} ms   skopeo ${r.skopeoMs.toFixed(0).padStart(5)} ms   ratio ${r.pushVsSkopeo.toFixed(2)}x (goal <= 1.0x)` +
        `   re-push ${r.repushMs.toFixed(0).padStart(5)} ms = ${r.repushVsPush.toFixed(2)}x of first push (goal <= 0.5x; requests: ${r.repushRequests})`,
    );
  }
}
