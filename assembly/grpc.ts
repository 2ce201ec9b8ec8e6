// Outbound gRPC (proxy_grpc_call / _stream / _send / _cancel / _close). `upstream` is a cluster
// name (or a serialized envoy.config.core.v3.GrpcService). Context.grpcCall/grpcStream wrap these
// and route the callbacks to the context that started them.

import { proxy_grpc_call, proxy_grpc_cancel, proxy_grpc_close, proxy_grpc_send, proxy_grpc_stream } from "./abi/imports";
import { clearOut, lenOf, outPtr, ptrOf, setLastStatus, utf8 } from "./abi/memory";
import { BufferType, MapType, Status } from "./constants";
import { Headers, getHeaderMapPairs, getHeaderMapValue, serializeHeaders } from "./headers";
import { getBufferBytes } from "./buffers";

/** A unary call; returns its token, or 0 on failure (see getLastStatus()). */
export function grpcCall(
  upstream: string, serviceName: string, methodName: string,
  initialMetadata: Headers, message: ArrayBuffer, timeoutMs: u32,
): u32 {
  const u = utf8(upstream);
  const s = utf8(serviceName);
  const m = utf8(methodName);
  const md = serializeHeaders(initialMetadata);
  clearOut();
  const status = setLastStatus(proxy_grpc_call(
    ptrOf(u), lenOf(u), ptrOf(s), lenOf(s), ptrOf(m), lenOf(m), ptrOf(md), lenOf(md),
    ptrOf(message), lenOf(message), timeoutMs, outPtr(),
  ));
  return status == Status.Ok ? load<u32>(outPtr()) : 0;
}

/** Opens a stream; returns its token, or 0 on failure (see getLastStatus()). */
export function grpcStream(upstream: string, serviceName: string, methodName: string, initialMetadata: Headers): u32 {
  const u = utf8(upstream);
  const s = utf8(serviceName);
  const m = utf8(methodName);
  const md = serializeHeaders(initialMetadata);
  clearOut();
  const status = setLastStatus(proxy_grpc_stream(
    ptrOf(u), lenOf(u), ptrOf(s), lenOf(s), ptrOf(m), lenOf(m), ptrOf(md), lenOf(md), outPtr(),
  ));
  return status == Status.Ok ? load<u32>(outPtr()) : 0;
}

export function grpcSend(token: u32, message: ArrayBuffer, endOfStream: bool): Status {
  return <Status>proxy_grpc_send(token, ptrOf(message), lenOf(message), endOfStream ? 1 : 0);
}

export function grpcCancel(token: u32): Status {
  return <Status>proxy_grpc_cancel(token);
}

export function grpcClose(token: u32): Status {
  return <Status>proxy_grpc_close(token);
}

/** In onGrpcReceive: the message bytes. */
export function getGrpcReceiveBuffer(start: u32, maxSize: u32): ArrayBuffer | null {
  return getBufferBytes(BufferType.GrpcReceiveBuffer, start, maxSize);
}

export function getGrpcReceiveInitialMetadata(): Headers {
  return getHeaderMapPairs(MapType.GrpcReceiveInitialMetadata);
}

export function getGrpcReceiveInitialMetadataValue(name: string): string | null {
  return getHeaderMapValue(MapType.GrpcReceiveInitialMetadata, name);
}

export function getGrpcReceiveTrailingMetadata(): Headers {
  return getHeaderMapPairs(MapType.GrpcReceiveTrailingMetadata);
}

export function getGrpcReceiveTrailingMetadataValue(name: string): string | null {
  return getHeaderMapValue(MapType.GrpcReceiveTrailingMetadata, name);
}
