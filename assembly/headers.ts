// Header maps (HTTP headers and trailers, gRPC metadata) and their wire format:
// little-endian u32 count; per pair u32 key length and u32 value length; then each key and each
// value, each followed by one NUL byte. An empty map may arrive as 0 bytes or as a single 0 byte.

import {
  proxy_add_header_map_value,
  proxy_get_header_map_pairs,
  proxy_get_header_map_size,
  proxy_get_header_map_value,
  proxy_remove_header_map_value,
  proxy_replace_header_map_value,
  proxy_set_header_map_pairs,
} from "./abi/imports";
import {
  clearOut,
  freeHostBlock,
  lenOf,
  outPtr,
  outSize,
  ptrOf,
  readOutPtr,
  readOutSize,
  setLastStatus,
  takeOutString,
  utf8,
} from "./abi/memory";
import { MapType, Status } from "./constants";

/** One header (or trailer, or metadata entry). Pseudo-headers (`:path`, `:status`) are ordinary entries. */
export class Header {
  constructor(public name: string, public value: string) {}
}

/** An ordered list of headers; names may repeat. */
export type Headers = Array<Header>;

/** Shorthand: `[header(":method", "GET"), header(":path", "/")]`. */
export function header(name: string, value: string): Header {
  return new Header(name, value);
}

/** Serializes headers to the ABI's wire format. */
export function serializeHeaders(headers: Headers): ArrayBuffer {
  const n = headers.length;
  let size: usize = 4 + <usize>n * 8;
  for (let i = 0; i < n; i++) {
    const h = unchecked(headers[i]);
    size += <usize>String.UTF8.byteLength(h.name) + <usize>String.UTF8.byteLength(h.value) + 2;
  }
  const out = new ArrayBuffer(<i32>size);
  const base = changetype<usize>(out);
  store<u32>(base, <u32>n);
  let lens = base + 4;
  let data = base + 4 + <usize>n * 8;
  for (let i = 0; i < n; i++) {
    const h = unchecked(headers[i]);
    const k = String.UTF8.encodeUnsafe(changetype<usize>(h.name), h.name.length, data);
    store<u8>(data + k, 0);
    data += k + 1;
    const v = String.UTF8.encodeUnsafe(changetype<usize>(h.value), h.value.length, data);
    store<u8>(data + v, 0);
    data += v + 1;
    store<u32>(lens, <u32>k);
    store<u32>(lens + 4, <u32>v);
    lens += 8;
  }
  return out;
}

/**
 * Parses the ABI's wire format at (ptr, size). Malformed input yields the pairs that fit.
 * Bounds are checked by comparing lengths with the bytes left, never by adding a length to a
 * pointer: a hostile length near 4 GiB would wrap the 32-bit address and pass such a check.
 */
export function deserializeHeaders(ptr: usize, size: usize): Headers {
  const result = new Array<Header>();
  if (size < 4 || ptr == 0) return result;
  const end = ptr + size;
  const n = <usize>load<u32>(ptr);
  if (n == 0 || n > (size - 4) >> 3) return result;
  let lens = ptr + 4;
  let data = lens + n * 8;
  for (let i: usize = 0; i < n; i++) {
    const klen = <usize>load<u32>(lens);
    const vlen = <usize>load<u32>(lens + 4);
    lens += 8;
    const left = end - data; // data never passes end
    if (klen >= left) break; // the key and its NUL
    const afterKey = left - klen - 1;
    if (vlen >= afterKey) break; // the value and its NUL
    const name = String.UTF8.decodeUnsafe(data, klen);
    data += klen + 1;
    const value = String.UTF8.decodeUnsafe(data, vlen);
    data += vlen + 1;
    result.push(new Header(name, value));
  }
  return result;
}

/** All entries of a map. Empty when the map is not available in this callback. */
export function getHeaderMapPairs(map: MapType): Headers {
  clearOut();
  const status = setLastStatus(proxy_get_header_map_pairs(<u32>map, outPtr(), outSize()));
  const ptr = readOutPtr();
  if (status != Status.Ok) {
    freeHostBlock(ptr);
    return new Array<Header>();
  }
  const headers = deserializeHeaders(ptr, readOutSize());
  freeHostBlock(ptr);
  return headers;
}

/** Replaces all entries of a map. */
export function setHeaderMapPairs(map: MapType, headers: Headers): Status {
  const bytes = serializeHeaders(headers);
  return <Status>proxy_set_header_map_pairs(<u32>map, ptrOf(bytes), lenOf(bytes));
}

/** Serialized size of a map, in bytes. */
export function getHeaderMapSize(map: MapType): u32 {
  clearOut();
  const status = setLastStatus(proxy_get_header_map_size(<u32>map, outSize()));
  return status == Status.Ok ? <u32>readOutSize() : 0;
}

/** The value of `name` (the first one if repeated), or null when absent. */
export function getHeaderMapValue(map: MapType, name: string): string | null {
  const key = utf8(name);
  clearOut();
  const status = setLastStatus(proxy_get_header_map_value(<u32>map, ptrOf(key), lenOf(key), outPtr(), outSize()));
  if (status != Status.Ok) {
    freeHostBlock(readOutPtr());
    return null;
  }
  return takeOutString();
}

/** Sets `name` to `value`, replacing any existing value. */
export function replaceHeaderMapValue(map: MapType, name: string, value: string): Status {
  const key = utf8(name);
  const val = utf8(value);
  return <Status>proxy_replace_header_map_value(<u32>map, ptrOf(key), lenOf(key), ptrOf(val), lenOf(val));
}

/** Adds `name: value`, keeping existing values. */
export function addHeaderMapValue(map: MapType, name: string, value: string): Status {
  const key = utf8(name);
  const val = utf8(value);
  return <Status>proxy_add_header_map_value(<u32>map, ptrOf(key), lenOf(key), ptrOf(val), lenOf(val));
}

/** Removes every value of `name`. */
export function removeHeaderMapValue(map: MapType, name: string): Status {
  const key = utf8(name);
  return <Status>proxy_remove_header_map_value(<u32>map, ptrOf(key), lenOf(key));
}
