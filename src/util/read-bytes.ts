import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';

/**
 * A whole file's bytes, read in one call and returned as read (a view, not a copy). For modules
 * and layers of tens of MiB: the promise API reads in 512 KiB steps through the thread pool, and
 * `new Uint8Array(buffer)` copies.
 */
export function readBytes(file: string): Uint8Array {
  const data = readFileSync(file);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}

/**
 * The same without blocking: one read of the whole file on the thread pool, so other work (a
 * request on its way) goes on meanwhile.
 */
export async function readBytesAsync(file: string): Promise<Uint8Array> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const data = Buffer.allocUnsafe(size);
    let filled = 0;
    while (filled < size) {
      const { bytesRead } = await handle.read(data, filled, size - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
    }
    return new Uint8Array(data.buffer, data.byteOffset, filled);
  } finally {
    await handle.close();
  }
}
