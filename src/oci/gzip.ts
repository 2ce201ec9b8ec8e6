import { crc32, deflateRawSync, gunzipSync, constants } from 'node:zlib';

/**
 * gzip with a fixed header (no name, mtime 0, OS "unknown"), so the same bytes always compress to
 * the same layer digest whatever machine packs them.
 */
export function gzipReproducible(data: Uint8Array): Uint8Array {
  const body = deflateRawSync(data, { level: compressionLevel(data), memLevel: 8, strategy: constants.Z_DEFAULT_STRATEGY });
  const out = new Uint8Array(10 + body.length + 8);
  out.set([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff], 0);
  out.set(body, 10);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(10 + body.length, crc32(data) >>> 0, true);
  view.setUint32(14 + body.length, data.length >>> 0, true);
  return out;
}

/**
 * Level 6 for what compresses (real modules shrink about 3x), level 0 (stored blocks) when a sample
 * shows the bytes do not compress: deflating incompressible data costs most of a push and saves
 * nothing. A function of the content only, so still reproducible.
 */
export function compressionLevel(data: Uint8Array): number {
  if (data.length < 256 * 1024) return 6;
  const sample = data.subarray(0, 256 * 1024);
  return deflateRawSync(sample, { level: 1 }).length > sample.length * 0.95 ? 0 : 6;
}

export function isGzip(data: Uint8Array): boolean {
  return data[0] === 0x1f && data[1] === 0x8b;
}

/** Gunzips with an output limit (a layer bomb must not eat the machine). */
export function gunzip(data: Uint8Array, maxOutputLength = 512 * 1024 * 1024): Uint8Array {
  const out = gunzipSync(data, { maxOutputLength });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
