import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { gzipReproducible, gzipReproducibleAsync, pieceSize } from '../../../src/oci/gzip.js';

function codeLike(size: number, seed: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = (x >>> 24) & 0x0f;
  }
  return out;
}

describe('reproducible gzip in pieces', () => {
  it('gives the same bytes sync and in parallel, and gunzips to the input', async () => {
    for (const size of [0, 1, 1000, pieceSize, pieceSize + 1, 3 * pieceSize + 12345]) {
      const data = codeLike(size, size + 7);
      const sync = gzipReproducible(data);
      const parallel = await gzipReproducibleAsync(data);
      expect(Buffer.from(parallel).equals(Buffer.from(sync)), `size ${size}`).toBe(true);
      expect(Buffer.from(gunzipSync(sync)).equals(Buffer.from(data)), `size ${size}`).toBe(true);
      // Fixed header: no name, mtime 0, OS unknown.
      expect([...sync.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    }
  });

  it('compresses what compresses, and stores what does not', async () => {
    const text = codeLike(2 * pieceSize, 3);
    expect((await gzipReproducibleAsync(text)).length).toBeLessThan(text.length * 0.7);
    const noise = new Uint8Array(2 * pieceSize);
    let x = 9;
    for (let i = 0; i < noise.length; i++) noise[i] = (x = (Math.imul(x, 1103515245) + 12345) >>> 0) >>> 24;
    const stored = await gzipReproducibleAsync(noise);
    expect(stored.length).toBeGreaterThan(noise.length);
    expect(stored.length).toBeLessThan(noise.length + 1024);
    expect(Buffer.from(gunzipSync(stored)).equals(Buffer.from(noise))).toBe(true);
  });
});
