/**
 * An ordered multimap of HTTP headers, as Envoy keeps them: keys lower-cased, duplicates allowed,
 * pseudo-headers (`:path`, `:status`) are ordinary entries.
 */
export type HeaderPairs = Array<[string, string]>;
export type HeadersInit = HeaderPairs | Record<string, string | string[] | number | undefined>;

import { decodeUtf8 } from './memory.js';

const encoder = new TextEncoder();

export class HeaderMap {
  /** The entries in order. A pair array is never changed once in the list (replaced instead), so a shallow copy is a snapshot. */
  pairs: HeaderPairs;

  constructor(init?: HeadersInit) {
    this.pairs = [];
    if (!init) return;
    if (Array.isArray(init)) {
      for (const [k, v] of init) this.pairs.push([k.toLowerCase(), String(v)]);
      return;
    }
    for (const [k, v] of Object.entries(init)) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const one of v) this.pairs.push([k.toLowerCase(), one]);
      else this.pairs.push([k.toLowerCase(), String(v)]);
    }
  }

  get size(): number {
    return this.pairs.length;
  }

  /** The first value, as Envoy answers proxy_get_header_map_value for a repeated header. */
  get(key: string): string | undefined {
    const k = key.toLowerCase();
    for (const [pk, pv] of this.pairs) if (pk === k) return pv;
    return undefined;
  }

  /** All values of a key joined with ",", as Envoy answers a request.headers.<name> property. */
  getJoined(key: string): string | undefined {
    const k = key.toLowerCase();
    let out: string | undefined;
    for (const [pk, pv] of this.pairs) if (pk === k) out = out === undefined ? pv : `${out},${pv}`;
    return out;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  add(key: string, value: string): void {
    this.pairs.push([key.toLowerCase(), value]);
  }

  /** Replaces every value of the key with one value (adds it when absent). */
  replace(key: string, value: string): void {
    const k = key.toLowerCase();
    const pairs = this.pairs;
    let found = -1;
    let duplicates = false;
    for (let i = 0; i < pairs.length; i++) {
      if ((pairs[i] as [string, string])[0] !== k) continue;
      if (found < 0) found = i;
      else duplicates = true;
    }
    if (found < 0) {
      pairs.push([k, value]);
      return;
    }
    // A new pair, never a change in place: traces keep snapshots that share the pair arrays.
    pairs[found] = [k, value];
    if (duplicates) this.pairs = pairs.filter(([pk], i) => i <= found || pk !== k);
  }

  remove(key: string): void {
    const k = key.toLowerCase();
    this.pairs = this.pairs.filter(([pk]) => pk !== k);
  }

  clone(): HeaderMap {
    const copy = new HeaderMap();
    copy.pairs = this.pairs.map(([k, v]) => [k, v]);
    return copy;
  }

  /** A plain object; duplicate keys are joined with ", ". */
  toObject(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.pairs) out[k] = out[k] === undefined ? v : `${out[k]}, ${v}`;
    return out;
  }
}

/**
 * Serializes pairs in the ABI's layout: u32 count; per pair u32 key length and u32 value length;
 * then each key and each value followed by a NUL byte (little-endian).
 */
export function serializePairs(pairs: HeaderPairs): Uint8Array {
  // Headers are nearly always ASCII: size them by length and copy char codes; UTF-8 otherwise.
  const n = pairs.length;
  const lengths = new Array<number>(n * 2);
  let ascii = true;
  let size = 4 + n * 8;
  for (let i = 0; i < n; i++) {
    const pair = pairs[i] as [string, string];
    for (let j = 0; j < 2; j++) {
      const text = pair[j] as string;
      let len = text.length;
      if (ascii && !isAscii(text)) ascii = false;
      if (!ascii) len = encoder.encode(text).byteLength;
      lengths[i * 2 + j] = len;
      size += len + 1;
    }
  }
  if (!ascii) return serializeUtf8(pairs);
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, n, true);
  let at = 4;
  for (let i = 0; i < n * 2; i++) {
    view.setUint32(at, lengths[i] as number, true);
    at += 4;
  }
  for (let i = 0; i < n; i++) {
    const pair = pairs[i] as [string, string];
    for (let j = 0; j < 2; j++) {
      const text = pair[j] as string;
      for (let c = 0; c < text.length; c++) out[at++] = text.charCodeAt(c);
      at++; // NUL
    }
  }
  return out;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) >= 0x80) return false;
  return true;
}

function serializeUtf8(pairs: HeaderPairs): Uint8Array {
  const encoded: Uint8Array[] = [];
  let size = 4 + pairs.length * 8;
  for (const [k, v] of pairs) {
    const kb = encoder.encode(k);
    const vb = encoder.encode(v);
    encoded.push(kb, vb);
    size += kb.byteLength + vb.byteLength + 2;
  }
  const out = new Uint8Array(size);
  const view = new DataView(out.buffer);
  view.setUint32(0, pairs.length, true);
  let at = 4;
  for (const b of encoded) {
    view.setUint32(at, b.byteLength, true);
    at += 4;
  }
  for (const b of encoded) {
    out.set(b, at);
    at += b.byteLength + 1;
  }
  return out;
}

/** String to UTF-8 bytes; ASCII without TextEncoder's call overhead. */
export function encodeUtf8(text: string): Uint8Array {
  if (text.length <= 64 && isAscii(text)) {
    const out = new Uint8Array(text.length);
    for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
    return out;
  }
  return encoder.encode(text);
}

/** Parses the ABI layout; throws HeaderMapFormatError (→ BAD_ARGUMENT) on malformed input. */
export function deserializePairs(data: Uint8Array): HeaderPairs {
  if (data.byteLength === 0 || (data.byteLength === 1 && data[0] === 0)) return [];
  if (data.byteLength < 4) throw new HeaderMapFormatError('header map shorter than its count');
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const count = view.getUint32(0, true);
  if (4 + count * 8 > data.byteLength) throw new HeaderMapFormatError(`header map announces ${count} pairs but is ${data.byteLength} bytes`);
  const lengths: number[] = [];
  for (let i = 0; i < count * 2; i++) lengths.push(view.getUint32(4 + i * 4, true));
  let at = 4 + count * 8;
  const pairs: HeaderPairs = [];
  for (let i = 0; i < count; i++) {
    const kl = lengths[i * 2] ?? 0;
    const vl = lengths[i * 2 + 1] ?? 0;
    if (at + kl + vl + 2 > data.byteLength) throw new HeaderMapFormatError('header map pair runs past its end');
    const k = decodeUtf8(data.subarray(at, at + kl));
    at += kl + 1;
    const v = decodeUtf8(data.subarray(at, at + vl));
    at += vl + 1;
    pairs.push([k, v]);
  }
  return pairs;
}

/** A malformed serialized map from the guest; host functions answer BAD_ARGUMENT. */
export class HeaderMapFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HeaderMapFormatError';
  }
}
