import { mkdir, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/util/write-atomic.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'ciw-atomic-'));
});
afterEach(async () => rm(dir, { recursive: true, force: true }));

// The two forms do the same: each case runs through both.
const forms = [
  ['writeFileAtomic', writeFileAtomic],
  ['writeFileAtomicSync', async (...args: Parameters<typeof writeFileAtomicSync>) => writeFileAtomicSync(...args)],
] as const;

describe.each(forms)('%s', (_name, write) => {
  it('replaces a file whole, creating parents, with the mode set before it appears', async () => {
    const file = path.join(dir, 'a', 'b', 'secret.yaml');
    await write(file, 'one');
    await write(file, 'two', { mode: 0o600 });
    expect(await readFile(file, 'utf8')).toBe('two');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await readdir(path.dirname(file))).toEqual(['secret.yaml']);
  });

  it('leaves the old content and no temp file when the write cannot complete', async () => {
    const target = path.join(dir, 'plugin.wasm');
    await mkdir(target);
    await writeFile(path.join(target, 'keep'), 'x');
    await expect(write(target, new Uint8Array([0, 97, 115, 109]))).rejects.toThrow();
    expect(await readdir(dir)).toEqual(['plugin.wasm']);
    expect(await readFile(path.join(target, 'keep'), 'utf8')).toBe('x');
  });
});
