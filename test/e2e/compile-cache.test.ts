import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

// bin/load-cli.js: the CLI's chunks (dist/cli.chunks) compiled from V8's code cache under
// XDG_CACHE_HOME, kept by the loader itself on every Node version.
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  tmp = await makeTempDir('ciw-compile-cache-');
});
afterAll(async () => tmp?.cleanup());

const entries = (cache: string): string[] => {
  const store = path.join(cache, 'create-istio-wasm', 'compile-cache', `${process.version}-${process.arch}`);
  try {
    return readdirSync(store).map((name) => path.join(store, name));
  } catch {
    return [];
  }
};

describe('compile cache', () => {
  it('is written by a first run, used and added to by the next, and a damaged one only costs time', async () => {
    const cache = path.join(tmp.dir, 'cache');
    const create = (dir: string) => runCli([dir, '--yes', '--no-install', '--no-git', '--json'], { bin: 'create-istio-wasm', cwd: tmp.dir, env: { XDG_CACHE_HOME: cache } });
    const first = await create('one');
    expect(first.code, first.stderr).toBe(0);
    // One file for the install (named by its entry chunk), holding every chunk the run loaded.
    const [file, ...others] = entries(cache);
    expect(others).toEqual([]);
    expect(path.basename(file!)).toMatch(/^cli\.chunks-/);
    const written = readFileSync(file!);
    expect(written.toString('latin1')).toContain('builtin-template-assemblyscript-');
    const second = await create('two');
    expect(second.code, second.stderr).toBe(0);
    expect(readFileSync(file!).equals(written)).toBe(true);
    expect(JSON.parse(second.stdout).files).toEqual(JSON.parse(first.stdout).files);

    // Another command loads other chunks: their data is added.
    const other = await runCli(['doctor', '--json'], { cwd: tmp.dir, env: { XDG_CACHE_HOME: cache } });
    expect(other.stdout.length).toBeGreaterThan(0);
    expect(readFileSync(file!).length).toBeGreaterThan(written.length);

    // Data that is not V8's (or not this Node's) is refused: the chunks compile from source and the file is written anew.
    writeFileSync(file!, Buffer.alloc(64, 7));
    const third = await create('three');
    expect(third.code, third.stderr).toBe(0);
    expect(readFileSync(file!).length).toBeGreaterThan(64);
  });

  it('NODE_DISABLE_COMPILE_CACHE turns it off', async () => {
    const cache = path.join(tmp.dir, 'off');
    const r = await runCli(['four', '--yes', '--no-install', '--no-git'], { bin: 'create-istio-wasm', cwd: tmp.dir, env: { XDG_CACHE_HOME: cache, NODE_DISABLE_COMPILE_CACHE: '1' } });
    expect(r.code, r.stderr).toBe(0);
    expect(entries(cache)).toEqual([]);
    expect(readdirSync(tmp.dir)).toContain('four');
  });
});

describe('stacks of the CLI (its chunks are one file, their source maps another)', () => {
  it('--verbose names the TypeScript file, line and column of each frame, with or without a code cache', async () => {
    const sourceLine = (file: string, line: number) => readFileSync(path.join(repoRoot, file), 'utf8').split('\n')[line - 1] ?? '';
    for (const env of [{ XDG_CACHE_HOME: path.join(tmp.dir, 'stack-cache') }, { NODE_DISABLE_COMPILE_CACHE: '1' }]) {
      // Twice with a cache: the second run compiles from it.
      for (const _ of [1, 2]) {
        const r = await runCli(['inspect', path.join(tmp.dir, 'missing.wasm'), '--verbose'], { cwd: tmp.dir, env });
        expect(r.code).not.toBe(0);
        const frame = /\((\/[^)]*?(src\/commands\/inspect\.ts)):(\d+):(\d+)\)/.exec(r.stderr);
        expect(frame, r.stderr).not.toBeNull();
        // The line named is the one that throws.
        expect(sourceLine(frame![2]!, Number(frame![3]))).toContain('does not exist');
        expect(r.stderr).toMatch(/src\/cli\.ts:\d+:\d+/);
        expect(r.stderr).not.toMatch(/cli\.chunks|\.cjs:\d+/);
      }
    }
  });

  it('without --verbose no stack is printed', async () => {
    const r = await runCli(['inspect', path.join(tmp.dir, 'missing.wasm')], { cwd: tmp.dir });
    expect(r.code).not.toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});
