import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await makeTempDir('ciw-inspect-');
  await writeFile(path.join(tmp.dir, 'script.wasm'), '#!/bin/sh\necho not wasm\n');
  // A minimal valid module with an ABI marker but importing env.abort (AssemblyScript's default).
  const bytes = Uint8Array.from([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    0x01, 0x08, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x00, // types: ()->(), (i32)->()
    0x02, 0x0d, 0x01, 0x03, 0x65, 0x6e, 0x76, 0x05, 0x61, 0x62, 0x6f, 0x72, 0x74, 0x00, 0x01, // import env.abort
    0x03, 0x02, 0x01, 0x00, // one function of type 0
    0x07, 0x1b, 0x01, 0x17, ...Buffer.from('proxy_abi_version_0_2_1'), 0x00, 0x01, // export it
    0x0a, 0x04, 0x01, 0x02, 0x00, 0x0b, // body
  ]);
  await writeFile(path.join(tmp.dir, 'abort.wasm'), bytes);
});
afterAll(async () => tmp.cleanup());

describe('istio-wasm inspect <file.wasm>', () => {
  it('reports what would stop a proxy loading the module, with exit 1', async () => {
    const r = await runCli(['inspect', 'abort.wasm', '--json'], { cwd: tmp.dir });
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout) as { abiVersion: string; imports: unknown[]; exports: unknown[]; size: number; problems: string[] };
    expect(Object.keys(report).sort()).toEqual(['abiVersion', 'exports', 'imports', 'problems', 'sha256', 'size']);
    expect(report.abiVersion).toBe('0.2.1');
    expect(report.imports).toEqual([{ module: 'env', name: 'abort', kind: 'function' }]);
    expect(report.problems.join('\n')).toMatch(/env\.abort/);
    expect(report.problems.join('\n')).toMatch(/no allocator/);
  });

  it('says a file that is not wasm is not wasm', async () => {
    const r = await runCli(['inspect', 'script.wasm'], { cwd: tmp.dir });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/not a WebAssembly module/);
  });

  it('a missing file is a one-line error, not a registry lookup', async () => {
    const r = await runCli(['inspect', 'nothing.wasm'], { cwd: tmp.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^error: nothing\.wasm does not exist$/m);
  });
});
