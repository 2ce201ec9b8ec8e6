/**
 * The guest's linear memory as the host sees it: bounds-checked reads and writes, and allocation
 * through the guest's own allocator. A pointer outside memory raises MemoryAccessError, which every
 * host function turns into INVALID_MEMORY_ACCESS instead of crashing the host.
 */
export class MemoryAccessError extends Error {
  constructor(what: string) {
    super(`invalid memory access: ${what}`);
    this.name = 'MemoryAccessError';
  }
}

const decoder = new TextDecoder();
/** Buffer's latin1 decoding (one character per byte) for any Uint8Array: ASCII as one flat string. */
export const latin1Slice = Buffer.prototype.latin1Slice as (this: Uint8Array, start: number, end: number) => string;
const encoder = new TextEncoder();

/** UTF-8 to string; short ASCII (header names and values) without TextDecoder's call overhead. */
export function decodeUtf8(bytes: Uint8Array): string {
  const n = bytes.length;
  if (n <= 64) {
    let out = '';
    for (let i = 0; i < n; i++) {
      const c = bytes[i] as number;
      if (c >= 0x80) return decoder.decode(bytes);
      out += String.fromCharCode(c);
    }
    return out;
  }
  return decoder.decode(bytes);
}

export class GuestMemory {
  #memory: WebAssembly.Memory;
  #allocate: ((size: number) => number) | undefined;
  #bytes: Uint8Array;
  #view: DataView;
  /**
   * While a traced host call runs: the strings the host read or handed over, by (pointer, length),
   * so the trace's reading of the same bytes gets the same string instead of decoding it again.
   */
  #remembering = false;
  #memoCount = 0;
  readonly #memoPtrs: number[] = [0, 0, 0, 0];
  readonly #memoLens: number[] = [0, 0, 0, 0];
  readonly #memoStrings: string[] = ['', '', '', ''];

  constructor(memory: WebAssembly.Memory, allocate: ((size: number) => number) | undefined) {
    this.#memory = memory;
    this.#allocate = allocate;
    this.#bytes = new Uint8Array(memory.buffer);
    this.#view = new DataView(memory.buffer);
  }

