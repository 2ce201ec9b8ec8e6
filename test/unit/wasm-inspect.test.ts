import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectWasm } from '../../src/wasm/inspect.js';
import { parseModule } from '../../src/wasm/parse.js';
import { requireToolInCi } from '../helpers/tmp.js';

let dir: string;
const hasWat2wasm = (() => {
  try {
    execFileSync('wat2wasm', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

beforeAll(async () => {
  requireToolInCi('wat2wasm (wabt)', hasWat2wasm);
  dir = await mkdtemp(path.join(os.tmpdir(), 'ciw-wasm-'));
});
afterAll(async () => rm(dir, { recursive: true, force: true }));

async function wat(source: string): Promise<Uint8Array> {
  const file = path.join(dir, `m${Math.random().toString(36).slice(2)}.wat`);
  await writeFile(file, source);
  execFileSync('wat2wasm', [file, '-o', `${file}.wasm`]);
  return new Uint8Array(await readFile(`${file}.wasm`));
}

const good = `(module
  (import "env" "proxy_log" (func (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (func (export "proxy_abi_version_0_2_1"))
  (func (export "proxy_on_memory_allocate") (param i32) (result i32) (i32.const 0))
  (func (export "proxy_on_context_create") (param i32 i32))
  (func (export "_initialize")))`;

describe.runIf(hasWat2wasm || process.env.CI)('inspectWasm', () => {
  it('accepts a clean module and reports its ABI, imports and exports', async () => {
    const report = inspectWasm(await wat(good));
    expect(report.problems).toEqual([]);
    expect(report.abiVersion).toBe('0.2.1');
    expect(report.imports).toEqual([
      { module: 'env', name: 'proxy_log', kind: 'function' },
      { module: 'wasi_snapshot_preview1', name: 'fd_write', kind: 'function' },
    ]);
    expect(report.exports.map((e) => e.name)).toContain('proxy_on_context_create');
    expect(report.sha256).toMatch(/^[a-f0-9]{64}$/);
  });

  it('flags imports a proxy lacks, a missing marker, allocator and memory', async () => {
    const report = inspectWasm(await wat(`(module
      (import "env" "abort" (func (param i32 i32 i32 i32)))
      (import "other" "thing" (func))
      (func (export "proxy_on_context_create") (param i32 i32)))`));
    expect(report.abiVersion).toBeNull();
    expect(report.problems.join('\n')).toMatch(/env\.abort .*--use abort/);
    expect(report.problems.join('\n')).toMatch(/other\.thing/);
    expect(report.problems.join('\n')).toMatch(/no Proxy-Wasm ABI marker/);
    expect(report.problems.join('\n')).toMatch(/no allocator/);
    expect(report.problems.join('\n')).toMatch(/no memory/);
  });

  it('accepts exactly what Envoy registers: Emscripten\'s env functions, all its WASI, per-ABI proxy functions', async () => {
    const emscripten = inspectWasm(await wat(`(module
      (import "env" "emscripten_notify_memory_growth" (func (param i32)))
      (import "env" "pthread_equal" (func (param i32 i32) (result i32)))
      (import "env" "proxy_get_log_level" (func (param i32) (result i32)))
      (import "wasi_snapshot_preview1" "fd_advise" (func (param i32 i64 i64 i32) (result i32)))
      (import "wasi_unstable" "path_symlink" (func (param i32 i32 i32 i32 i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "proxy_abi_version_0_2_1"))
      (func (export "malloc") (param i32) (result i32) (i32.const 0))
      (func (export "proxy_on_context_create") (param i32 i32)))`));
    expect(emscripten.problems).toEqual([]);
    const refused = inspectWasm(await wat(`(module
      (import "env" "proxy_continue_request" (func (result i32)))
      (import "env" "proxy_get_configuration" (func (param i32 i32) (result i32)))
      (import "wasi_snapshot_preview1" "proc_raise" (func (param i32) (result i32)))
      (import "env" "__stack_pointer" (global (mut i32)))
      (memory (export "memory") 1)
      (func (export "proxy_abi_version_0_2_0"))
      (func (export "malloc") (param i32) (result i32) (i32.const 0))
      (func (export "proxy_on_context_create") (param i32 i32)))`));
    expect(refused.problems).toEqual([
      'imports env.proxy_continue_request (function), which a proxy does not provide to ABI 0.2.0 modules (only to ABI 0.1.0)',
      'imports env.proxy_get_configuration (function), which a proxy does not provide to ABI 0.2.0 modules (only to ABI 0.1.0)',
      'imports wasi_snapshot_preview1.proc_raise (function), which a proxy does not provide',
      'imports env.__stack_pointer (global), which a proxy does not provide',
    ]);
    const old = inspectWasm(await wat(`(module
      (import "env" "proxy_get_configuration" (func (param i32 i32) (result i32)))
      (import "env" "proxy_get_log_level" (func (param i32) (result i32)))
      (memory (export "memory") 1)
      (func (export "proxy_abi_version_0_1_0"))
      (func (export "malloc") (param i32) (result i32) (i32.const 0))
      (func (export "proxy_on_context_create") (param i32 i32)))`));
    expect(old.problems).toEqual(['imports env.proxy_get_log_level (function), which a proxy does not provide to ABI 0.1.0 modules (only to ABI 0.2.1)']);
  });

  it('accepts the malloc fallback and the older markers', async () => {
    const report = inspectWasm(await wat(`(module (memory (export "memory") 1)
      (func (export "proxy_abi_version_0_1_0")) (func (export "malloc") (param i32) (result i32) (i32.const 0))
      (func (export "proxy_on_context_create") (param i32 i32)))`));
    expect(report.problems).toEqual([]);
    expect(report.abiVersion).toBe('0.1.0');
  });

  it('reports bad bytes as problems, never throws', async () => {
    expect(inspectWasm(new TextEncoder().encode('#!/bin/sh\necho hi\n')).problems[0]).toMatch(/not a WebAssembly module/);
    const bytes = await wat(good);
    expect(inspectWasm(bytes.slice(0, bytes.length - 5)).problems[0]).toMatch(/truncated|unexpected end/);
    expect(inspectWasm(new Uint8Array()).problems[0]).toMatch(/not a WebAssembly module/);
  });

  it('parses the same imports as V8', async () => {
    const bytes = await wat(good);
    const ours = parseModule(bytes).imports.map((i) => `${i.module}.${i.name}:${i.kind}`);
    const v8 = WebAssembly.Module.imports(new WebAssembly.Module(bytes)).map((i) => `${i.module}.${i.name}:${i.kind}`);
    expect(ours).toEqual(v8);
  });
});
