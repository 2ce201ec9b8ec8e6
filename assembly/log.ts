// Logging through the host (Envoy's log, component "wasm").

import { proxy_get_log_level, proxy_log } from "./abi/imports";
import { clearOut, lenOf, outPtr, ptrOf, setLastStatus, utf8 } from "./abi/memory";
import { LogLevel, Status } from "./constants";

/** Logs `message` at `level`. */
export function log(level: LogLevel, message: string): Status {
  const bytes = utf8(message);
  return <Status>proxy_log(<u32>level, ptrOf(bytes), lenOf(bytes));
}

export function logTrace(message: string): void { log(LogLevel.Trace, message); }
export function logDebug(message: string): void { log(LogLevel.Debug, message); }
export function logInfo(message: string): void { log(LogLevel.Info, message); }
export function logWarn(message: string): void { log(LogLevel.Warn, message); }
export function logError(message: string): void { log(LogLevel.Error, message); }
export function logCritical(message: string): void { log(LogLevel.Critical, message); }

/** The host's current log level (ABI 0.2.1); Trace when the host cannot tell. */
export function getLogLevel(): LogLevel {
  clearOut();
  const status = setLastStatus(proxy_get_log_level(outPtr()));
  return status == Status.Ok ? <LogLevel>load<u32>(outPtr()) : LogLevel.Trace;
}
