import { close, fstat, open, read, readFileSync } from 'node:fs';

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
 * request on its way) goes on meanwhile. Node's callback API, not fs/promises: loading that (eight
 * internal modules, 2-3 ms) would hold up the requests a push has just sent.
 */
export function readBytesAsync(file: string): Promise<Uint8Array> {
  return new Promise((resolve, reject) => {
    open(file, 'r', (openError, fd) => {
      if (openError) {
        reject(openError);
        return;
      }
      const finish = (error: Error | null, bytes?: Uint8Array) => close(fd, () => (error ? reject(error) : resolve(bytes!)));
      fstat(fd, (statError, stats) => {
        if (statError) {
          finish(statError);
          return;
        }
        const data = Buffer.allocUnsafe(stats.size);
        const next = (filled: number) => {
          if (filled >= data.length) {
            finish(null, new Uint8Array(data.buffer, data.byteOffset, filled));
            return;
          }
          read(fd, data, filled, data.length - filled, filled, (readError, bytesRead) => {
            if (readError) finish(readError);
            else if (bytesRead === 0) finish(null, new Uint8Array(data.buffer, data.byteOffset, filled));
            else next(filled + bytesRead);
          });
        };
        next(0);
      });
    });
  });
}
