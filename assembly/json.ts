// A small JSON parser for plugin configuration: objects, arrays, strings (with escapes),
// numbers, booleans and null, into one JsonValue class. parseJson returns null on any syntax
// error, trailing garbage, or nesting deeper than 64 levels.

import { MAX_DIGITS, decimalToF64 } from "./decimal";

export enum JsonType {
  Null = 0,
  Bool = 1,
  Number = 2,
  String = 3,
  Array = 4,
  Object = 5,
}

export class JsonValue {
  type: JsonType = JsonType.Null;
  bool: bool = false;
  num: f64 = 0;
  str: string = "";
  /** Array items, or object values (parallel to `keys`). */
  items: Array<JsonValue> | null = null;
  /** Object keys in document order (a repeated key: the last one wins in get()). */
  keys: Array<string> | null = null;

  isNull(): bool { return this.type == JsonType.Null; }
  isBool(): bool { return this.type == JsonType.Bool; }
  isNumber(): bool { return this.type == JsonType.Number; }
  isString(): bool { return this.type == JsonType.String; }
  isArray(): bool { return this.type == JsonType.Array; }
  isObject(): bool { return this.type == JsonType.Object; }

  /** Items of an array or entries of an object (0 otherwise). */
  get length(): i32 {
    const items = this.items;
    return items !== null ? items.length : 0;
  }

  /** The i-th array item (or object value), null when out of range. */
  at(index: i32): JsonValue | null {
    const items = this.items;
    return items !== null && index >= 0 && index < items.length ? unchecked(items[index]) : null;
  }

  /** An object member, null when absent or not an object. */
  get(key: string): JsonValue | null {
    const keys = this.keys;
    const items = this.items;
    if (keys === null || items === null) return null;
    for (let i = keys.length - 1; i >= 0; i--) {
      if (unchecked(keys[i]) == key) return unchecked(items[i]);
    }
    return null;
  }

  has(key: string): bool { return this.get(key) !== null; }

  /** A string member, null when absent or not a string. */
  getString(key: string): string | null {
    const v = this.get(key);
    return v !== null && v.type == JsonType.String ? v.str : null;
  }

  getNumber(key: string, fallback: f64): f64 {
    const v = this.get(key);
    return v !== null && v.type == JsonType.Number ? v.num : fallback;
  }

  getBool(key: string, fallback: bool): bool {
    const v = this.get(key);
    return v !== null && v.type == JsonType.Bool ? v.bool : fallback;
  }
}

const MAX_DEPTH = 64;

class Parser {
  pos: i32 = 0;
  failed: bool = false;
  /** A number's significant digits (reused by every number of the document). */
  digits: StaticArray<u8> = new StaticArray<u8>(MAX_DIGITS);
  constructor(public text: string) {}

  fail(): JsonValue {
    this.failed = true;
    return new JsonValue();
  }

