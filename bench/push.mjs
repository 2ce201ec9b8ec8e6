#!/usr/bin/env node
// Benchmark of `istio-wasm push` (issue 5), standalone or called by bench/run.mjs:
//   node bench/push.mjs [--runs N] [--json]
// Against one local CNCF registry (Debian docker-registry) on 127.0.0.1:
// - push of a 1 MiB and a 20 MiB module vs `skopeo copy oci:LAYOUT docker://…` (goal for the
//   prepared 20 MiB layout: <= 1.5x skopeo's time, Node's start-up included), measured three
//   ways, because the two tools do not start from the same place:
//     layout: `istio-wasm push --layout L` vs `skopeo copy oci:L` — both push a prepared layout
//             (the like-for-like comparison);
//     wasm:   `istio-wasm push --wasm F` (tar, gzip and push) vs `skopeo copy` of a layout made
//             beforehand (skopeo's packaging not counted: the issue's literal comparison);
//     both from the .wasm: `istio-wasm push --wasm F` vs `istio-wasm package` + `skopeo copy`.
// - re-push of an unchanged image vs the first push from the .wasm (goal: only HEAD requests, <= 0.5x).
// - where NODE_EXTRA_CA_CERTS is set (every Node start then loads that file; Go does not), both
//   layout pushes again with it unset for both sides, printed beside the target as context only.
// Every run pushes fresh content (skopeo's blob-info cache would otherwise mount blobs it has seen),
// shaped like compiled code (it gzips about 3x, as real modules do). Runs interleave the tools.
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
    // A variable given as undefined is unset for the child.
    const childEnv = { ...process.env, CI: 'true', NO_COLOR: '1', ...env };
    for (const [k, v] of Object.entries(childEnv)) if (v === undefined) delete childEnv[k];
    const child = spawn(command, argv, { env: childEnv, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - start) / 1e6;
      if (code !== 0) reject(new Error(`${command} ${argv.join(' ')} failed (${code}): ${stderr}`));
      else resolve({ ms, stderr });
    });
  });
}

