/**
 * An ordered multimap of HTTP headers, as Envoy keeps them: keys lower-cased, duplicates allowed,
 * pseudo-headers (`:path`, `:status`) are ordinary entries.
 */
export type HeaderPairs = Array<[string, string]>;
export type HeadersInit = HeaderPairs | Record<string, string | string[] | number | undefined>;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export class HeaderMap {
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

  /** The first value; Envoy's get_header_map_value joins duplicates with "," — see getJoined. */
  get(key: string): string | undefined {
    const k = key.toLowerCase();
    for (const [pk, pv] of this.pairs) if (pk === k) return pv;
    return undefined;
  }

  /** All values of a key joined with ",", as Envoy answers proxy_get_header_map_value. */
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
    const at = this.pairs.findIndex(([pk]) => pk === k);
    if (at < 0) {
      this.pairs.push([k, value]);
      return;
    }
    const entry = this.pairs[at];
    if (entry) entry[1] = value;
    this.pairs = this.pairs.filter(([pk], i) => i <= at || pk !== k);
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
    const k = decoder.decode(data.subarray(at, at + kl));
    at += kl + 1;
    const v = decoder.decode(data.subarray(at, at + vl));
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
