// Contexts: one RootContext per plugin (Istio: per WasmPlugin on a proxy), and one HttpContext
// or StreamContext per HTTP stream or TCP connection, created by the root, deleted on
// proxy_on_delete so memory stays flat however many requests pass.

import { proxy_done, proxy_set_effective_context } from "./abi/imports";
import { utf8 } from "./abi/memory";
import { Action, BufferType, MapType, PeerType, Status, StreamType, NO_GRPC_STATUS } from "./constants";
import { getBufferBytes, getBufferString, setBufferBytes } from "./buffers";
import {
  Headers,
  addHeaderMapValue,
  getHeaderMapPairs,
  getHeaderMapValue,
  removeHeaderMapValue,
  replaceHeaderMapValue,
  serializeHeaders,
  setHeaderMapPairs,
} from "./headers";
import {
  getHttpCallResponseBody,
  getHttpCallResponseBodyString,
  getHttpCallResponseHeader,
  getHttpCallResponseHeaders,
  getHttpCallResponseTrailers,
  httpCall,
} from "./http-call";
import { grpcCall, grpcCancel, grpcClose, grpcSend, grpcStream } from "./grpc";
import { proxy_send_local_response } from "./abi/imports";
import { closeStream, continueStream } from "./stream";
import { setTickPeriodMilliseconds } from "./time";

/** Called instead of `onHttpCallResponse` when given to dispatchHttpCall (functions cannot capture; use the context). */
export type HttpCallCallback = (context: Context, token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32) => void;

export enum ContextKind {
  Root = 0,
  Http = 1,
  Stream = 2,
}

/** A callback given to dispatchHttpCall, kept on the calling context until the response. */
export class PendingCallback {
  constructor(public token: u32, public callback: HttpCallCallback) {}
}

/** Every live context by id (roots included). */
export const contexts = new Map<u32, Context>();
/** Outstanding HTTP calls: token -> the context that made the call. */
export const pendingHttpCalls = new Map<u32, Context>();
/** Outstanding gRPC calls and streams: token -> the context that started it. */
export const pendingGrpcCalls = new Map<u32, Context>();

function pushToken(list: Array<u32> | null, token: u32): Array<u32> {
  const l = list !== null ? list : new Array<u32>();
  l.push(token);
  return l;
}

/** Removes `token` from `list` (order does not matter); true when it was there. */
function removeToken(list: Array<u32> | null, token: u32): bool {
  if (list === null) return false;
  const last = list.length - 1;
  for (let i = 0; i <= last; i++) {
    if (unchecked(list[i]) == token) {
      unchecked((list[i] = list[last]));
      list.pop();
      return true;
    }
  }
  return false;
}

function forgetTokens(list: Array<u32> | null, pending: Map<u32, Context>): void {
  if (list === null) return;
  for (let i = 0; i < list.length; i++) {
    const t = unchecked(list[i]);
    if (pending.has(t)) pending.delete(t);
  }
}

/** What root, HTTP and stream contexts share: identity, lifecycle, outbound calls. */
export class Context {
  /** Root, Http or Stream. */
  kind: ContextKind = ContextKind.Root;
  /** This context's outstanding HTTP calls, unary gRPC calls and gRPC streams (dropped on delete). */
  httpTokens: Array<u32> | null = null;
  grpcCallTokens: Array<u32> | null = null;
  grpcStreamTokens: Array<u32> | null = null;
  httpCallbacks: Array<PendingCallback> | null = null;

  constructor(public readonly contextId: u32) {}

  /** The host is done with this context; return false to finish later with done(). */
  onDone(): bool { return true; }
  /** After onDone: final access to headers, e.g. for access logs. */
  onLog(): void {}
  /** The context is going away; release what it holds. */
  onDelete(): void {}

