import http from 'node:http';
import http2 from 'node:http2';
import https from 'node:https';
import type { HeaderPairs } from './header-map.js';

/** An outbound call a plugin dispatched with proxy_http_call. */
export interface HttpCallRequest {
  token: number;
  cluster: string;
  headers: HeaderPairs;
  body: Uint8Array;
  trailers: HeaderPairs;
  timeoutMs: number;
}

/** The answer handed to proxy_on_http_call_response; no headers at all means the call failed. */
export interface HttpCallResponse {
  headers: HeaderPairs;
  body?: Uint8Array;
  trailers?: HeaderPairs;
}

/**
 * Where calls go. `knows(cluster)` false answers the plugin as Envoy does for an unknown cluster:
 * proxy_http_call returns BAD_ARGUMENT and nothing is dispatched.
 */
export interface HttpCallDispatcher {
  knows(cluster: string): boolean;
  dispatch(request: HttpCallRequest, signal: AbortSignal): Promise<HttpCallResponse>;
  /** Unary gRPC calls (proxy_grpc_call); absent means gRPC is not available on this host. */
  grpc?(request: GrpcCallRequest, signal: AbortSignal): Promise<GrpcCallResponse>;
  /** gRPC streams (proxy_grpc_stream); absent means streams are not available on this host. */
  grpcStream?(request: GrpcStreamRequest, sink: GrpcStreamSink): GrpcStreamConnection;
}

/** A gRPC stream a plugin opened with proxy_grpc_stream. */
export interface GrpcStreamRequest {
  token: number;
  cluster: string;
  service: string;
  method: string;
  initialMetadata: HeaderPairs;
}

/**
 * What the far end of a stream does; the host turns each event into the plugin's callback
 * (proxy_on_grpc_receive_initial_metadata, _receive, _receive_trailing_metadata, proxy_on_grpc_close).
 * Events after close, or after the plugin cancelled the stream, are dropped.
 */
export interface GrpcStreamSink {
  initialMetadata(metadata: HeaderPairs): void;
  message(message: Uint8Array): void;
  trailingMetadata(metadata: HeaderPairs): void;
  /** The remote closed the stream with a grpc-status (0 OK; 14 UNAVAILABLE for a failed stream). */
  close(status: number, message?: string): void;
}

/** The plugin's side of an open stream. */
export interface GrpcStreamConnection {
  /** proxy_grpc_send: one message; endOfStream half-closes after it. */
  send(message: Uint8Array, endOfStream: boolean): void;
  /** proxy_grpc_close: half-close, the plugin sends nothing more (the remote may still answer). */
  close(): void;
  /** proxy_grpc_cancel: reset; the plugin hears nothing more of the stream. */
  cancel(): void;
}

/** A unary gRPC call a plugin dispatched with proxy_grpc_call. */
export interface GrpcCallRequest {
  token: number;
  cluster: string;
  service: string;
  method: string;
  initialMetadata: HeaderPairs;
  message: Uint8Array;
  timeoutMs: number;
}

/** The answer: grpc-status (0 OK, 14 UNAVAILABLE for a failed call), messages and metadata. */
export interface GrpcCallResponse {
  status: number;
  statusMessage?: string;
  initialMetadata?: HeaderPairs;
  messages?: Uint8Array[];
  trailingMetadata?: HeaderPairs;
}

export const failedGrpcCall: GrpcCallResponse = { status: 14, statusMessage: 'upstream unavailable' };

/**
 * The cluster a proxy_grpc_call names: a serialized envoy GrpcService (envoy_grpc.cluster_name), or,
 * as Envoy falls back to, the bytes as a cluster name.
 */
export function grpcServiceCluster(bytes: Uint8Array): string {
  const text = new TextDecoder();
  // GrpcService { envoy_grpc = 1 { cluster_name = 1 } }: tag 0x0a, length, tag 0x0a, length, name.
  if (bytes.length > 4 && bytes[0] === 0x0a && bytes[2] === 0x0a && bytes[1] === bytes.length - 2) {
    const len = bytes[3] ?? 0;
    if (4 + len <= bytes.length) return text.decode(bytes.subarray(4, 4 + len));
  }
  return text.decode(bytes);
}

