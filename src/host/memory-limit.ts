import { WasmParseError, WasmReader, sections } from '../wasm/parse.js';

/**
 * Envoy's ceiling on a plugin's linear memory: proxy-wasm-cpp-host starts V8 with
 * wasm_max_mem_pages = PROXY_WASM_HOST_MAX_WASM_MEMORY_SIZE_BYTES (1 GiB) / 64 KiB. There a
 * memory.grow past 1 GiB answers -1 at once (the module's allocator then fails, usually with a trap),
 * and a module whose memory starts above it does not load. Node's WebAssembly allows 4 GiB (and takes
 * seconds to get there), so the host writes the same ceiling into the module's memory section.
 */
export const maxMemoryPages = 16384;

export class MemoryLimitError extends Error {}

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
 * without a memory section, or that cannot be read (WebAssembly.compile then says why), come back
 * unchanged (the same array).
 */
export function capModuleMemory(bytes: Uint8Array, maxPages = maxMemoryPages): Uint8Array {
  try {
    for (const section of sections(bytes)) {
      if (section.id === 5) return withSection(bytes, section.at, section.end, capMemories(new WasmReader(bytes, section.end), section.start, maxPages));
    }
  } catch (error) {
    if (error instanceof WasmParseError) return bytes;
    throw error;
  }
  return bytes;
}

function capMemories(r: WasmReader, start: number, maxPages: number): number[] {
  r.offset = start;
  const count = r.u32();
  const out = toLeb(count);
  for (let i = 0; i < count; i++) {
    const flags = r.byte();
    if (flags & 0x04) throw new MemoryLimitError('the module uses 64-bit memory, which Envoy does not run');
    const min = r.u32();
    const max = flags & 0x01 ? r.u32() : 65536;
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
