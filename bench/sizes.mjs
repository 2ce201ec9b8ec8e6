#!/usr/bin/env node
// Module sizes of the four templates' example plugins, each built by `istio-wasm build` with its
// real toolchain, standalone or called by bench/run.mjs:   node bench/sizes.mjs [--json]
// - assemblyscript: the project's asc flags                  (goal <= 16 KB, no WASI imports)
// - rust, go, cpp: reported, as a ratio to the AssemblyScript module built in the same run. Rust
//   and C++ build with the toolchains scripts/toolchains.sh caches (it is run here, once per
//   machine); Go with the machine's go >= 1.24. C++ builds the raw-ABI stand-in of the example
//   (test/fixtures/cpp-raw-abi) with the template's Makefile.build: the C++ SDK is on no registry.
// Needs `npm run build` first (bench/run.mjs does).
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, mkdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const bin = path.join(root, 'bin', 'istio-wasm.js');
const createBin = path.join(root, 'bin', 'create-istio-wasm.js');
const rawAbi = path.join(root, 'test', 'fixtures', 'cpp-raw-abi');
const asJson = process.argv.includes('--json');

/** The toolchain wrappers' directory (installs them on first use), or the reason there are none. */
function toolchains() {
  const r = spawnSync('bash', [path.join(root, 'scripts', 'toolchains.sh')], { encoding: 'utf8' });
  return r.status === 0 ? { bin: r.stdout.trim() } : { error: (r.stderr.trim().split('\n').pop() ?? 'scripts/toolchains.sh failed') };
}

const tmp = mkdtempSync(path.join(os.tmpdir(), 'ciw-bench-sizes-'));
const results = [];
let failed = false;
try {
  const tc = toolchains();
  const env = { ...process.env, CI: 'true', ...(tc.bin ? { PATH: `${tc.bin}${path.delimiter}${process.env.PATH}` } : {}) };
  const cases = [
    { template: 'assemblyscript' },
    { template: 'rust', needs: tc, env: { CARGO_TARGET_DIR: path.join(path.dirname(tc.bin ?? tmp), 'cargo-target') } },
    { template: 'go' },
    { template: 'cpp', needs: tc, prepare: (p) => copyFileSync(path.join(rawAbi, 'plugin.cc'), path.join(p, 'plugin.cc')), env: { PROXY_WASM_CPP_SDK: path.join(rawAbi, 'sdk') } },
  ];
  let asSize;
  for (const c of cases) {
    const project = path.join(tmp, `${c.template}-example`);
    const name = `${c.template} example module (KB)`;
    if (c.needs?.error) {
      results.push({ name, value: null, error: c.needs.error });
      failed = true;
      continue;
    }
    execFileSync(process.execPath, [createBin, `${c.template}-example`, '--template', c.template, '--yes', '--no-install', '--no-git'], { cwd: tmp, env, stdio: 'ignore' });
    if (c.template === 'assemblyscript') {
      mkdirSync(path.join(project, 'node_modules'));
      symlinkSync(root, path.join(project, 'node_modules', 'create-istio-wasm'));
      symlinkSync(path.join(root, 'node_modules', 'assemblyscript'), path.join(project, 'node_modules', 'assemblyscript'));
    }
    c.prepare?.(project);
    const built = spawnSync(process.execPath, [bin, 'build', '--json'], { cwd: project, env: { ...env, ...c.env }, encoding: 'utf8' });
    if (built.status !== 0) {
      results.push({ name, value: null, error: built.stderr.trim().split('\n').slice(-3).join(' ') });
      failed = true;
      continue;
    }
    const bytes = readFileSync(path.join(project, 'build', 'plugin.wasm'));
    const kb = bytes.length / 1024;
    if (c.template === 'assemblyscript') {
      asSize = kb;
      const wasi = WebAssembly.Module.imports(new WebAssembly.Module(bytes)).filter((i) => i.module.startsWith('wasi')).length;
      results.push({ name, value: Number(kb.toFixed(2)), bytes: bytes.length, baseline: '16 KB budget', baselineValue: 16, ratio: Number((kb / 16).toFixed(2)), goal: 1, met: kb <= 16 });
      results.push({ name: 'assemblyscript example WASI imports', value: wasi, baseline: 'none', baselineValue: 0, ratio: null, goal: 0, met: wasi === 0 });
    } else {
      results.push({ name, value: Number(kb.toFixed(2)), bytes: bytes.length, baseline: 'assemblyscript module', baselineValue: Number(asSize.toFixed(2)), ratio: Number((kb / asSize).toFixed(1)) });
    }
  }
} finally {
  rmSync(tmp, { recursive: true, force: true });
}

if (asJson) console.log(JSON.stringify({ suite: 'sizes', results }, null, 2));
else {
  console.log('example module sizes, each built by istio-wasm build with its toolchain');
  for (const r of results) {
    if (r.value === null) {
      console.log(`  ${r.name.padEnd(44)} not built: ${r.error}`);
      continue;
    }
    const ratio = r.ratio === null || r.ratio === undefined ? '' : `${r.ratio}x ${r.baseline}`;
    const goal = r.goal === undefined ? '' : ` (goal <= ${r.goal}${r.name.includes('KB') ? '' : 'x'}: ${r.met ? 'met' : 'NOT met'})`;
    const bytes = r.bytes === undefined ? '' : ` (${r.bytes} B)`;
    console.log(`  ${r.name.padEnd(44)} ${String(r.value).padStart(9)}${bytes}  ${ratio}${goal}`);
  }
}
process.exit(failed || results.some((r) => r.met === false) ? 1 : 0);
