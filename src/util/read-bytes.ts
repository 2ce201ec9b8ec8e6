import { readFileSync } from 'node:fs';

/**
 * A whole file's bytes, read in one call and returned as read (a view, not a copy). For modules
 * and layers of tens of MiB: the promise API reads in 512 KiB steps through the thread pool, and
 * `new Uint8Array(buffer)` copies.
 */
export function readBytes(file: string): Uint8Array {
  const data = readFileSync(file);
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