  /** Response of dispatchHttpCall (numHeaders 0: the call failed or timed out). */
  onHttpCallResponse(token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {}
  onGrpcReceiveInitialMetadata(token: u32, numElements: u32): void {}
  onGrpcReceive(token: u32, messageSize: u32): void {}
  onGrpcReceiveTrailingMetadata(token: u32, numElements: u32): void {}
  onGrpcClose(token: u32, statusCode: u32): void {}

  /** Makes this context the one later host calls act on (done by the SDK before call callbacks). */
  setEffectiveContext(): Status {
    return <Status>proxy_set_effective_context(this.contextId);
  }

  /** Tells the host this context finished, after onDone returned false. */
  done(): Status {
    proxy_set_effective_context(this.contextId);
    return <Status>proxy_done();
  }

  /**
   * Sends an HTTP request to an Envoy cluster (`outbound|8080||auth.default.svc.cluster.local`).
   * The response arrives in this context's onHttpCallResponse (or `callback`), with this context
   * effective, so resumeHttpRequest()/sendHttpResponse() act on its stream. Returns the call's
   * token, or 0 when the host refused it (see getLastStatus()).
   */
  dispatchHttpCall(
    cluster: string, headers: Headers, body: string, trailers: Headers, timeoutMs: u32,
    callback: HttpCallCallback | null = null,
  ): u32 {
    return this.dispatchHttpCallBytes(cluster, headers, body.length > 0 ? utf8(body) : null, trailers, timeoutMs, callback);
  }

  dispatchHttpCallBytes(
    cluster: string, headers: Headers, body: ArrayBuffer | null, trailers: Headers, timeoutMs: u32,
    callback: HttpCallCallback | null = null,
  ): u32 {
    const token = httpCall(cluster, headers, body, trailers, timeoutMs);
    if (token != 0) {
      pendingHttpCalls.set(token, this);
      this.httpTokens = pushToken(this.httpTokens, token);
      if (callback !== null) {
        let callbacks = this.httpCallbacks;
        if (callbacks === null) this.httpCallbacks = callbacks = new Array<PendingCallback>();
        callbacks.push(new PendingCallback(token, callback));
      }
    }
    return token;
  }

  getHttpCallResponseHeaders(): Headers { return getHttpCallResponseHeaders(); }
  getHttpCallResponseHeader(name: string): string | null { return getHttpCallResponseHeader(name); }
  getHttpCallResponseTrailers(): Headers { return getHttpCallResponseTrailers(); }
  getHttpCallResponseBody(start: u32, maxSize: u32): ArrayBuffer | null { return getHttpCallResponseBody(start, maxSize); }
  getHttpCallResponseBodyString(start: u32, maxSize: u32): string { return getHttpCallResponseBodyString(start, maxSize); }

  /** A unary gRPC call; the reply arrives in onGrpcReceive (or onGrpcClose on failure). Returns the token, 0 on failure. */
  grpcCall(upstream: string, serviceName: string, methodName: string, initialMetadata: Headers, message: ArrayBuffer, timeoutMs: u32): u32 {
    const token = grpcCall(upstream, serviceName, methodName, initialMetadata, message, timeoutMs);
    if (token != 0) {
      pendingGrpcCalls.set(token, this);
      this.grpcCallTokens = pushToken(this.grpcCallTokens, token);
    }
    return token;
  }

  /** Opens a gRPC stream; send with grpcSend, messages arrive in onGrpcReceive until onGrpcClose. Returns the token, 0 on failure. */
  grpcStream(upstream: string, serviceName: string, methodName: string, initialMetadata: Headers): u32 {
    const token = grpcStream(upstream, serviceName, methodName, initialMetadata);
    if (token != 0) {
      pendingGrpcCalls.set(token, this);
      this.grpcStreamTokens = pushToken(this.grpcStreamTokens, token);
    }
    return token;
  }

  grpcSend(token: u32, message: ArrayBuffer, endOfStream: bool): Status {
    return grpcSend(token, message, endOfStream);
  }

  /** Cancels a call or stream; no callback follows. */
  grpcCancel(token: u32): Status {
    this.settleGrpc(token);
    return grpcCancel(token);
  }

  /** Closes a call or stream (onGrpcClose follows). */
  grpcClose(token: u32): Status {
    return grpcClose(token);
  }

  /** SDK internal: the HTTP call `token` got its response; its callback, if one was given. */
  settleHttpCall(token: u32): HttpCallCallback | null {
    if (pendingHttpCalls.has(token)) pendingHttpCalls.delete(token);
    removeToken(this.httpTokens, token);
    const callbacks = this.httpCallbacks;
    if (callbacks === null) return null;
    for (let i = 0; i < callbacks.length; i++) {
      const p = unchecked(callbacks[i]);
      if (p.token == token) {
        unchecked((callbacks[i] = callbacks[callbacks.length - 1]));
        callbacks.pop();
        return p.callback;
      }
    }
    return null;
  }

  /** SDK internal: a gRPC reply arrived; a unary call is over (a stream goes on until close). */
  settleGrpcReply(token: u32): void {
    if (removeToken(this.grpcCallTokens, token) && pendingGrpcCalls.has(token)) pendingGrpcCalls.delete(token);
  }

  /** SDK internal: the gRPC call or stream `token` is over. */
  settleGrpc(token: u32): void {
    if (pendingGrpcCalls.has(token)) pendingGrpcCalls.delete(token);
    if (!removeToken(this.grpcCallTokens, token)) removeToken(this.grpcStreamTokens, token);
  }

  /** SDK internal, on delete: forgets every outstanding call of this context. */
  dropPendingCalls(): void {
    forgetTokens(this.httpTokens, pendingHttpCalls);
    forgetTokens(this.grpcCallTokens, pendingGrpcCalls);
    forgetTokens(this.grpcStreamTokens, pendingGrpcCalls);
    this.httpTokens = null;
    this.grpcCallTokens = null;
    this.grpcStreamTokens = null;
    this.httpCallbacks = null;
  }
}

/**
 * The plugin: configuration, timers, queues, and the factory of per-stream contexts.
 * Register a subclass with registerRootContext().
 */
export class RootContext extends Context {
  /** The root id the host gave this plugin (Istio: the WasmPlugin's pluginName), "" when none. */
  rootId: string = "";

