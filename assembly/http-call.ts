// Outbound HTTP calls (proxy_http_call). The upstream is an Envoy cluster name; in Istio:
// `outbound|<port>||<service host>`, e.g. `outbound|8080||auth.default.svc.cluster.local`.
// Headers must include `:method`, `:path` and `:authority`. Context.dispatchHttpCall wraps this and
// routes the response to the context that made the call.

import { proxy_http_call } from "./abi/imports";
import { clearOut, lenOf, outPtr, ptrOf, setLastStatus, utf8 } from "./abi/memory";
import { BufferType, MapType, Status } from "./constants";
import { Headers, getHeaderMapPairs, getHeaderMapValue, serializeHeaders } from "./headers";
import { getBufferBytes, getBufferString } from "./buffers";

/** Sends the call; returns its token, or 0 on failure (see getLastStatus()). */
export function httpCall(cluster: string, headers: Headers, body: ArrayBuffer | null, trailers: Headers, timeoutMs: u32): u32 {
  const c = utf8(cluster);
  const h = serializeHeaders(headers);
  const t = serializeHeaders(trailers);
  const bodyPtr: usize = body !== null ? changetype<usize>(body) : 0;
  const bodyLen: usize = body !== null ? <usize>body.byteLength : 0;
  clearOut();
  const status = setLastStatus(
    proxy_http_call(ptrOf(c), lenOf(c), ptrOf(h), lenOf(h), bodyPtr, bodyLen, ptrOf(t), lenOf(t), timeoutMs, outPtr()),
  );
  return status == Status.Ok ? load<u32>(outPtr()) : 0;
}

/** In onHttpCallResponse: the response headers (`:status` among them); empty when the call failed. */
export function getHttpCallResponseHeaders(): Headers {
  return getHeaderMapPairs(MapType.HttpCallResponseHeaders);
}

export function getHttpCallResponseHeader(name: string): string | null {
  return getHeaderMapValue(MapType.HttpCallResponseHeaders, name);
}

export function getHttpCallResponseTrailers(): Headers {
  return getHeaderMapPairs(MapType.HttpCallResponseTrailers);
}

export function getHttpCallResponseBody(start: u32, maxSize: u32): ArrayBuffer | null {
  return getBufferBytes(BufferType.HttpCallResponseBody, start, maxSize);
}

export function getHttpCallResponseBodyString(start: u32, maxSize: u32): string {
  return getBufferString(BufferType.HttpCallResponseBody, start, maxSize);
}
