import http from 'node:http';
import type https from 'node:https';

/**
 * The registry client's transport: node:http(s) with keep-alive agents, behind the small part of
 * fetch's Response the client uses. Not fetch: loading Node's bundled undici (and its llhttp wasm)
 * costs a short-lived CLI about 80 ms of start-up and exit, more than a whole local push.
 * One connection per host is reused across requests (config, layer and manifest of a push).
 */
export interface HttpRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  /** Whole body, or chunks streamed as they come (sent with chunked transfer encoding). */
  body?: Uint8Array | AsyncIterable<Uint8Array> | undefined;
  signal?: AbortSignal | undefined;
  insecure?: boolean | undefined;
  /** Called as body bytes are handed to the socket (for byte-level progress). */
  onBodyProgress?: ((sent: number) => void) | undefined;
  /**
   * A check of a whole (Uint8Array) body, made while it is sent: called once per request for a
   * fresh checker, which sees each piece before it goes out (`last` for the final one). A checker
   * that throws stops the request with that error before the piece is written, so a body that
   * fails the check never reaches the server whole.
   */
  checkBody?: (() => (piece: Uint8Array, last: boolean) => void) | undefined;
}

/** Pieces a whole body is written in when progress or a check follows it. */
const pieceSize = 1024 * 1024;

export class HttpResponse {
  readonly status: number;
  readonly ok: boolean;
  readonly headers: { get(name: string): string | null };
  readonly body: { cancel(): Promise<void> } | null;
  private readonly message: http.IncomingMessage;

  constructor(message: http.IncomingMessage) {
    this.message = message;
    this.status = message.statusCode ?? 0;
    this.ok = this.status >= 200 && this.status < 300;
    const raw = message.headers;
    this.headers = {
      get(name: string): string | null {
        const value = raw[name.toLowerCase()];
        if (value === undefined) return null;
        return Array.isArray(value) ? value.join(', ') : value;
      },
    };
    this.body = { cancel: () => this.discard() };
  }

  /** Drops the body: small ones are read to the end so the connection goes back to the pool. */
  private discard(): Promise<void> {
    const m = this.message;
    if (m.destroyed || m.readableEnded) return Promise.resolve();
    if (m.complete) {
      // Parsed already: reading it out is what hands the socket back to the pool.
      m.resume();
      return Promise.resolve();
    }
    const length = Number(m.headers['content-length'] ?? NaN);
    if (!(length <= 64 * 1024)) {
      m.destroy();
      return Promise.resolve();
    }
    return new Promise((resolve) => {
      m.on('end', resolve);
      m.on('error', () => resolve());
      m.on('close', resolve);
      m.resume();
    });
  }

  /**
   * The whole body. With `limit`, a body announced or found longer than `limit` bytes is refused
   * with `tooLarge()` as soon as that is known (the connection is dropped, nothing more is read).
   */
  async bytes(limit?: number, tooLarge?: () => Error): Promise<Uint8Array> {
    const chunks: Buffer[] = [];
    let length = 0;
    const refuse = () => {
      this.message.destroy();
      return tooLarge?.() ?? new Error(`response body over ${limit} bytes`);
    };
    if (limit !== undefined && Number(this.message.headers['content-length'] ?? 0) > limit) throw refuse();
    for await (const chunk of this.message) {
      chunks.push(chunk as Buffer);
      length += (chunk as Buffer).length;
      if (limit !== undefined && length > limit) throw refuse();
    }
    const all = chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, length);
    return new Uint8Array(all.buffer, all.byteOffset, all.byteLength);
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const b = await this.bytes();
    return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
  }

  async text(): Promise<string> {
    return Buffer.from(await this.bytes()).toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(await this.text());
  }
}

const agents: { http?: http.Agent; https?: https.Agent; insecure?: https.Agent } = {};
// node:https (and TLS) loads only for https registries: a loopback push never pays for it.
let httpsModule: typeof https | undefined;

function agentFor(protocol: string, insecure: boolean): http.Agent {
  const options = { keepAlive: true, keepAliveMsecs: 1_000, maxSockets: 6, scheduling: 'lifo' as const };
  if (protocol === 'http:' || !httpsModule) return (agents.http ??= new http.Agent(options));
  if (insecure) return (agents.insecure ??= new httpsModule.Agent({ ...options, rejectUnauthorized: false }));
  return (agents.https ??= new httpsModule.Agent(options));
}

/** One HTTP exchange. Rejects with the signal's reason when it aborts (as fetch does). */
export async function httpRequest(request: HttpRequest): Promise<HttpResponse> {
  const url = new URL(request.url);
  if (url.protocol === 'https:') httpsModule ??= (await import('node:https')).default;
  const lib = url.protocol === 'https:' ? httpsModule! : http;
  const headers: Record<string, string> = { ...request.headers };
  const body = request.body;
  if (body instanceof Uint8Array) headers['content-length'] = String(body.length);
  else if (body === undefined && !('content-length' in headers) && ['PUT', 'POST', 'PATCH'].includes(request.method)) headers['content-length'] = '0';
  return new Promise<HttpResponse>((resolve, reject) => {
    const signal = request.signal;
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      reject(signal?.aborted ? signal.reason : error);
    };
    const req = lib.request(
      url,
      { method: request.method, headers, agent: agentFor(url.protocol, Boolean(request.insecure)), ...(signal ? { signal } : {}) },
      (message) => {
        if (settled) {
          message.destroy();
          return;
        }
        settled = true;
        resolve(new HttpResponse(message));
      },
    );
    req.on('error', fail);
    if (body === undefined) {
      req.end();
    } else if (body instanceof Uint8Array) {
      const check = request.checkBody?.();
      if (check || (request.onBodyProgress && body.length > pieceSize)) {
        // Written in pieces so progress follows the socket, not the call, and a check runs on one
        // piece while the socket sends the one before.
        let offset = 0;
        let done = false;
        const writeNext = () => {
          while (!done) {
            const end = Math.min(body.length, offset + pieceSize);
            const piece = body.subarray(offset, end);
            done = end === body.length;
            try {
              check?.(piece, done);
            } catch (error) {
              req.destroy(error as Error);
              fail(error);
              return;
            }
            offset = end;
            const sentSoFar = offset;
            if (piece.length > 0 && !req.write(piece, () => request.onBodyProgress?.(sentSoFar)) && !done) {
              req.once('drain', writeNext);
              return;
            }
          }
          req.end();
        };
        writeNext();
      } else {
        req.end(body);
      }
    } else {
      void (async () => {
        let sent = 0;
        try {
          for await (const chunk of body) {
            if (req.destroyed) return;
            sent += chunk.length;
            const sentSoFar = sent;
            if (!req.write(chunk, () => request.onBodyProgress?.(sentSoFar))) {
              await new Promise<void>((r) => {
                const done = () => {
                  req.off('drain', done);
                  req.off('close', done);
                  r();
                };
                req.on('drain', done);
                req.on('close', done);
              });
            }
          }
          req.end();
        } catch (error) {
          req.destroy(error as Error);
          fail(error);
        }
      })();
    }
  });
}