  constructor(contextId: u32) {
    super(contextId);
    this.kind = ContextKind.Root;
  }

  /** The VM started; its configuration is getVmConfiguration(). Return false to fail the VM. */
  onVmStart(vmConfigurationSize: u32): bool { return true; }
  /** The plugin (re)configured; its configuration is getPluginConfiguration(). Return false to reject it. */
  onConfigure(pluginConfigurationSize: u32): bool { return true; }
  /** Every tick period (setTickPeriod). */
  onTick(): void {}
  /** An item was enqueued on a queue this root registered. */
  onQueueReady(queueId: u32): void {}
  /** The host called a foreign function registered for this plugin; arguments via getBufferBytes(ForeignFunctionArguments). */
  onForeignFunction(functionId: u32, argumentsSize: u32): void {}

  /** A new HTTP stream: return its context, or null when this plugin does not handle HTTP. */
  createHttpContext(contextId: u32): HttpContext | null { return null; }
  /** A new TCP connection: return its context, or null when this plugin does not handle TCP. */
  createStreamContext(contextId: u32): StreamContext | null { return null; }

  /** The WasmPlugin's pluginConfig (Istio hands it over as JSON); "" when none. */
  getPluginConfiguration(): string { return getBufferString(BufferType.PluginConfiguration, 0, u32.MAX_VALUE); }
  getPluginConfigurationBytes(): ArrayBuffer | null { return getBufferBytes(BufferType.PluginConfiguration, 0, u32.MAX_VALUE); }
  /** The VM configuration (vmConfig); "" when none. */
  getVmConfiguration(): string { return getBufferString(BufferType.VmConfiguration, 0, u32.MAX_VALUE); }
  getVmConfigurationBytes(): ArrayBuffer | null { return getBufferBytes(BufferType.VmConfiguration, 0, u32.MAX_VALUE); }

  /** Calls onTick every `periodMs` milliseconds; 0 stops it. */
  setTickPeriod(periodMs: u32): Status { return setTickPeriodMilliseconds(periodMs); }
}

/** One HTTP request/response pair. */
export class HttpContext extends Context {
  constructor(contextId: u32, public readonly rootContext: RootContext) {
    super(contextId);
    this.kind = ContextKind.Http;
  }

