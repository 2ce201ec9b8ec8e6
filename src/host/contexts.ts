import type { BodyBuffer } from './buffers.js';
import type { HeaderMap } from './header-map.js';
import type { StreamTrace } from './trace/stream-trace.js';

/** What the ABI functions see of an HTTP stream context (implemented by HttpStream). */
export interface StreamContext {
  readonly id: number;
  requestHeaders: HeaderMap | undefined;
  requestTrailers: HeaderMap | undefined;
  responseHeaders: HeaderMap | undefined;
  responseTrailers: HeaderMap | undefined;
  readonly requestBody: BodyBuffer;
  readonly responseBody: BodyBuffer;
  /**
   * The body buffer a plugin may read and write now, as Envoy exposes it: only inside that side's body
   * callback, or while the plugin holds that body (it paused in a body callback). Undefined elsewhere
   * (e.g. in a headers callback), where Envoy has no body buffer.
   */
  liveBody(side: 'request' | 'response'): BodyBuffer | undefined;
  /** Where this stream's callbacks and host calls are recorded, when the exchange is traced. */
  readonly trace?: StreamTrace | undefined;
  /** proxy_continue_stream(HTTP_REQUEST | HTTP_RESPONSE). */
  resume(streamType: number): number;
  /** proxy_close_stream: the stream is reset. */
  close(streamType: number): number;
  sendLocalResponse(response: LocalResponse): number;
  property(path: string[]): Uint8Array | undefined;
  setProperty(path: string[], value: Uint8Array): number;
  /** The VM trapped outside this stream's own callbacks (e.g. in an HTTP call response). */
  vmFailed(): void;
}

export interface LocalResponse {
  status: number;
  /** Envoy's response code details (`details` argument). */
  details: string;
  headers: Array<[string, string]>;
  body: Uint8Array;
  /** -1 when not a gRPC response. */
  grpcStatus: number;
}

/** The HTTP call response a root context reads inside proxy_on_http_call_response. */
export interface CallResponseView {
  headers: HeaderMap;
  body: BodyBuffer;
  trailers: HeaderMap;
}
