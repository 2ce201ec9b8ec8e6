import { createRequire } from 'node:module';
import type { ZlibOptions } from 'node:zlib';

type Zlib = typeof import('node:zlib');
let loaded: Zlib | undefined;
/** node:zlib on first use (a few ms to load): a push of a prepared layout, or a re-push from the image cache, compresses nothing. */
const zlib = (): Zlib => (loaded ??= createRequire(import.meta.url)('node:zlib') as Zlib);

/**
 * gzip with a fixed header (no name, mtime 0, OS "unknown"), so the same bytes always compress to
 * the same layer digest whatever machine packs them.
 *
 * The input is deflated in 1 MiB pieces the way pigz does: each piece primed with the 32 KiB before
 * it (so the ratio stays that of one stream) and ended with a sync flush, the last one with the
 * final block; the pieces concatenate into one deflate stream. The pieces are independent, so the
 * async version compresses them in parallel on libuv's thread pool; both versions give the same
 * bytes (a function of the input only).
 */
export const pieceSize = 1024 * 1024;
const window = 32 * 1024;

/**
 * Level 1: real modules (AssemblyScript, Rust, Go) shrink about 3x at level 1 and only a few percent
 * more at 6, which costs twice the CPU (and level 9 three times) on every push.
 */
export const gzipLevel = 1;

function pieceOptions(data: Uint8Array, start: number, end: number, level: number): ZlibOptions {
  const options: ZlibOptions = { level, memLevel: 8, strategy: zlib().constants.Z_DEFAULT_STRATEGY, finishFlush: end >= data.length ? zlib().constants.Z_FINISH : zlib().constants.Z_SYNC_FLUSH };
  if (start > 0 && level > 0) options.dictionary = data.subarray(Math.max(0, start - window), start);
  return options;
}

function pieces(data: Uint8Array): Array<[number, number]> {
  const out: Array<[number, number]> = [];
  for (let start = 0; start < data.length || out.length === 0; start += pieceSize) out.push([start, Math.min(data.length, start + pieceSize)]);
  return out;
}

function wrap(data: Uint8Array, body: Uint8Array[]): Uint8Array {
  const length = body.reduce((n, b) => n + b.length, 0);
  const out = new Uint8Array(10 + length + 8);
  out.set([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff], 0);
  let offset = 10;
  for (const b of body) {
    out.set(b, offset);
    offset += b.length;
  }
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(offset, zlib().crc32(data) >>> 0, true);
  view.setUint32(offset + 4, data.length >>> 0, true);
  return out;
}

export function gzipReproducible(data: Uint8Array): Uint8Array {
  const level = compressionLevel(data);
  return wrap(
    data,
    pieces(data).map(([start, end]) => zlib().deflateRawSync(data.subarray(start, end), pieceOptions(data, start, end, level))),
  );
}

/** The same bytes as gzipReproducible, with the pieces compressed in parallel off the main thread. */
export async function gzipReproducibleAsync(data: Uint8Array): Promise<Uint8Array> {
  const level = compressionLevel(data);
  const body = await Promise.all(
    pieces(data).map(
      ([start, end]) =>
        new Promise<Uint8Array>((resolve, reject) =>
          zlib().deflateRaw(data.subarray(start, end), pieceOptions(data, start, end, level), (error, out) => (error ? reject(error) : resolve(out))),
        ),
    ),
  );
  return wrap(data, body);
}

/**
 * gzipLevel for what compresses, level 0 (stored blocks) when a sample shows the bytes do not
 * compress: deflating incompressible data costs most of a push and saves nothing. A function of the
 * content only, so still reproducible.
 */
export function compressionLevel(data: Uint8Array): number {
  if (data.length < 256 * 1024) return gzipLevel;
  const sample = data.subarray(0, 256 * 1024);
  return zlib().deflateRawSync(sample, { level: 1 }).length > sample.length * 0.95 ? 0 : gzipLevel;
}

export function isGzip(data: Uint8Array): boolean {
  return data[0] === 0x1f && data[1] === 0x8b;
}

/** Gunzips with an output limit (a layer bomb must not eat the machine). */
export function gunzip(data: Uint8Array, maxOutputLength = 512 * 1024 * 1024): Uint8Array {
  const out = zlib().gunzipSync(data, { maxOutputLength });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
