/**
 * A body buffer as proxy_get_buffer_bytes / proxy_set_buffer_bytes see it, with Envoy's rules for
 * writes (Buffer::copyFrom): start 0 drops the first `length` bytes and prepends the data (length 0
 * prepends, length >= size replaces, anything between replaces that prefix), start >= size appends;
 * anything else is BAD_ARGUMENT.
 */
const noBytes = new Uint8Array(0);

export class BodyBuffer {
  #chunks: Uint8Array[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  append(data: Uint8Array): void {
    if (data.byteLength === 0) return;
    this.#chunks.push(data);
    this.#size += data.byteLength;
  }

  /** The whole content as one array (and keeps it as one chunk). */
  bytes(): Uint8Array {
    if (this.#chunks.length === 1) return this.#chunks[0] as Uint8Array;
    const out = new Uint8Array(this.#size);
    let at = 0;
    for (const c of this.#chunks) {
      out.set(c, at);
      at += c.byteLength;
    }
    this.#chunks = this.#size === 0 ? [] : [out];
    return out;
  }

  slice(start: number, max: number): Uint8Array {
    const all = this.bytes();
    const s = Math.min(start, all.byteLength);
    return all.subarray(s, Math.min(all.byteLength, s + max));
  }

  /** Returns false for a (start, length) Envoy rejects with BAD_ARGUMENT. */
  set(start: number, length: number, data: Uint8Array): boolean {
    if (start === 0) {
      if (length >= this.#size) {
        this.clear();
        this.append(data.slice());
        return true;
      }
      const rest = this.bytes().subarray(length);
      this.#chunks = [];
      this.#size = 0;
      this.append(data.slice());
      this.append(rest);
      return true;
    }
    if (start >= this.#size) {
      this.append(data.slice());
      return true;
    }
    return false;
  }

  /** Takes the content out, leaving the buffer empty (no copy when it holds one chunk or none). */
  drain(): Uint8Array {
    if (this.#size === 0) {
      if (this.#chunks.length > 0) this.#chunks.length = 0;
      return noBytes;
    }
    const out = this.#chunks.length === 1 ? (this.#chunks[0] as Uint8Array) : this.bytes();
    this.clear();
    return out;
  }

  clear(): void {
    this.#chunks.length = 0;
    this.#size = 0;
  }
}