/** Bytes shaped like compiled code: short "instruction sequences" drawn with a skewed distribution (~3x gzip). */
function module(size, seed) {
  let x = Math.imul(seed, 2654435761) >>> 0 || 1;
  const next = () => (x = (Math.imul(x, 1103515245) + 12345) >>> 0);
  const words = [];
  for (let w = 0; w < 1024; w++) {
    const b = Buffer.alloc(2 + (next() >>> 28));
    for (let k = 0; k < b.length; k++) b[k] = (next() >>> 24) & (k % 3 ? 0x1f : 0xff);
    words.push(b);
  }
  const out = Buffer.alloc(size);
  out.set([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
  for (let o = 8; o < size; ) {
    const r = next() / 4294967296;
    o += words[Math.floor(r * r * 1024)].copy(out, o);
  }
  return out;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const withoutCaFile = Boolean(process.env.NODE_EXTRA_CA_CERTS);

need('docker-registry');
need('skopeo');
const dir = await mkdtemp(path.join(os.tmpdir(), 'ciw-bench-push-'));
const registry = await startRegistry(dir);
// Our CLI's image cache lives in the bench's temp dir.
const env = { XDG_CACHE_HOME: path.join(dir, 'cache') };
const results = { runs, sizes: [] };
try {
  let seed = 1;
  for (const [label, size] of [['1 MiB', 1024 * 1024], ['20 MiB', 20 * 1024 * 1024]]) {
    const t = { wasm: [], layout: [], skopeo: [], packageAndSkopeo: [], repush: [], layoutNoCa: [], skopeoNoCa: [] };
    let repushRequests = '';
    const prepare = async (name, withLayout) => {
      const file = path.join(dir, `m-${size}-${name}.wasm`);
      await writeFile(file, module(size, seed++));
      const layout = path.join(dir, `layout-${size}-${name}`);
      if (withLayout) await run(process.execPath, [cli, 'package', '--wasm', file, '--output', layout, '--tag', 'v1'], env);
      return { file, layout };
    };
    const ours = (argv, extra = {}) => run(process.execPath, [cli, 'push', ...argv, '--plain-http'], { ...env, ...extra });
    const skopeoCopy = (layout, repo, extra = {}) => run('skopeo', ['copy', '--quiet', '--dest-tls-verify=false', `oci:${layout}:v1`, `docker://${registry.host}/${repo}:v1`], extra);
    // Warm-up (page cache, registry), not counted.
    const warm = await prepare('warm', true);
    await ours([`${registry.host}/warm/ours-${size}:v1`, '--wasm', warm.file]);
    await skopeoCopy(warm.layout, `warm/skopeo-${size}`);
    for (let i = 0; i < runs; i++) {
      const a = await prepare(`wasm-${i}`, false);
      const b = await prepare(`layout-${i}`, true);
      const c = await prepare(`skopeo-${i}`, true);
      const d = await prepare(`pkg-${i}`, false);
      // Context, never the target: both layout pushes again without NODE_EXTRA_CA_CERTS (a machine
      // that sets it makes every Node start load that file, ~50 ms; Go's skopeo does not pay it).
      const noCa = withoutCaFile ? [await prepare(`layout-noca-${i}`, true), await prepare(`skopeo-noca-${i}`, true)] : [];
      const steps = [
        async () => t.wasm.push((await ours([`${registry.host}/bench/wasm-${size}-${i}:v1`, '--wasm', a.file])).ms),
        async () => t.layout.push((await ours([`${registry.host}/bench/layout-${size}-${i}:v1`, '--layout', `${b.layout}:v1`])).ms),
        async () => t.skopeo.push((await skopeoCopy(c.layout, `bench/skopeo-${size}-${i}`)).ms),
        async () => {
          const packaged = await run(process.execPath, [cli, 'package', '--wasm', d.file, '--output', d.layout, '--tag', 'v1'], env);
          t.packageAndSkopeo.push(packaged.ms + (await skopeoCopy(d.layout, `bench/pkg-${size}-${i}`)).ms);
        },
        ...(withoutCaFile
          ? [
              async () => t.layoutNoCa.push((await ours([`${registry.host}/bench/layout-noca-${size}-${i}:v1`, '--layout', `${noCa[0].layout}:v1`], { NODE_EXTRA_CA_CERTS: undefined })).ms),
              async () => t.skopeoNoCa.push((await skopeoCopy(noCa[1].layout, `bench/skopeo-noca-${size}-${i}`, { NODE_EXTRA_CA_CERTS: undefined })).ms),
            ]
          : []),
      ];
      // Rotate the order so no tool always runs on a warmer (or busier) machine.
      for (let k = 0; k < steps.length; k++) await steps[(k + i) % steps.length]();
      const again = await run(process.execPath, [cli, '--verbose', 'push', `${registry.host}/bench/wasm-${size}-${i}:v1`, '--wasm', a.file, '--plain-http'], env);
      t.repush.push(again.ms);
      const methods = {};
      for (const line of again.stderr.split('\n')) {
        const m = /^(GET|HEAD|POST|PUT|PATCH|DELETE) \S+ -> \d+$/.exec(line);
        if (m) methods[m[1]] = (methods[m[1]] ?? 0) + 1;
      }
      repushRequests = Object.entries(methods).map(([k, v]) => `${k} ${v}`).join(', ');
    }
    const m = Object.fromEntries(Object.entries(t).map(([k, v]) => [k, median(v)]));
    results.sizes.push({
      label,
      size,
      pushWasmMs: m.wasm,
      pushLayoutMs: m.layout,
      skopeoMs: m.skopeo,
      packageAndSkopeoMs: m.packageAndSkopeo,
      repushMs: m.repush,
      layoutVsSkopeo: m.layout / m.skopeo,
      wasmVsSkopeo: m.wasm / m.skopeo,
      wasmVsPackageAndSkopeo: m.wasm / m.packageAndSkopeo,
      repushVsPush: m.repush / m.wasm,
      repushRequests,
      ...(withoutCaFile ? { withoutNodeExtraCaCerts: { pushLayoutMs: m.layoutNoCa, skopeoMs: m.skopeoNoCa, layoutVsSkopeo: m.layoutNoCa / m.skopeoNoCa } } : {}),
    });
  }
} finally {
  await registry.stop();
  await rm(dir, { recursive: true, force: true });
}

if (asJson) {
  console.log(JSON.stringify(results, null, 2));
} else {
  const ms = (v) => `${v.toFixed(0).padStart(5)} ms`;
  const met = (ratio, goal) => `goal <= ${goal}x: ${ratio <= goal ? 'met' : 'NOT met'}`;
  console.log(`istio-wasm push vs skopeo copy (median of ${runs}, local registry, fresh content each run)`);
  for (const r of results.sizes) {
    console.log(`  ${r.label}`);
    console.log(`    prepared layout:  push --layout ${ms(r.pushLayoutMs)}   skopeo copy oci: ${ms(r.skopeoMs)}   ratio ${r.layoutVsSkopeo.toFixed(2)}x  (like for like${r.size >= 20 * 1024 * 1024 ? `; ${met(r.layoutVsSkopeo, 1.5)}` : ''})`);
    console.log(`    from the .wasm:   push --wasm   ${ms(r.pushWasmMs)}   package + skopeo ${ms(r.packageAndSkopeoMs)}   ratio ${r.wasmVsPackageAndSkopeo.toFixed(2)}x  (both package and push)`);
    console.log(`    .wasm vs layout:  push --wasm   ${ms(r.pushWasmMs)}   skopeo copy oci: ${ms(r.skopeoMs)}   ratio ${r.wasmVsSkopeo.toFixed(2)}x  (ours also tars and gzips)`);
    if (r.withoutNodeExtraCaCerts) {
      const n = r.withoutNodeExtraCaCerts;
      console.log(`    the same layout pushes with NODE_EXTRA_CA_CERTS unset for both (context, not the target): push --layout ${ms(n.pushLayoutMs)}   skopeo ${ms(n.skopeoMs)}   ratio ${n.layoutVsSkopeo.toFixed(2)}x`);
    }
    console.log(`    re-push unchanged ${ms(r.repushMs)} = ${r.repushVsPush.toFixed(2)}x of the first push (${met(r.repushVsPush, 0.5)}; requests: ${r.repushRequests})`);
  }
}
