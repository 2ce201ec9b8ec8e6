import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

// bin/load-cli.js: the CLI's chunks (dist/cli.chunks) compiled from V8's code cache under
// XDG_CACHE_HOME, kept by the loader itself on every Node version, per session (command).
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

/** A session's file: its header, and V8's data after it. */
function session(file: string): { header: { identity: string; layout: number; chunks: string[]; hot: boolean; ran?: string[] }; data: Buffer } {
  const bytes = readFileSync(file);
  const length = bytes.readUInt32LE(0);
  return { header: JSON.parse(bytes.toString('utf8', 4, 4 + length)) as { identity: string; layout: number; chunks: string[]; hot: boolean; ran?: string[] }, data: bytes.subarray(4 + length) };
}

describe('compile cache', () => {
  it('a first run lists the chunks, the next writes their data, later ones use it, and a damaged one only costs time', async () => {
    const cache = path.join(tmp.dir, 'cache');
    const create = (dir: string) => runCli([dir, '--yes', '--no-install', '--no-git', '--json'], { bin: 'create-istio-wasm', cwd: tmp.dir, env: { XDG_CACHE_HOME: cache } });
    const sessionFile = (name: string) => entries(cache).find((f) => path.basename(f).endsWith(`-${name}`))!;
    const first = await create('one');
    expect(first.code, first.stderr).toBe(0);
    // One file per session (command) of the install: the chunks it loads, later with the data of
    // the one script they are compiled as. A first run, compiling from source, writes only the list.
    expect(entries(cache).map((f) => path.basename(f).replace(/-\d+-\d+-\d+-/, '-ID-'))).toEqual(['cli.chunks-ID-create-istio-wasm']);
    const listed = session(sessionFile('create-istio-wasm'));
    expect(listed.header.hot).toBe(false);
    expect(listed.header.chunks).toContain('cli.cjs');
    expect(listed.header.chunks.some((c) => c.startsWith('builtin-template-assemblyscript-'))).toBe(true);
    expect(listed.data.length).toBe(0);

    // The next run compiles the session's chunks as one script and writes V8's data for it …
    const second = await create('two');
    expect(second.code, second.stderr).toBe(0);
    const hotBytes = readFileSync(sessionFile('create-istio-wasm'));
    const hot = session(sessionFile('create-istio-wasm'));
    expect(hot.header).toEqual({ ...listed.header, hot: true, ran: listed.header.chunks });
    expect(hot.data.length).toBeGreaterThan(10_000);
    // … which later runs use as it is.
    const third = await create('three');
    expect(third.code, third.stderr).toBe(0);
    expect(readFileSync(sessionFile('create-istio-wasm')).equals(hotBytes)).toBe(true);
    for (const r of [second, third]) expect(JSON.parse(r.stdout).files).toEqual(JSON.parse(first.stdout).files);
    for (const dir of ['one', 'two', 'three']) expect(readFileSync(path.join(tmp.dir, dir, 'package.json'), 'utf8')).toContain(`"name": "${dir}"`);

    // A rarer path of the command: its chunks are listed, and once run written into the data, so
    // the data holds the code of both paths.
    const listing = await runCli(['--list-templates', '--json'], { bin: 'create-istio-wasm', cwd: tmp.dir, env: { XDG_CACHE_HOME: cache } });
    expect(listing.code, listing.stderr).toBe(0);
    const both = session(sessionFile('create-istio-wasm')).header;
    expect(both.hot).toBe(false);
    expect(both.chunks.slice(0, listed.header.chunks.length)).toEqual(listed.header.chunks);
    expect(both.chunks.length).toBeGreaterThan(listed.header.chunks.length);
    expect((await create('after-listing')).code).toBe(0);
    const afterScaffold = session(sessionFile('create-istio-wasm')).header;
    expect(afterScaffold).toEqual({ ...both, hot: true, ran: listed.header.chunks });
    const listedAgain = await runCli(['--list-templates', '--json'], { bin: 'create-istio-wasm', cwd: tmp.dir, env: { XDG_CACHE_HOME: cache } });
    expect(listedAgain.stdout).toBe(listing.stdout);
    const ranBoth = session(sessionFile('create-istio-wasm')).header;
    expect(ranBoth.hot).toBe(true);
    expect(ranBoth.ran).toEqual(expect.arrayContaining(listed.header.chunks));
    expect(ranBoth.ran?.length).toBeGreaterThan(listed.header.chunks.length);
    const settled = readFileSync(sessionFile('create-istio-wasm'));
    expect((await create('after-both')).code).toBe(0);
    expect(readFileSync(sessionFile('create-istio-wasm')).equals(settled)).toBe(true);

    // Another command is a session of its own.
    const other = await runCli(['doctor', '--json'], { cwd: tmp.dir, env: { XDG_CACHE_HOME: cache } });
    expect(other.stdout.length).toBeGreaterThan(0);
    expect(session(sessionFile('istio-wasm-doctor')).header.chunks).toContain('cli.cjs');
    expect(readFileSync(sessionFile('create-istio-wasm')).equals(settled)).toBe(true);

    // A file that is not one (or data not V8's, or not this Node's) is refused: the chunks compile from source and it is written anew.
    writeFileSync(sessionFile('create-istio-wasm'), Buffer.alloc(64, 7));
    const damaged = await create('damaged');
    expect(damaged.code, damaged.stderr).toBe(0);
    expect(session(sessionFile('create-istio-wasm')).header.chunks).toEqual(listed.header.chunks);
    expect((await create('damaged-2')).code).toBe(0);
    const hotAgain = readFileSync(sessionFile('create-istio-wasm'));
    // Data made for a script laid out otherwise (an older bin/load-cli.js) is never used.
    const { header: current, data: currentData } = session(sessionFile('create-istio-wasm'));
    const headerBytes = Buffer.from(JSON.stringify({ ...current, layout: current.layout - 1 }));
    const length = Buffer.alloc(4);
    length.writeUInt32LE(headerBytes.length, 0);
    writeFileSync(sessionFile('create-istio-wasm'), Buffer.concat([length, headerBytes, currentData]));
    const otherLayout = await create('other-layout');
    expect(otherLayout.code, otherLayout.stderr).toBe(0);
    expect(session(sessionFile('create-istio-wasm')).header).toEqual({ ...current, hot: false, ran: undefined, chunks: listed.header.chunks });
    expect((await create('layout-again')).code).toBe(0);
    // Cut short (V8 checks the length of its data, not a checksum of it).
    const rejected = hotAgain.subarray(0, hotAgain.length - 2000);
    writeFileSync(sessionFile('create-istio-wasm'), rejected);
    const refused = await create('refused');
    expect(refused.code, refused.stderr).toBe(0);
    expect(session(sessionFile('create-istio-wasm')).header.hot).toBe(true);
    expect(readFileSync(sessionFile('create-istio-wasm')).equals(rejected)).toBe(false);
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
      // Three times with a cache: each chunk on its own, then the session's script from source, then
      // from its cache.
      for (const _ of [1, 2, 3]) {
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
