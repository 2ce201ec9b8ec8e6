/**
 * The Proxy-Wasm host: runs any Proxy-Wasm plugin module on Node's V8 with Envoy's call order and
 * semantics. No CLI concerns: `istio-wasm serve` and `create-istio-wasm/testing` are built on it.
 */
export * from './constants.js';
export { GuestMemory, MemoryAccessError } from './memory.js';
export { HeaderMap, serializePairs, deserializePairs, HeaderMapFormatError, type HeaderPairs, type HeadersInit } from './header-map.js';
export { BodyBuffer } from './buffers.js';
export { MetricStore, toPrometheus, type Metric } from './metrics.js';
export { SharedData } from './shared-data.js';
export { SharedQueues } from './queues.js';
export { istioNodeProperties, mergeProperties, lookupProperty, encodeProperty, type PropertyTree, type PropertyValue } from './properties.js';
export { urlClusters, failedCall, failedGrpcCall, grpcServiceCluster, sendGrpc, openGrpcStream, type HttpCallDispatcher, type GrpcStreamRequest, type GrpcStreamSink, type GrpcStreamConnection, type HttpCallRequest, type HttpCallResponse, type GrpcCallRequest, type GrpcCallResponse } from './http-calls.js';
export { compilePluginModule, type PluginModule } from './module.js';
export { configurationBytes, istioPluginConfiguration } from './plugin-configuration.js';
export { envFunctionNames, wasiFunctions, emscriptenFunctions } from '../wasm/abi.js';
export { wasiModuleNames } from './wasi.js';
export { PluginVm, PluginTrap, type LogEntry } from './vm.js';
export { HttpStream, type StepOutcome, type StreamInfo } from './stream.js';
export type { LocalResponse } from './contexts.js';
export { Plugin, createHostEnvironment, logLevelName, type PluginOptions, type HostEnvironment } from './plugin.js';
export { Chain, localResponseMessage, type ChainOutcome, type DataOutcome, type MaybePromise } from './chain.js';
export { driveRequest, driveResponse, type RequestSide, type ResponseSide } from './drive.js';
export * from './trace/index.js';
