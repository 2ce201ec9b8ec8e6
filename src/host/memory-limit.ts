/**
 * Envoy's ceiling on a plugin's linear memory: proxy-wasm-cpp-host starts V8 with
 * wasm_max_mem_pages = PROXY_WASM_HOST_MAX_WASM_MEMORY_SIZE_BYTES (1 GiB) / 64 KiB. There a
 * memory.grow past 1 GiB answers -1 at once (the module's allocator then fails, usually with a trap),
 * and a module whose memory starts above it does not load. Node's WebAssembly allows 4 GiB (and takes
 * seconds to get there), so the host writes the same ceiling into the module's memory section.
 */
export const maxMemoryPages = 16384;

export class MemoryLimitError extends Error {}

/** Reads an unsigned LEB128 at `at`: [value, next offset]. */
function leb(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  for (let shift = 0, i = at; shift < 35; shift += 7, i++) {
    if (i >= bytes.length) break;
    const b = bytes[i] as number;
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return [value, i + 1];
  }
  throw new MemoryLimitError(`malformed LEB128 integer at byte ${at}`);
}

function toLeb(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    const b = v % 128;
    v = Math.floor(v / 128);
    out.push(v > 0 ? b | 0x80 : b);
  } while (v > 0);
  return out;
}

/**
 * The module with every memory it defines capped at `maxMemoryPages` (a declared smaller maximum is
 * kept). Throws MemoryLimitError when a memory's initial size is already above the ceiling. Modules
 * without a memory section come back unchanged (the same array).
 */
export function capModuleMemory(bytes: Uint8Array, maxPages = maxMemoryPages): Uint8Array {
  let at = 8;
  while (at < bytes.length) {
    const id = bytes[at] as number;
    const [size, payload] = leb(bytes, at + 1);
    const end = payload + size;
    if (end > bytes.length) return bytes; // truncated: WebAssembly.compile reports it
    if (id === 5) return withSection(bytes, at, end, capMemories(bytes.subarray(payload, end), maxPages));
    at = end;
  }
  return bytes;
}

function capMemories(section: Uint8Array, maxPages: number): number[] {
  const [count, first] = leb(section, 0);
  const out = toLeb(count);
  let at = first;
  for (let i = 0; i < count; i++) {
    const flags = section[at] as number;
    if (flags & 0x04) throw new MemoryLimitError('the module uses 64-bit memory, which Envoy does not run');
    const [min, afterMin] = leb(section, at + 1);
    let max = 65536;
    at = afterMin;
    if (flags & 0x01) [max, at] = leb(section, afterMin);
    if (min > maxPages) {
      throw new MemoryLimitError(`its memory starts at ${min} pages (${min / 16} MiB); Envoy allows at most ${maxPages} pages (1 GiB)`);
    }
    out.push(flags | 0x01, ...toLeb(min), ...toLeb(Math.min(max, maxPages)));
  }
  return out;
}

function withSection(bytes: Uint8Array, start: number, end: number, payload: number[]): Uint8Array {
  const head = [5, ...toLeb(payload.length)];
  const out = new Uint8Array(start + head.length + payload.length + (bytes.length - end));
  out.set(bytes.subarray(0, start), 0);
  out.set(head, start);
  out.set(payload, start + head.length);
  out.set(bytes.subarray(end), start + head.length + payload.length);
  return out;
}