  onHttpRequestHeaders(numHeaders: u32, endOfStream: bool): Action { return Action.Continue; }
  onHttpRequestBody(bodySize: u32, endOfStream: bool): Action { return Action.Continue; }
  onHttpRequestTrailers(numTrailers: u32): Action { return Action.Continue; }
  onHttpResponseHeaders(numHeaders: u32, endOfStream: bool): Action { return Action.Continue; }
  onHttpResponseBody(bodySize: u32, endOfStream: bool): Action { return Action.Continue; }
  onHttpResponseTrailers(numTrailers: u32): Action { return Action.Continue; }

  // Request headers
  getHttpRequestHeaders(): Headers { return getHeaderMapPairs(MapType.HttpRequestHeaders); }
  setHttpRequestHeaders(headers: Headers): Status { return setHeaderMapPairs(MapType.HttpRequestHeaders, headers); }
  getHttpRequestHeader(name: string): string | null { return getHeaderMapValue(MapType.HttpRequestHeaders, name); }
  setHttpRequestHeader(name: string, value: string): Status { return replaceHeaderMapValue(MapType.HttpRequestHeaders, name, value); }
  addHttpRequestHeader(name: string, value: string): Status { return addHeaderMapValue(MapType.HttpRequestHeaders, name, value); }
  removeHttpRequestHeader(name: string): Status { return removeHeaderMapValue(MapType.HttpRequestHeaders, name); }

  // Request trailers
  getHttpRequestTrailers(): Headers { return getHeaderMapPairs(MapType.HttpRequestTrailers); }
  setHttpRequestTrailers(trailers: Headers): Status { return setHeaderMapPairs(MapType.HttpRequestTrailers, trailers); }
  getHttpRequestTrailer(name: string): string | null { return getHeaderMapValue(MapType.HttpRequestTrailers, name); }
  setHttpRequestTrailer(name: string, value: string): Status { return replaceHeaderMapValue(MapType.HttpRequestTrailers, name, value); }
  addHttpRequestTrailer(name: string, value: string): Status { return addHeaderMapValue(MapType.HttpRequestTrailers, name, value); }
  removeHttpRequestTrailer(name: string): Status { return removeHeaderMapValue(MapType.HttpRequestTrailers, name); }

  // Response headers
  getHttpResponseHeaders(): Headers { return getHeaderMapPairs(MapType.HttpResponseHeaders); }
  setHttpResponseHeaders(headers: Headers): Status { return setHeaderMapPairs(MapType.HttpResponseHeaders, headers); }
  getHttpResponseHeader(name: string): string | null { return getHeaderMapValue(MapType.HttpResponseHeaders, name); }
  setHttpResponseHeader(name: string, value: string): Status { return replaceHeaderMapValue(MapType.HttpResponseHeaders, name, value); }
  addHttpResponseHeader(name: string, value: string): Status { return addHeaderMapValue(MapType.HttpResponseHeaders, name, value); }
  removeHttpResponseHeader(name: string): Status { return removeHeaderMapValue(MapType.HttpResponseHeaders, name); }

  // Response trailers
  getHttpResponseTrailers(): Headers { return getHeaderMapPairs(MapType.HttpResponseTrailers); }
  setHttpResponseTrailers(trailers: Headers): Status { return setHeaderMapPairs(MapType.HttpResponseTrailers, trailers); }
  getHttpResponseTrailer(name: string): string | null { return getHeaderMapValue(MapType.HttpResponseTrailers, name); }
  setHttpResponseTrailer(name: string, value: string): Status { return replaceHeaderMapValue(MapType.HttpResponseTrailers, name, value); }
  addHttpResponseTrailer(name: string, value: string): Status { return addHeaderMapValue(MapType.HttpResponseTrailers, name, value); }
  removeHttpResponseTrailer(name: string): Status { return removeHeaderMapValue(MapType.HttpResponseTrailers, name); }

