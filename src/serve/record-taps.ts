import type http from 'node:http';
import type { ExchangeRecorder } from '../host/index.js';

type Chunk = string | Uint8Array | undefined | null | ((error?: Error | null) => void);

const asBytes = (chunk: Chunk): Uint8Array | undefined =>
  typeof chunk === 'string' ? Buffer.from(chunk) : chunk instanceof Uint8Array ? chunk : undefined;

/** [k, v, k, v] or { k: v } as header pairs. */
function pairsOf(headers: unknown): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) out.push([String(headers[i]).toLowerCase(), String(headers[i + 1])]);
  } else if (headers && typeof headers === 'object') {
    for (const [k, v] of Object.entries(headers)) {
      if (Array.isArray(v)) for (const one of v) out.push([k.toLowerCase(), String(one)]);
      else if (v !== undefined) out.push([k.toLowerCase(), String(v)]);
    }
  }
  return out;
}

/** Calls `onChunk` with every body chunk written to a node:http message, and `onTrailers` with its trailers. */
function tapBody(message: http.ServerResponse | http.ClientRequest, onChunk: (b: Uint8Array) => void, onTrailers: (pairs: Array<[string, string]>) => void): void {
  const write = message.write.bind(message) as (...args: unknown[]) => boolean;
  const end = message.end.bind(message) as (...args: unknown[]) => unknown;
  const addTrailers = message.addTrailers.bind(message);
  (message as { write: unknown }).write = (chunk: Chunk, ...rest: unknown[]) => {
    const b = asBytes(chunk);
    if (b) onChunk(b);
    return write(chunk, ...rest);
  };
  (message as { end: unknown }).end = (chunk?: Chunk, ...rest: unknown[]) => {
    const b = asBytes(chunk);
    if (b) onChunk(b);
    return end(chunk, ...rest);
  };
  message.addTrailers = (headers) => {
    onTrailers(pairsOf(headers));
    addTrailers(headers);
  };
}

/**
 * Records what the client receives from a ServerResponse: status and headers at writeHead, every body
 * byte written, trailers. One place sees every way the proxy answers (upstream, local reply, error).
 */
export function tapResponse(res: http.ServerResponse, rec: ExchangeRecorder): void {
  const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => http.ServerResponse;
  (res as { writeHead: unknown }).writeHead = (status: number, ...rest: unknown[]) => {
    const headers = rest.find((r) => typeof r === 'object' && r !== null);
    rec.response(status, [[':status', String(status)], ...pairsOf(headers)]);
    return writeHead(status, ...rest);
  };
  tapBody(res, (b) => rec.responseBody(b), (t) => rec.responseTrailers(t));
}

/** Records the request body that leaves for the upstream (what the plugins let through). */
export function tapUpstreamRequest(req: http.ClientRequest, rec: ExchangeRecorder): void {
  tapBody(req, (b) => rec.upstreamRequestBody(b), (t) => rec.upstreamRequestTrailers(t));
}
