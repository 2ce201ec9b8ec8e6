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
 * Collects a streamed body up to `limit` bytes without copying chunks more than once; counts the rest.
 */
export class BodyCapture {
  #chunks: Uint8Array[] = [];
  #kept = 0;
  size = 0;
  readonly #limit: number;

  constructor(limit: number) {
    this.#limit = limit;
  }

  add(chunk: Uint8Array): void {
    this.size += chunk.byteLength;
    const room = this.#limit - this.#kept;
    if (room <= 0 || chunk.byteLength === 0) return;
    // A copy of the kept bytes: a chunk from a socket is a view of a larger pooled buffer, and keeping
    // the view keeps that buffer alive (serve's CPU went up by half from the extra GC work).
    const part = Uint8Array.prototype.slice.call(chunk, 0, Math.min(room, chunk.byteLength));
    this.#chunks.push(part);
    this.#kept += part.byteLength;
  }

  body(): TraceBody {
    if (this.size === 0) return { size: 0 };
    const one = this.#chunks.length === 1 ? (this.#chunks[0] as Uint8Array) : Buffer.concat(this.#chunks);
    return traceBody(one, this.#limit, this.size);
  }
}