  // Bodies (in onHttpRequestBody / onHttpResponseBody, or while paused from them)
  getHttpRequestBody(start: u32, maxSize: u32): ArrayBuffer | null { return getBufferBytes(BufferType.HttpRequestBody, start, maxSize); }
  getHttpRequestBodyString(start: u32, maxSize: u32): string { return getBufferString(BufferType.HttpRequestBody, start, maxSize); }
  /** Replaces `size` bytes at `start` (0, u32.MAX_VALUE: the whole body). */
  setHttpRequestBody(start: u32, size: u32, value: ArrayBuffer): Status { return setBufferBytes(BufferType.HttpRequestBody, start, size, value); }
  setHttpRequestBodyString(start: u32, size: u32, value: string): Status { return setBufferBytes(BufferType.HttpRequestBody, start, size, utf8(value)); }
  getHttpResponseBody(start: u32, maxSize: u32): ArrayBuffer | null { return getBufferBytes(BufferType.HttpResponseBody, start, maxSize); }
  getHttpResponseBodyString(start: u32, maxSize: u32): string { return getBufferString(BufferType.HttpResponseBody, start, maxSize); }
  setHttpResponseBody(start: u32, size: u32, value: ArrayBuffer): Status { return setBufferBytes(BufferType.HttpResponseBody, start, size, value); }
  setHttpResponseBodyString(start: u32, size: u32, value: string): Status { return setBufferBytes(BufferType.HttpResponseBody, start, size, utf8(value)); }

  /**
   * Answers the request locally instead of forwarding it (return Action.Pause after it).
   * `grpcStatus` -1: not a gRPC response.
   */
  sendHttpResponse(statusCode: u32, headers: Headers, body: string, grpcStatus: i32 = NO_GRPC_STATUS): Status {
    return this.sendHttpResponseBytes(statusCode, headers, utf8(body), grpcStatus);
  }

  sendHttpResponseBytes(statusCode: u32, headers: Headers, body: ArrayBuffer | null, grpcStatus: i32 = NO_GRPC_STATUS, details: string = ""): Status {
    const h = serializeHeaders(headers);
    const d = utf8(details);
    const bodyPtr: usize = body !== null ? changetype<usize>(body) : 0;
    const bodyLen: usize = body !== null ? <usize>body.byteLength : 0;
    return <Status>proxy_send_local_response(
      statusCode, changetype<usize>(d), <usize>d.byteLength, bodyPtr, bodyLen,
      changetype<usize>(h), <usize>h.byteLength, grpcStatus,
    );
  }

  /** Resumes a request paused by returning Action.Pause (e.g. from onHttpCallResponse). */
  resumeHttpRequest(): Status { return continueStream(StreamType.HttpRequest); }
  resumeHttpResponse(): Status { return continueStream(StreamType.HttpResponse); }
  /** Resets the request stream. */
  resetHttpRequest(): Status { return closeStream(StreamType.HttpRequest); }
  resetHttpResponse(): Status { return closeStream(StreamType.HttpResponse); }
}

/** One TCP connection (downstream and upstream share the context). */
export class StreamContext extends Context {
  constructor(contextId: u32, public readonly rootContext: RootContext) {
    super(contextId);
    this.kind = ContextKind.Stream;
  }

  onNewConnection(): Action { return Action.Continue; }
  onDownstreamData(dataSize: u32, endOfStream: bool): Action { return Action.Continue; }
  onDownstreamClose(peer: PeerType): void {}
  onUpstreamData(dataSize: u32, endOfStream: bool): Action { return Action.Continue; }
  onUpstreamClose(peer: PeerType): void {}

  getDownstreamData(start: u32, maxSize: u32): ArrayBuffer | null { return getBufferBytes(BufferType.DownstreamData, start, maxSize); }
  setDownstreamData(start: u32, size: u32, value: ArrayBuffer): Status { return setBufferBytes(BufferType.DownstreamData, start, size, value); }
  getUpstreamData(start: u32, maxSize: u32): ArrayBuffer | null { return getBufferBytes(BufferType.UpstreamData, start, maxSize); }
  setUpstreamData(start: u32, size: u32, value: ArrayBuffer): Status { return setBufferBytes(BufferType.UpstreamData, start, size, value); }

  resumeDownstream(): Status { return continueStream(StreamType.Downstream); }
  resumeUpstream(): Status { return continueStream(StreamType.Upstream); }
  closeDownstream(): Status { return closeStream(StreamType.Downstream); }
  closeUpstream(): Status { return closeStream(StreamType.Upstream); }
}
