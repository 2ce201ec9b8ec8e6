// The module's exports: the ABI version marker, the allocator and every proxy_on_* callback,
// each routed to the context it names. A plugin re-exports this file from its entry:
//   export * from "create-istio-wasm/assembly/dispatch";
// Only functions live here, so the module exports nothing else.
//
// Memory: built with the minimal runtime (asc-flags.json), garbage is collected only when the
// SDK calls __collect(), which is safe only when no callback frame holds a reference, i.e. when
// the outermost callback returns (Envoy may re-enter the module, e.g. a local response runs
// proxy_on_response_headers inside proxy_on_request_headers). So every callback counts its
// nesting depth, and at depth 0 the SDK collects after each proxy_on_delete and after every
// COLLECT_EVERY other callbacks: memory stays flat however many requests pass.

import { proxy_set_effective_context } from "./abi/imports";
import { Action, PeerType } from "./constants";
import { Context, ContextKind, HttpContext, RootContext, StreamContext, contexts, pendingGrpcCalls, pendingHttpCalls } from "./context";
import { createRootContext } from "./registry";

const COLLECT_EVERY: i32 = 64;
let depth: i32 = 0;
let sinceCollect: i32 = 0;

// @ts-ignore: decorator
@inline function enter(): void {
  depth++;
}

function leave(): void {
  if (--depth == 0 && ++sinceCollect >= COLLECT_EVERY) {
    sinceCollect = 0;
    __collect();
  }
}

function leaveAndCollect(): void {
  if (--depth == 0) {
    sinceCollect = 0;
    __collect();
  }
}

export function proxy_abi_version_0_2_1(): void {}

/** The host allocates here the memory it hands data back in; the SDK frees it after copying. */
export function proxy_on_memory_allocate(size: usize): usize {
  return heap.alloc(size);
}

function findContext(contextId: u32): Context | null {
  return contexts.has(contextId) ? contexts.get(contextId) : null;
}

function findRoot(contextId: u32): RootContext | null {
  const c = findContext(contextId);
  return c !== null && c.kind == ContextKind.Root ? changetype<RootContext>(c) : null;
}

function findHttp(contextId: u32): HttpContext | null {
  const c = findContext(contextId);
  return c !== null && c.kind == ContextKind.Http ? changetype<HttpContext>(c) : null;
}

function findStream(contextId: u32): StreamContext | null {
  const c = findContext(contextId);
  return c !== null && c.kind == ContextKind.Stream ? changetype<StreamContext>(c) : null;
}

// Lifecycle

export function proxy_on_context_create(contextId: u32, parentContextId: u32): void {
  enter();
  if (parentContextId == 0) {
    contexts.set(contextId, createRootContext(contextId));
  } else {
    const root = findRoot(parentContextId);
    if (root !== null) {
      const http = root.createHttpContext(contextId);
      if (http !== null) {
        contexts.set(contextId, http);
      } else {
        const stream = root.createStreamContext(contextId);
        if (stream !== null) contexts.set(contextId, stream);
        // Neither: the stream passes through; callbacks for an unknown context continue.
      }
    }
  }
  leave();
}

export function proxy_on_done(contextId: u32): bool {
  enter();
  const c = findContext(contextId);
  const done = c !== null ? c.onDone() : true;
  leave();
  return done;
}

export function proxy_on_log(contextId: u32): void {
  enter();
  const c = findContext(contextId);
  if (c !== null) c.onLog();
  leave();
}

export function proxy_on_delete(contextId: u32): void {
  enter();
  const c = findContext(contextId);
  if (c !== null) {
    c.onDelete();
    c.dropPendingCalls();
    contexts.delete(contextId);
  }
  leaveAndCollect();
}

// Root

export function proxy_on_vm_start(rootContextId: u32, vmConfigurationSize: u32): bool {
  enter();
  const root = findRoot(rootContextId);
  const ok = root !== null ? root.onVmStart(vmConfigurationSize) : true;
  leave();
  return ok;
}

export function proxy_on_configure(rootContextId: u32, pluginConfigurationSize: u32): bool {
  enter();
  const root = findRoot(rootContextId);
  const ok = root !== null ? root.onConfigure(pluginConfigurationSize) : true;
  leaveAndCollect();
  return ok;
}

export function proxy_on_tick(rootContextId: u32): void {
  enter();
  const root = findRoot(rootContextId);
  if (root !== null) root.onTick();
  leave();
}

export function proxy_on_queue_ready(rootContextId: u32, queueId: u32): void {
  enter();
  const root = findRoot(rootContextId);
  if (root !== null) root.onQueueReady(queueId);
  leave();
}

export function proxy_on_foreign_function(rootContextId: u32, functionId: u32, argumentsSize: u32): void {
  enter();
  const root = findRoot(rootContextId);
  if (root !== null) root.onForeignFunction(functionId, argumentsSize);
  leave();
}

// HTTP