/** Sends a unary gRPC call over HTTP/2 (h2c or TLS) to a base URL. */
export function sendGrpc(base: string, request: GrpcCallRequest, signal: AbortSignal): Promise<GrpcCallResponse> {
  return new Promise((resolve) => {
    let settled = false;
    let session: http2.ClientHttp2Session | undefined;
    const done = (r: GrpcCallResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session?.close();
      resolve(r);
    };
    const timer = request.timeoutMs > 0 ? setTimeout(() => done({ status: 4, statusMessage: 'deadline exceeded' }), request.timeoutMs) : undefined;
    signal.addEventListener('abort', () => done({ status: 1, statusMessage: 'cancelled' }), { once: true });
    try {
      session = http2.connect(base);
    } catch {
      return done(failedGrpcCall);
    }
    session.on('error', () => done(failedGrpcCall));
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':path': `/${request.service}/${request.method}`,
      'content-type': 'application/grpc',
      te: 'trailers',
    };
    for (const [k, v] of request.initialMetadata) if (!k.startsWith(':')) headers[k] = v;
    const stream = session.request(headers);
    const frame = new Uint8Array(5 + request.message.byteLength);
    new DataView(frame.buffer).setUint32(1, request.message.byteLength);
    frame.set(request.message, 5);
    let initial: HeaderPairs = [];
    const chunks: Buffer[] = [];
    stream.on('response', (h) => {
      initial = Object.entries(h).filter(([k]) => !k.startsWith(':')).map(([k, v]) => [k, String(v)]);
    });
    stream.on('data', (c: Buffer) => chunks.push(c));
    stream.on('trailers', (t) => {
      const trailing: HeaderPairs = Object.entries(t).map(([k, v]) => [k, String(v)]);
      const status = Number(t['grpc-status'] ?? 2);
      done({ status, statusMessage: String(t['grpc-message'] ?? ''), initialMetadata: initial, messages: grpcFrames(Buffer.concat(chunks)), trailingMetadata: trailing });
    });
    stream.on('end', () => {
      // Trailers-only responses carry grpc-status in the headers.
      const status = initial.find(([k]) => k === 'grpc-status');
      done(status ? { status: Number(status[1]), initialMetadata: initial, messages: grpcFrames(Buffer.concat(chunks)) } : failedGrpcCall);
    });
    stream.on('error', () => done(failedGrpcCall));
    stream.end(frame);
  });
}

/** A gRPC message in its length-prefixed frame (uncompressed). */
function grpcFrame(message: Uint8Array): Uint8Array {
  const frame = new Uint8Array(5 + message.byteLength);
  new DataView(frame.buffer).setUint32(1, message.byteLength);
  frame.set(message, 5);
  return frame;
}

/** Opens a gRPC stream over HTTP/2 (h2c or TLS) to a base URL; frames are delivered as they arrive. */
export function openGrpcStream(base: string, request: GrpcStreamRequest, sink: GrpcStreamSink): GrpcStreamConnection {
  let closed = false;
  let session: http2.ClientHttp2Session | undefined;
  let stream: http2.ClientHttp2Stream | undefined;
  const close = (status: number, message: string) => {
    if (closed) return;
    closed = true;
    session?.close();
    sink.close(status, message);
  };
  const connection: GrpcStreamConnection = {
    send: (message, endOfStream) => {
      if (!stream || stream.destroyed || stream.writableEnded) return;
      if (endOfStream) stream.end(grpcFrame(message));
      else stream.write(grpcFrame(message));
    },
    close: () => {
      if (stream && !stream.writableEnded) stream.end();
    },
    cancel: () => {
      closed = true;
      stream?.close(http2.constants.NGHTTP2_CANCEL);
      session?.close();
    },
  };
  try {
    session = http2.connect(base);
  } catch {
    queueMicrotask(() => close(failedGrpcCall.status, failedGrpcCall.statusMessage ?? ''));
    return connection;
  }
  session.on('error', () => close(14, 'upstream unavailable'));
  const headers: http2.OutgoingHttpHeaders = { ':method': 'POST', ':path': `/${request.service}/${request.method}`, 'content-type': 'application/grpc', te: 'trailers' };
  for (const [k, v] of request.initialMetadata) if (!k.startsWith(':')) headers[k] = v;
  const s = session.request(headers);
  stream = s;
  let pending = new Uint8Array(0);
  let initial: HeaderPairs = [];
  s.on('response', (h) => {
    initial = Object.entries(h).filter(([k]) => !k.startsWith(':')).map(([k, v]) => [k, String(v)]);
    if (!closed && h['grpc-status'] === undefined) sink.initialMetadata(initial);
  });
  s.on('data', (chunk: Buffer) => {
    const all = new Uint8Array(pending.byteLength + chunk.byteLength);
    all.set(pending);
    all.set(chunk, pending.byteLength);
    const view = new DataView(all.buffer);
    let at = 0;
    while (at + 5 <= all.byteLength) {
      const len = view.getUint32(at + 1);
      if (at + 5 + len > all.byteLength) break;
      if (!closed) sink.message(all.slice(at + 5, at + 5 + len));
      at += 5 + len;
    }
    pending = all.slice(at);
  });
  s.on('trailers', (t) => {
    if (closed) return;
    sink.trailingMetadata(Object.entries(t).map(([k, v]) => [k, String(v)]));
    close(Number(t['grpc-status'] ?? 2), String(t['grpc-message'] ?? ''));
  });
  s.on('end', () => {
    // Trailers-only responses carry grpc-status in the headers.
    const status = initial.find(([k]) => k === 'grpc-status');
    const message = initial.find(([k]) => k === 'grpc-message');
    if (status && !closed) sink.trailingMetadata(initial);
    close(status ? Number(status[1]) : 14, status ? (message?.[1] ?? '') : 'upstream unavailable');
  });
  s.on('error', () => close(14, 'upstream unavailable'));
  return connection;
}

