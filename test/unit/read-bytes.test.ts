import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readBytes, readBytesAsync } from '../../src/util/read-bytes.js';
import { makeTempDir } from '../helpers/tmp.js';

describe('readBytes / readBytesAsync', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir('ciw-read-bytes-'));
  });
  afterAll(async () => cleanup?.());

  it('read a whole file, the same bytes both ways', async () => {
    const bytes = new Uint8Array(3 * 1024 * 1024 + 17);
    for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 31 + (i >> 11)) & 0xff;
    const file = path.join(dir, 'layer');
    await writeFile(file, bytes);
    const read = await readBytesAsync(file);
    expect(read.length).toBe(bytes.length);
    expect(Buffer.from(read).equals(Buffer.from(bytes))).toBe(true);
    expect(Buffer.from(readBytes(file)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('read an empty file as no bytes', async () => {
    const file = path.join(dir, 'empty');
    await writeFile(file, '');
    expect((await readBytesAsync(file)).length).toBe(0);
  });

  it('reject with the file system error for a missing file or a directory', async () => {
    await expect(readBytesAsync(path.join(dir, 'missing'))).rejects.toMatchObject({ code: 'ENOENT' });
    await mkdir(path.join(dir, 'sub'));
    await expect(readBytesAsync(path.join(dir, 'sub'))).rejects.toMatchObject({ code: 'EISDIR' });
  });
});