export function proxy_on_request_headers(contextId: u32, numHeaders: u32, endOfStream: u32): Action {
  enter();
  const h = findHttp(contextId);
  const action = h !== null ? h.onHttpRequestHeaders(numHeaders, endOfStream != 0) : Action.Continue;
  leave();
  return action;
}

export function proxy_on_request_body(contextId: u32, bodySize: u32, endOfStream: u32): Action {
  enter();
  const h = findHttp(contextId);
  const action = h !== null ? h.onHttpRequestBody(bodySize, endOfStream != 0) : Action.Continue;
  leave();
  return action;
}

export function proxy_on_request_trailers(contextId: u32, numTrailers: u32): Action {
  enter();
  const h = findHttp(contextId);
  const action = h !== null ? h.onHttpRequestTrailers(numTrailers) : Action.Continue;
  leave();
  return action;
}

export function proxy_on_response_headers(contextId: u32, numHeaders: u32, endOfStream: u32): Action {
  enter();
  const h = findHttp(contextId);
  const action = h !== null ? h.onHttpResponseHeaders(numHeaders, endOfStream != 0) : Action.Continue;
  leave();
  return action;
}

export function proxy_on_response_body(contextId: u32, bodySize: u32, endOfStream: u32): Action {
  enter();
  const h = findHttp(contextId);
  const action = h !== null ? h.onHttpResponseBody(bodySize, endOfStream != 0) : Action.Continue;
  leave();
  return action;
}

export function proxy_on_response_trailers(contextId: u32, numTrailers: u32): Action {
  enter();
  const h = findHttp(contextId);
  const action = h !== null ? h.onHttpResponseTrailers(numTrailers) : Action.Continue;
  leave();
  return action;
}

// TCP

export function proxy_on_new_connection(contextId: u32): Action {
  enter();
  const s = findStream(contextId);
  const action = s !== null ? s.onNewConnection() : Action.Continue;
  leave();
  return action;
}

export function proxy_on_downstream_data(contextId: u32, dataSize: u32, endOfStream: u32): Action {
  enter();
  const s = findStream(contextId);
  const action = s !== null ? s.onDownstreamData(dataSize, endOfStream != 0) : Action.Continue;
  leave();
  return action;
}

export function proxy_on_downstream_connection_close(contextId: u32, peerType: u32): void {
  enter();
  const s = findStream(contextId);
  if (s !== null) s.onDownstreamClose(<PeerType>peerType);
  leave();
}

export function proxy_on_upstream_data(contextId: u32, dataSize: u32, endOfStream: u32): Action {
  enter();
  const s = findStream(contextId);
  const action = s !== null ? s.onUpstreamData(dataSize, endOfStream != 0) : Action.Continue;
  leave();
  return action;
}

export function proxy_on_upstream_connection_close(contextId: u32, peerType: u32): void {
  enter();
  const s = findStream(contextId);
  if (s !== null) s.onUpstreamClose(<PeerType>peerType);
  leave();
}

// Outbound calls: routed by token to the context that made them (the root when unknown), which
// is made effective first so that e.g. resumeHttpRequest() acts on its stream.

function callTarget(rootContextId: u32, token: u32, pending: Map<u32, Context>): Context | null {
  const c = pending.has(token) ? pending.get(token) : findContext(rootContextId);
  if (c !== null && c.contextId != rootContextId) proxy_set_effective_context(c.contextId);
  return c;
}

export function proxy_on_http_call_response(rootContextId: u32, token: u32, numHeaders: u32, bodySize: u32, numTrailers: u32): void {
  enter();
  const c = callTarget(rootContextId, token, pendingHttpCalls);
  if (c !== null) {
    const callback = c.settleHttpCall(token);
    if (callback !== null) callback(c, token, numHeaders, bodySize, numTrailers);
    else c.onHttpCallResponse(token, numHeaders, bodySize, numTrailers);
  }
  leave();
}

export function proxy_on_grpc_receive_initial_metadata(rootContextId: u32, token: u32, numElements: u32): void {
  enter();
  const c = callTarget(rootContextId, token, pendingGrpcCalls);
  if (c !== null) c.onGrpcReceiveInitialMetadata(token, numElements);
  leave();
}

export function proxy_on_grpc_receive(rootContextId: u32, token: u32, messageSize: u32): void {
  enter();
  const c = callTarget(rootContextId, token, pendingGrpcCalls);
  if (c !== null) {
    c.settleGrpcReply(token);
    c.onGrpcReceive(token, messageSize);
  }
  leave();
}

export function proxy_on_grpc_receive_trailing_metadata(rootContextId: u32, token: u32, numElements: u32): void {
  enter();
  const c = callTarget(rootContextId, token, pendingGrpcCalls);
  if (c !== null) c.onGrpcReceiveTrailingMetadata(token, numElements);
  leave();
}

export function proxy_on_grpc_close(rootContextId: u32, token: u32, statusCode: u32): void {
  enter();
  const c = callTarget(rootContextId, token, pendingGrpcCalls);
  if (c !== null) {
    c.settleGrpc(token);
    c.onGrpcClose(token, statusCode);
  }
  leave();
}
