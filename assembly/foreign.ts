// Host-specific extensions ("foreign functions"), e.g. Envoy's `compress`, `declare_property`.

import { proxy_call_foreign_function } from "./abi/imports";
import { clearOut, freeHostBlock, lenOf, outPtr, outSize, ptrOf, readOutPtr, setLastStatus, takeOutBytes, utf8 } from "./abi/memory";
import { Status } from "./constants";

/** Calls the host function `name` with `args`; its result, or null on failure (see getLastStatus()). */
export function callForeignFunction(name: string, args: ArrayBuffer): ArrayBuffer | null {
  const n = utf8(name);
  clearOut();
  const status = setLastStatus(proxy_call_foreign_function(ptrOf(n), lenOf(n), ptrOf(args), lenOf(args), outPtr(), outSize()));
  if (status != Status.Ok) {
    freeHostBlock(readOutPtr());
    return null;
  }
  return takeOutBytes();
}
