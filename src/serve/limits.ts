import type http from 'node:http';

/**
 * Envoy's default limits on a downstream request's headers (HttpConnectionManager
 * max_request_headers_kb: 60, common_http_protocol_options max_headers_count: 100), which Istio keeps.
 * Over either, Envoy's codec answers 431 before any filter (plugin) sees the request.
 */
export const envoyHeaderLimits = { maxBytes: 60 * 1024, maxCount: 100 } as const;

/**
 * Node's own parser limit for serve's listener: above anything Envoy accepts (60 KiB of names and values
 * plus framing and the request line), so the exact Envoy check below decides.
 */
export const nodeMaxHeaderSize = envoyHeaderLimits.maxBytes + 8 * 1024;

/** Why Envoy would refuse these request headers with 431, or undefined when it would accept them. */
export function requestHeadersOverLimit(rawHeaders: readonly string[]): string | undefined {
  const count = rawHeaders.length / 2;
  if (count > envoyHeaderLimits.maxCount) return `${count} request headers (Envoy's limit is ${envoyHeaderLimits.maxCount})`;
  let bytes = 0;
  for (const part of rawHeaders) bytes += Buffer.byteLength(part, 'latin1');
  if (bytes > envoyHeaderLimits.maxBytes) return `${bytes} bytes of request headers (Envoy's limit is ${envoyHeaderLimits.maxBytes})`;
  return undefined;
}

/** Envoy's codec reply: 431 with the status text as body, and the connection closed. */
export function refuseRequestHeaders(res: http.ServerResponse): void {
  const body = 'Request Header Fields Too Large';
  res.shouldKeepAlive = false;
  res.writeHead(431, { 'content-type': 'text/plain', 'content-length': String(body.length), connection: 'close' });
  res.end(body);
}