  skipSpace(): void {
    const text = this.text;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c != 0x20 && c != 0x09 && c != 0x0a && c != 0x0d) break;
      this.pos++;
    }
  }

  peek(): i32 {
    return this.pos < this.text.length ? this.text.charCodeAt(this.pos) : -1;
  }

  literal(word: string): bool {
    if (this.text.substr(this.pos, word.length) != word) return false;
    this.pos += word.length;
    return true;
  }

  value(depth: i32): JsonValue {
    if (depth > MAX_DEPTH) return this.fail();
    this.skipSpace();
    const c = this.peek();
    const v = new JsonValue();
    if (c == 0x7b /* { */) return this.object(depth);
    if (c == 0x5b /* [ */) return this.array(depth);
    if (c == 0x22 /* " */) {
      v.type = JsonType.String;
      v.str = this.string();
      return v;
    }
    if (c == 0x2d /* - */ || (c >= 0x30 && c <= 0x39)) {
      v.type = JsonType.Number;
      v.num = this.number();
      return v;
    }
    if (this.literal("true")) { v.type = JsonType.Bool; v.bool = true; return v; }
    if (this.literal("false")) { v.type = JsonType.Bool; return v; }
    if (this.literal("null")) return v;
    return this.fail();
  }

  object(depth: i32): JsonValue {
    this.pos++; // {
    const v = new JsonValue();
    v.type = JsonType.Object;
    const keys = new Array<string>();
    const items = new Array<JsonValue>();
    v.keys = keys;
    v.items = items;
    this.skipSpace();
    if (this.peek() == 0x7d /* } */) { this.pos++; return v; }
    while (!this.failed) {
      this.skipSpace();
      if (this.peek() != 0x22) return this.fail();
      const key = this.string();
      this.skipSpace();
      if (this.peek() != 0x3a /* : */) return this.fail();
      this.pos++;
      const item = this.value(depth + 1);
      if (this.failed) break;
      keys.push(key);
      items.push(item);
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x7d) return v;
      if (c != 0x2c /* , */) return this.fail();
    }
    return this.fail();
  }

  array(depth: i32): JsonValue {
    this.pos++; // [
    const v = new JsonValue();
    v.type = JsonType.Array;
    const items = new Array<JsonValue>();
    v.items = items;
    this.skipSpace();
    if (this.peek() == 0x5d /* ] */) { this.pos++; return v; }
    while (!this.failed) {
      const item = this.value(depth + 1);
      if (this.failed) break;
      items.push(item);
      this.skipSpace();
      const c = this.peek();
      this.pos++;
      if (c == 0x5d) return v;
      if (c != 0x2c) return this.fail();
    }
    return this.fail();
  }

  hex4(): i32 {
    let code = 0;
    for (let i = 0; i < 4; i++) {
      const c = this.peek();
      this.pos++;
      let d: i32;
      if (c >= 0x30 && c <= 0x39) d = c - 0x30;
      else if (c >= 0x61 && c <= 0x66) d = c - 0x61 + 10;
      else if (c >= 0x41 && c <= 0x46) d = c - 0x41 + 10;
      else { this.failed = true; return 0; }
      code = (code << 4) | d;
    }
    return code;
  }

  string(): string {
    const text = this.text;
    this.pos++; // opening quote
    let out = "";
    let runStart = this.pos;
    while (this.pos < text.length) {
      const c = text.charCodeAt(this.pos);
      if (c == 0x22) {
        out += text.substring(runStart, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) break; // control characters must be escaped
      if (c != 0x5c /* \ */) { this.pos++; continue; }
      out += text.substring(runStart, this.pos);
      this.pos++;
      const e = this.peek();
      this.pos++;
      if (e == 0x22 || e == 0x5c || e == 0x2f) out += String.fromCharCode(e);
      else if (e == 0x62) out += "\b";
      else if (e == 0x66) out += "\f";
      else if (e == 0x6e) out += "\n";
      else if (e == 0x72) out += "\r";
      else if (e == 0x74) out += "\t";
      else if (e == 0x75) {
        const code = this.hex4();
        if (this.failed) return "";
        out += String.fromCharCode(code);
      } else break;
      runStart = this.pos;
    }
    this.failed = true;
    return "";
  }

  /**
   * -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?: its significant digits and decimal exponent,
   * converted once with correct rounding (decimalToF64), so every number reads as JSON.parse reads it.
   */
  number(): f64 {
    const text = this.text;
    const digits = this.digits;
    let negative = false;
    if (this.peek() == 0x2d) { negative = true; this.pos++; }
    const intStart = this.pos;
    let count = 0;
    let exp: i32 = 0;
    let truncated = false;
    let inPart = 0;
    let fraction = false;
    for (;;) {
      const c = this.peek();
      if (c >= 0x30 && c <= 0x39) {
        const d = <u8>(c - 0x30);
        if (count == 0 && d == 0) {
          if (fraction) exp--; // a leading zero only moves the point
        } else if (count < MAX_DIGITS) {
          unchecked((digits[count++] = d));
          if (fraction) exp--;
        } else {
          if (d != 0) truncated = true;
          if (!fraction) exp++;
        }
        inPart++;
      } else if (c == 0x2e && !fraction && inPart > 0) {
        fraction = true;
        inPart = 0;
      } else break;
      this.pos++;
    }
    // no digits (in the integer part or after '.'), or a leading zero followed by digits
    if (inPart == 0 || (text.charCodeAt(intStart) == 0x30 && this.pos > intStart + 1 && text.charCodeAt(intStart + 1) != 0x2e)) {
      this.failed = true;
      return 0;
    }
    const e = this.peek();
    if (e == 0x65 || e == 0x45) {
      this.pos++;
      let sign = 1;
      const s = this.peek();
      if (s == 0x2b || s == 0x2d) { if (s == 0x2d) sign = -1; this.pos++; }
      let n = 0;
      let e10 = 0;
      for (let c = this.peek(); c >= 0x30 && c <= 0x39; c = this.peek()) {
        if (e10 < 100000) e10 = e10 * 10 + (c - 0x30);
        n++;
        this.pos++;
      }
      if (n == 0) { this.failed = true; return 0; }
      exp += sign * e10;
    }
    const value = decimalToF64(digits, count, exp, truncated);
    return negative ? -value : value;
  }
}

/** Parses a JSON document; null when it is not valid JSON. */
export function parseJson(text: string): JsonValue | null {
  const p = new Parser(text);
  const v = p.value(0);
  if (p.failed) return null;
  p.skipSpace();
  if (p.pos != text.length) return null;
  return v;
}
