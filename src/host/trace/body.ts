import { latin1Slice } from '../memory.js';
import type { TraceBody } from './format.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

/** A body for a trace: the first `limit` bytes as text (valid UTF-8) or base64, and the full size. */
export function traceBody(data: Uint8Array, limit: number, size = data.byteLength): TraceBody {
  if (size === 0) return { size: 0 };
  const kept = data.byteLength > limit ? data.subarray(0, limit) : data;
  const truncated = size > kept.byteLength;
  let text: string | undefined;
  try {
    text = decoder.decode(kept);
  } catch {
    // A cut in the middle of a UTF-8 sequence: retry without the last (up to 3) bytes.
    for (let cut = 1; cut <= 3 && text === undefined && truncated; cut++) {
      try {
        text = decoder.decode(kept.subarray(0, kept.byteLength - cut));
      } catch {
        /* not text */
      }
    }
  }
  const out: TraceBody = text !== undefined ? { size, text } : { size, base64: Buffer.from(kept.buffer, kept.byteOffset, kept.byteLength).toString('base64') };
  if (truncated) out.truncated = true;
  return out;
}

/** The bytes a trace body holds (all of them unless it was truncated). */
export function traceBodyBytes(body: TraceBody | undefined): Uint8Array {
  if (!body || body.size === 0) return new Uint8Array(0);
  if (body.text !== undefined) return new TextEncoder().encode(body.text);
  if (body.base64 !== undefined) return new Uint8Array(Buffer.from(body.base64, 'base64'));
  return new Uint8Array(0);
}

/**
 * Collects a streamed body up to `limit` bytes; counts the rest. The kept bytes are held as a one-byte
 * string (latin1: one character per byte, nothing lost): no ArrayBuffer per chunk to allocate, free
 * and keep alive, and a chunk that is a view of a larger pooled socket buffer is not kept alive by it.
 */
export class BodyCapture {
  #kept = '';
  size = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  add(chunk: Uint8Array): void {
    this.size += chunk.byteLength;
    const room = this.#limit - this.#kept.length;
    if (room <= 0 || chunk.byteLength === 0) return;
    const n = Math.min(room, chunk.byteLength);
    if (n > 8) {
      this.#kept += latin1Slice.call(chunk, 0, n);
      return;
    }
    // A few bytes (a short reply, a chunk's tail): no native call for them.
    let part = '';
    for (let i = 0; i < n; i++) part += String.fromCharCode(chunk[i] as number);
    this.#kept += part;
  }

  body(): TraceBody {
    if (this.size === 0) return { size: 0 };
    return traceBody(Buffer.from(this.#kept, 'latin1'), this.#limit, this.size);
  }
}
