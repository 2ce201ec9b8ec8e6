// create-istio-wasm's AssemblyScript SDK for Proxy-Wasm ABI 0.2.1 (Istio / Envoy plugins).
//
//   import { RootContext, HttpContext, Action, registerRootContext } from "create-istio-wasm/assembly";
//   export * from "create-istio-wasm/assembly/dispatch";   // the proxy_on_* exports
//
// Build with the flags in asc-flags.json (they point `abort` at abortHandler below). See README.md.

import { reportAbort } from "./abort";

export { Action, BufferType, LogLevel, MapType, MetricType, NO_GRPC_STATUS, PeerType, Status, StreamType } from "./constants";
export { getLastStatus } from "./abi/memory";
export { Context, HttpCallCallback, HttpContext, RootContext, StreamContext } from "./context";
export { RootContextFactory, getRootId, registerRootContext } from "./registry";
export {
  Header,
  Headers,
  addHeaderMapValue,
  deserializeHeaders,
  getHeaderMapPairs,
  getHeaderMapSize,
  getHeaderMapValue,
  header,
  removeHeaderMapValue,
  replaceHeaderMapValue,
  serializeHeaders,
  setHeaderMapPairs,
} from "./headers";
export { getBufferBytes, getBufferSize, getBufferString, setBufferBytes, setBufferString } from "./buffers";
export {
  getHttpCallResponseBody,
  getHttpCallResponseBodyString,
  getHttpCallResponseHeader,
  getHttpCallResponseHeaders,
  getHttpCallResponseTrailers,
  httpCall,
} from "./http-call";
export {
  getGrpcReceiveBuffer,
  getGrpcReceiveInitialMetadata,
  getGrpcReceiveInitialMetadataValue,
  getGrpcReceiveTrailingMetadata,
  getGrpcReceiveTrailingMetadataValue,
  grpcCall,
  grpcCancel,
  grpcClose,
  grpcSend,
  grpcStream,
} from "./grpc";
export { CallStatus, closeStream, continueStream, getStatus } from "./stream";
export { getLogLevel, log, logCritical, logDebug, logError, logInfo, logTrace, logWarn } from "./log";
export { Counter, Gauge, Histogram, defineMetric, getMetric, incrementMetric, recordMetric } from "./metrics";
export { SharedData, getSharedData, setSharedData, setSharedDataString } from "./shared-data";
export { dequeueSharedQueue, enqueueSharedQueue, enqueueSharedQueueString, registerSharedQueue, resolveSharedQueue } from "./shared-queue";
export { getProperty, getPropertyString, serializePropertyPath, setProperty, setPropertyString } from "./properties";
export { getCurrentTimeNanoseconds, setTickPeriodMilliseconds } from "./time";
export { callForeignFunction } from "./foreign";
export { JsonType, JsonValue, parseJson } from "./json";

/**
 * The module's abort: logs the failure at CRITICAL through proxy_log and traps.
 * Selected at build time with `--use abort=~lib/create-istio-wasm/assembly/index/abortHandler`.
 */
export function abortHandler(message: string | null, fileName: string | null, line: u32, column: u32): void {
  // A static flag, not a global: abort can run before globals are initialised, and an abort
  // while reporting (e.g. out of memory) must not recurse.
  const aborting = memory.data(4);
  if (load<u32>(aborting) == 0) {
    store<u32>(aborting, 1);
    reportAbort(message, fileName, line, column);
  }
  unreachable();
}
