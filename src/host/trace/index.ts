/** What a plugin did, recorded by the host: one versioned format (docs/trace-format.md), bounded, secrets masked on the way out. */
export * from './format.js';
export { StreamTrace, type TracedMaps } from './stream-trace.js';
export { ExchangeRecorder } from './exchange-recorder.js';
export { TraceStore } from './store.js';
export { maskSecrets, isSecretHeader, maskValue } from './mask.js';
export { traceConfiguration, recordedConfigurationBytes, configurationText, maskConfiguration, isSecretConfigKey } from './configuration.js';
export { traceBody, traceBodyBytes, BodyCapture } from './body.js';
export { renderTrace, headerDiff, bodyText, type HeaderChange } from './render.js';
export { functionNames, wasmFrames, formatFrames } from './wasm-stack.js';
