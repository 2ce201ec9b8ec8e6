import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

// bin/load-cli.js: the CLI's chunks compiled from V8's code cache under XDG_CACHE_HOME. On Node
// 22.1 and later Node keeps that cache itself (its own layout), so the entries are looked at only
// where this package writes them.
const ownCache = !('enableCompileCache' in (await import('node:module')).default);
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
beforeAll(async () => {
  tmp = await makeTempDir('ciw-compile-cache-');
});
afterAll(async () => tmp?.cleanup());

const entries = (cache: string): string[] => {
  const store = path.join(cache, 'istio-wasm', 'compile-cache', `${process.version}-${process.arch}`);
  try {
    return readdirSync(store).map((name) => path.join(store, name));
  } catch {
    return [];
  }
};

describe('compile cache', () => {
  it.runIf(ownCache)('is written by a first run, used by the next, and a damaged entry only costs time', async () => {
    const cache = path.join(tmp.dir, 'cache');
    const run = (dir: string) => runCli([dir, '--yes', '--no-install', '--no-git', '--json'], { bin: 'create-istio-wasm', cwd: tmp.dir, env: { XDG_CACHE_HOME: cache } });
    const first = await run('one');
    expect(first.code, first.stderr).toBe(0);
    const written = entries(cache);
    expect(written.some((f) => path.basename(f).startsWith('cli.cjs-'))).toBe(true);
    expect(written.some((f) => path.basename(f).startsWith('builtin-template-assemblyscript-'))).toBe(true);
    const second = await run('two');
    expect(second.code, second.stderr).toBe(0);
    expect(entries(cache).sort()).toEqual(written.sort());
    expect(JSON.parse(second.stdout).files).toEqual(JSON.parse(first.stdout).files);

    // V8 refuses data that is not its own: the chunk compiles from source and the entry is rewritten.
    const damaged = written.find((f) => path.basename(f).startsWith('cli.cjs-'))!;
    writeFileSync(damaged, Buffer.alloc(64, 7));
    const third = await run('three');
    expect(third.code, third.stderr).toBe(0);
    expect(readFileSync(damaged).equals(Buffer.alloc(64, 7))).toBe(false);
  });

  it('NODE_DISABLE_COMPILE_CACHE turns it off', async () => {
    const cache = path.join(tmp.dir, 'off');
    const r = await runCli(['four', '--yes', '--no-install', '--no-git'], { bin: 'create-istio-wasm', cwd: tmp.dir, env: { XDG_CACHE_HOME: cache, NODE_DISABLE_COMPILE_CACHE: '1' } });
    expect(r.code, r.stderr).toBe(0);
    expect(entries(cache)).toEqual([]);
    expect(readdirSync(tmp.dir)).toContain('four');
  });
});
