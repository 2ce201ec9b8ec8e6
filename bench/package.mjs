#!/usr/bin/env node
// What `npx create-istio-wasm` downloads and installs, beside create-vite (issue 17), standalone or
// called by bench/run.mjs:
//   node bench/package.mjs [--runs N] [--json]
// Each package is packed with `npm pack` (ours from this checkout, built first by bench/run.mjs;
// create-vite from its installed devDependency), then installed from the tarball into an empty
// directory with `npm install --offline`, as npx would. Reported for both: packed size, unpacked
// size, size on disk after install, packages installed, install time (median of N).
// Goals: no more packages than create-vite installs (<= 1x), install time <= 2x create-vite's.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, lstatSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const runsAt = args.indexOf('--runs');
const runs = runsAt >= 0 ? Number(args[runsAt + 1]) : 5;
const asJson = args.includes('--json');

function pack(dir, into) {
  const out = execFileSync('npm', ['pack', dir, '--ignore-scripts', '--json', '--pack-destination', into], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const info = JSON.parse(out)[0];
  return { file: path.join(into, info.filename), packed: info.size, unpacked: info.unpackedSize, files: info.entryCount };
}

/** Bytes of every file under dir (apparent size, symlinks not followed). */
function diskSize(dir) {
  let total = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) total += diskSize(full);
    else total += lstatSync(full).size;
  }
  return total;
}

function install(tarball, dir) {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'package.json'), '{ "name": "empty", "private": true }\n');
  const start = process.hrtime.bigint();
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts', '--no-save', tarball], { cwd: dir, stdio: 'ignore' });
  const ms = Number(process.hrtime.bigint() - start) / 1e6;
  const lock = JSON.parse(readFileSync(path.join(dir, 'node_modules', '.package-lock.json'), 'utf8'));
  return { ms, packages: Object.keys(lock.packages ?? {}).filter((p) => p !== '').length, installed: diskSize(path.join(dir, 'node_modules')) };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ciw-bench-package-'));
const results = [];
try {
  for (const [name, dir] of [['create-istio-wasm', root], ['create-vite', path.join(root, 'node_modules', 'create-vite')]]) {
    const packed = pack(dir, tmp);
    const times = [];
    let last;
    for (let i = 0; i < runs; i++) {
      const into = path.join(tmp, `${name}-${i}`);
      last = install(packed.file, into);
      times.push(last.ms);
      rmSync(into, { recursive: true, force: true });
    }
    results.push({ name, packedBytes: packed.packed, unpackedBytes: packed.unpacked, files: packed.files, installedBytes: last.installed, packages: last.packages, installMs: median(times) });
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

const [ours, vite] = results;
const goals = [
  { name: 'packages installed', ratio: ours.packages / vite.packages, goal: 1 },
  { name: 'install time', ratio: ours.installMs / vite.installMs, goal: 2 },
].map((g) => ({ ...g, ratio: Number(g.ratio.toFixed(2)), met: g.ratio <= g.goal }));

if (asJson) console.log(JSON.stringify({ suite: 'package', runs, results, goals }, null, 2));
else {
  const kb = (n) => `${(n / 1024).toFixed(0)} KB`;
  console.log(`what npx installs (npm install --offline of the packed tarball; install time median of ${runs})`);
  console.log(`  ${''.padEnd(20)} ${'packed'.padStart(9)} ${'unpacked'.padStart(9)} ${'installed'.padStart(10)} ${'packages'.padStart(9)} ${'install'.padStart(9)}`);
  for (const r of results) {
    console.log(`  ${r.name.padEnd(20)} ${kb(r.packedBytes).padStart(9)} ${kb(r.unpackedBytes).padStart(9)} ${kb(r.installedBytes).padStart(10)} ${String(r.packages).padStart(9)} ${`${r.installMs.toFixed(0)} ms`.padStart(9)}`);
  }
  for (const g of goals) console.log(`  ${g.name}: ${g.ratio}x create-vite's (goal <= ${g.goal}x: ${g.met ? 'met' : 'NOT met'})`);
}
