import { crc32, deflateRawSync, gunzipSync, constants } from 'node:zlib';

/**
 * gzip with a fixed header (no name, mtime 0, OS "unknown"), so the same bytes always compress to
 * the same layer digest whatever machine packs them.
 */
export function gzipReproducible(data: Uint8Array): Uint8Array {
  const body = deflateRawSync(data, { level: 6, memLevel: 8, strategy: constants.Z_DEFAULT_STRATEGY });
  const out = new Uint8Array(10 + body.length + 8);
  out.set([0x1f, 0x8b, 0x08, 0x00, 0, 0, 0, 0, 0x00, 0xff], 0);
  out.set(body, 10);
  const view = new DataView(out.buffer, out.byteOffset, out.byteLength);
  view.setUint32(10 + body.length, crc32(data) >>> 0, true);
  view.setUint32(14 + body.length, data.length >>> 0, true);
  return out;
}

export function isGzip(data: Uint8Array): boolean {
  return data[0] === 0x1f && data[1] === 0x8b;
}

/** Gunzips with an output limit (a layer bomb must not eat the machine). */
export function gunzip(data: Uint8Array, maxOutputLength = 512 * 1024 * 1024): Uint8Array {
  const out = gunzipSync(data, { maxOutputLength });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
