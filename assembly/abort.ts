// The abort handler. AssemblyScript calls `abort` on a failed runtime check (out-of-range index,
// missing Map key, out of memory, `throw`); by default it imports `env.abort`, which proxies do
// not provide, so the module would not load. Builds replace it with `abortHandler` (exported by
// the SDK's index, see asc-flags.json): it logs at CRITICAL through the host and traps, which
// Envoy reports as a failed callback (and applies the plugin's failStrategy).

import { proxy_log } from "./abi/imports";
import { LogLevel } from "./constants";

/** Decimal digits of n (kept here rather than u32.toString() to keep modules small). */
function decimal(n: u32): string {
  let text = "";
  do {
    text = String.fromCharCode(0x30 + <i32>(n % 10)) + text;
    n /= 10;
  } while (n != 0);
  return text;
}

export function reportAbort(message: string | null, fileName: string | null, line: u32, column: u32): void {
  let text = "wasm abort: " + (message !== null ? message : "");
  if (fileName !== null) text += " at " + fileName + ":" + decimal(line) + ":" + decimal(column);
  const bytes = String.UTF8.encode(text);
  proxy_log(<u32>LogLevel.Critical, changetype<usize>(bytes), <usize>bytes.byteLength);
}
