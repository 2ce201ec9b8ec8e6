import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cacheKey, readCachedImage } from '../../../src/oci/image-cache.js';
import { buildImage, buildImageAsync, sha256Hex } from '../../../src/oci/image.js';

const wasm = new Uint8Array(3 * 1024 * 1024);
wasm.set([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]);
for (let i = 8; i < wasm.length; i++) wasm[i] = (i * 7) % 13;

describe('image cache keys and the parallel build', () => {
  let dir: string;
  const saved = process.env.XDG_CACHE_HOME;
  beforeAll(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'ciw-cache-'));
    process.env.XDG_CACHE_HOME = dir;
  });
  afterAll(async () => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME;
    else process.env.XDG_CACHE_HOME = saved;
    await rm(dir, { recursive: true, force: true });
  });

  it('builds the same image in parallel as in one thread', async () => {
    for (const variant of ['compat', 'docker', 'wasm'] as const) {
      const a = buildImage(wasm, { variant });
      const b = await buildImageAsync(wasm, { variant });
      expect(b.manifest.descriptor.digest).toBe(a.manifest.descriptor.digest);
      expect(b.layers.map((l) => l.descriptor.digest)).toEqual(a.layers.map((l) => l.descriptor.digest));
    }
  });

  it('keys on the module, the variant, the root ids and the epoch', () => {
    const sha = sha256Hex(wasm);
    const base = { variant: 'compat', rootIds: [] as string[], epoch: '' };
    const keys = new Set([
      cacheKey(sha, base),
      cacheKey(sha256Hex(wasm.subarray(1)), base),
      cacheKey(sha, { ...base, variant: 'docker' }),
      cacheKey(sha, { ...base, rootIds: ['x'] }),
      cacheKey(sha, { ...base, epoch: '1700000000' }),
    ]);
    expect(keys.size).toBe(5);
  });

  it('ignores an unreadable entry', async () => {
    const key = cacheKey('0'.repeat(64), {});
    await writeFile(path.join(dir, 'istio-wasm', 'images', `${key}.json`), '{not json').catch(async () => {
      await import('node:fs/promises').then((fs) => fs.mkdir(path.join(dir, 'istio-wasm', 'images'), { recursive: true }));
      await writeFile(path.join(dir, 'istio-wasm', 'images', `${key}.json`), '{not json');
    });
    expect(await readCachedImage(key)).toBeUndefined();
    expect((await readdir(path.join(dir, 'istio-wasm', 'images'))).length).toBe(1);
  });
});