  /**
   * Fresh views when the guest grew its memory: growing detaches the old ArrayBuffer, so a view of
   * length 0 is the cheap sign (reading memory.buffer on every access costs more).
   */
  #refresh(): void {
    // `length`, not `byteLength` (the same for bytes): V8 reads it about twice as fast.
    if (this.#bytes.length === 0) {
      this.#bytes = new Uint8Array(this.#memory.buffer);
      this.#view = new DataView(this.#memory.buffer);
    }
  }

  get size(): number {
    this.#refresh();
    return this.#bytes.length;
  }

  #check(ptr: number, len: number): void {
    this.#refresh();
    const p = ptr >>> 0;
    const l = len >>> 0;
    if (p + l > this.#bytes.length) throw new MemoryAccessError(`${l} bytes at ${p} (memory is ${this.#bytes.byteLength} bytes)`);
  }

  /** A copy of guest bytes. */
  read(ptr: number, len: number): Uint8Array {
    this.#check(ptr, len);
    const p = ptr >>> 0;
    return this.#bytes.slice(p, p + (len >>> 0));
  }

  /** A view without copy; valid until the guest runs again. */
  view(ptr: number, len: number): Uint8Array {
    this.#check(ptr, len);
    const p = ptr >>> 0;
    return this.#bytes.subarray(p, p + (len >>> 0));
  }

  /**
   * Starts (true) or ends (false) remembering the strings read and handed over (see #remembering). Only
   * for the length of one host call: a string is given again only while the guest has not run since.
   */
  remember(on: boolean): void {
    this.#remembering = on;
    this.#memoCount = 0;
  }

  #remembered(ptr: number, len: number): string | undefined {
    for (let i = 0; i < this.#memoCount; i++) if (this.#memoPtrs[i] === ptr && this.#memoLens[i] === len) return this.#memoStrings[i];
    return undefined;
  }

  #memo(ptr: number, len: number, text: string): void {
    const i = this.#memoCount;
    if (i >= 4) return;
    this.#memoPtrs[i] = ptr;
    this.#memoLens[i] = len;
    this.#memoStrings[i] = text;
    this.#memoCount = i + 1;
  }

  readString(ptr: number, len: number): string {
    if (len === 0) return '';
    if (this.#remembering) {
      const known = this.#remembered(ptr, len);
      if (known !== undefined) return known;
      const text = this.#readString(ptr, len);
      this.#memo(ptr, len, text);
      return text;
    }
    return this.#readString(ptr, len);
  }

  #readString(ptr: number, len: number): string {
    this.#check(ptr, len);
    const p = ptr >>> 0;
    const n = len >>> 0;
    const b = this.#bytes;
    if (n <= 8) {
      // Very short ASCII straight from memory: no view, no TextDecoder call.
      let out = '';
      for (let i = p; i < p + n; i++) {
        const c = b[i] as number;
        if (c >= 0x80) return decoder.decode(b.subarray(p, p + n));
        out += String.fromCharCode(c);
      }
      return out;
    }
    if (n <= 256) {
      // Header names and values: checked to be ASCII, then one flat string in one native call (adding
      // characters one by one made a string per character for the garbage collector).
      for (let i = p; i < p + n; i++) if ((b[i] as number) >= 0x80) return decoder.decode(b.subarray(p, p + n));
      return latin1Slice.call(b, p, p + n);
    }
    return decoder.decode(b.subarray(p, p + n));
  }

  write(ptr: number, data: Uint8Array): void {
    this.#check(ptr, data.byteLength);
    this.#bytes.set(data, ptr >>> 0);
  }

  u32(ptr: number): number {
    this.#check(ptr, 4);
    return this.#view.getUint32(ptr >>> 0, true);
  }

  setU32(ptr: number, value: number): void {
    this.#check(ptr, 4);
    this.#view.setUint32(ptr >>> 0, value >>> 0, true);
  }

  setU64(ptr: number, value: bigint): void {
    this.#check(ptr, 8);
    this.#view.setBigUint64(ptr >>> 0, BigInt.asUintN(64, value), true);
  }

  setU8(ptr: number, value: number): void {
    this.#check(ptr, 1);
    this.#bytes[ptr >>> 0] = value & 0xff;
  }

  /**
   * Hands bytes to the guest as Envoy does: allocate with the guest's allocator, copy, and write the
   * pointer and length to the two out-pointers. Empty data is handed over as (0, 0) without allocating.
   */
  handOver(data: Uint8Array, ptrOut: number, lenOut: number): void {
    // Check the out-pointers before allocating, so a bad pointer does not leak guest memory.
    this.#check(ptrOut, 4);
    this.#check(lenOut, 4);
    if (data.byteLength === 0) {
      this.setU32(ptrOut, 0);
      this.setU32(lenOut, 0);
      return;
    }
    const ptr = this.allocate(data.byteLength);
    this.write(ptr, data);
    this.setU32(ptrOut, ptr);
    this.setU32(lenOut, data.byteLength);
  }

  /** handOver for a string: short ASCII is written straight into guest memory (no intermediate bytes). */
  handOverString(text: string, ptrOut: number, lenOut: number): void {
    const n = text.length;
    let ascii = n <= 64;
    for (let i = 0; ascii && i < n; i++) if (text.charCodeAt(i) >= 0x80) ascii = false;
    if (!ascii || n === 0) return this.handOver(encoder.encode(text), ptrOut, lenOut);
    this.#check(ptrOut, 4);
    this.#check(lenOut, 4);
    const ptr = this.allocate(n);
    const b = this.#bytes;
    for (let i = 0; i < n; i++) b[ptr + i] = text.charCodeAt(i);
    this.setU32(ptrOut, ptr);
    this.setU32(lenOut, n);
    if (this.#remembering) this.#memo(ptr, n, text);
  }

  allocate(size: number): number {
    if (!this.#allocate) throw new MemoryAccessError('the module exports neither proxy_on_memory_allocate nor malloc');
    const ptr = this.#allocate(size) >>> 0;
    if (ptr === 0) throw new MemoryAccessError(`the guest allocator returned 0 for ${size} bytes`);
    this.#check(ptr, size);
    return ptr;
  }
}