function grpcFrames(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength);
  let at = 0;
  while (at + 5 <= data.byteLength) {
    const len = view.getUint32(at + 1);
    out.push(data.slice(at + 5, at + 5 + len));
    at += 5 + len;
  }
  return out;
}

export const failedCall: HttpCallResponse = { headers: [] };

/** A dispatcher that maps cluster names to real base URLs and sends the call with node:http. */
export function urlClusters(clusters: Record<string, string>): HttpCallDispatcher {
  return {
    knows: (cluster) => Object.prototype.hasOwnProperty.call(clusters, cluster),
    dispatch: (request, signal) => {
      const base = clusters[request.cluster];
      if (!base) return Promise.resolve(failedCall);
      return sendHttp(base, request, signal);
    },
    grpc: (request, signal) => {
      const base = clusters[request.cluster];
      if (!base) return Promise.resolve(failedGrpcCall);
      return sendGrpc(base, request, signal);
    },
    grpcStream: (request, sink) => {
      const base = clusters[request.cluster];
      if (base) return openGrpcStream(base, request, sink);
      queueMicrotask(() => sink.close(failedGrpcCall.status, failedGrpcCall.statusMessage));
      return { send: () => {}, close: () => {}, cancel: () => {} };
    },
  };
}

function sendHttp(base: string, request: HttpCallRequest, signal: AbortSignal): Promise<HttpCallResponse> {
  const pseudo = new Map(request.headers.filter(([k]) => k.startsWith(':')));
  const target = new URL(pseudo.get(':path') ?? '/', base);
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of request.headers) {
    if (k.startsWith(':')) continue;
    const prev = headers[k];
    headers[k] = prev === undefined ? v : Array.isArray(prev) ? [...prev, v] : [prev, v];
  }
  const authority = pseudo.get(':authority');
  if (authority) headers.host = authority;
  if (request.body.byteLength > 0) headers['content-length'] = String(request.body.byteLength);
  const client = target.protocol === 'https:' ? https : http;
  return new Promise((resolve) => {
    let settled = false;
    const done = (r: HttpCallResponse) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve(r);
    };
    const req = client.request(target, { method: pseudo.get(':method') ?? 'GET', headers, signal }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('error', () => done(failedCall));
      res.on('end', () => {
        const out: HeaderPairs = [[':status', String(res.statusCode ?? 0)]];
        for (let i = 0; i < res.rawHeaders.length; i += 2) out.push([String(res.rawHeaders[i]).toLowerCase(), String(res.rawHeaders[i + 1])]);
        const trailers: HeaderPairs = [];
        for (let i = 0; i < res.rawTrailers.length; i += 2) trailers.push([String(res.rawTrailers[i]).toLowerCase(), String(res.rawTrailers[i + 1])]);
        done({ headers: out, body: Buffer.concat(chunks), trailers });
      });
    });
    const timer = request.timeoutMs > 0 ? setTimeout(() => {
      req.destroy();
      done(failedCall);
    }, request.timeoutMs) : undefined;
    req.on('error', () => done(failedCall));
    req.end(request.body.byteLength > 0 ? request.body : undefined);
  });
}
