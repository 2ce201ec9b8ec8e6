/**
 * The plugin configuration bytes istiod hands a plugin for a `pluginConfig` (pilot/pkg/model
 * extensions.go): the Struct rendered by golang/protobuf's jsonpb without indentation, wrapped in
 * a StringValue. An empty or absent pluginConfig is an empty Any: the plugin reads zero bytes.
 *
 * jsonpb over a Struct means: object keys in byte order of their UTF-8, every number a float64 in
 * Go's encoding/json form, strings escaped as encoding/json does (HTML characters, U+2028/U+2029
 * and control characters as \u escapes). JSON.stringify keeps insertion order and escapes less, so
 * a plugin that hashes or compares its configuration would see other bytes than in the mesh.
 */
export function istioPluginConfiguration(value: unknown): Uint8Array {
  if (value === undefined || value === null) return new Uint8Array(0);
  if (isPlainObject(value) && Object.keys(value).length === 0) return new Uint8Array(0);
  return new TextEncoder().encode(goJson(value));
}

/** A plugin's configuration bytes: strings and bytes pass as they are; anything else is rendered as istiod renders pluginConfig. */
export function configurationBytes(value: unknown): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return new TextEncoder().encode(value);
  return istioPluginConfiguration(value);
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Uint8Array);
}

const encoder = new TextEncoder();

/** Go's `string < string`: byte order of the UTF-8 encodings. */
function byteOrder(a: string, b: string): number {
  return Buffer.compare(encoder.encode(a), encoder.encode(b));
}

function goJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'number') return goFloat(value);
  if (typeof value === 'bigint') return goFloat(Number(value));
  if (typeof value === 'string') return goString(value);
  if (value instanceof Date) return goString(value.toISOString());
  if (Array.isArray(value)) return `[${value.map(goJson).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).sort(byteOrder);
    return `{${keys.map((k) => `${goString(k)}:${goJson((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return goString(String(value));
}

/** encoding/json's float64: 'f' form, or 'e' below 1e-6 and from 1e21 (exponent without a leading 0). */
function goFloat(n: number): string {
  if (Number.isNaN(n)) return '"NaN"';
  if (n === Infinity) return '"Infinity"';
  if (n === -Infinity) return '"-Infinity"';
  if (Object.is(n, -0)) return '-0';
  // JavaScript's shortest round-trip digits, exponent thresholds (1e-6, 1e21) and exponent spelling (1e+21, 1e-7) are Go's.
  return String(n);
}

const hex = '0123456789abcdef';

/** encoding/json's string escaping with HTML escaping on (json.Marshal). */
function goString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    switch (ch) {
      case '"':
        out += '\\"';
        continue;
      case '\\':
        out += '\\\\';
        continue;
      case '\b':
        out += '\\b';
        continue;
      case '\f':
        out += '\\f';
        continue;
      case '\n':
        out += '\\n';
        continue;
      case '\r':
        out += '\\r';
        continue;
      case '\t':
        out += '\\t';
        continue;
    }
    if (c < 0x20 || ch === '<' || ch === '>' || ch === '&' || c === 0x2028 || c === 0x2029) {
      out += `\\u${c <= 0xff ? `00${hex[c >> 4]}${hex[c & 15]}` : c.toString(16)}`;
      continue;
    }
    // A lone surrogate is not UTF-8: Go's decoder has already made it U+FFFD.
    out += c >= 0xd800 && c <= 0xdfff ? '\ufffd' : ch;
  }
  return `${out}"`;
}
