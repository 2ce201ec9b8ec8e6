// Key-value data shared by every VM of the same vm_id on a proxy, with compare-and-swap.

import { proxy_get_shared_data, proxy_set_shared_data } from "./abi/imports";
import {
  clearOut,
  freeHostBlock,
  lenOf,
  outExtra,
  outPtr,
  outSize,
  ptrOf,
  readOutExtra,
  readOutPtr,
  setLastStatus,
  takeOutBytes,
  utf8,
} from "./abi/memory";
import { Status } from "./constants";

/** What getSharedData found: the value (null when absent), its CAS token, the host's status. */
export class SharedData {
  constructor(public value: ArrayBuffer | null, public cas: u32, public status: Status) {}
  /** The value as a UTF-8 string, or null when absent. */
  valueString(): string | null {
    const v = this.value;
    return v !== null ? String.UTF8.decode(v) : null;
  }
}

export function getSharedData(key: string): SharedData {
  const k = utf8(key);
  clearOut();
  const status = setLastStatus(proxy_get_shared_data(ptrOf(k), lenOf(k), outPtr(), outSize(), outExtra()));
  if (status != Status.Ok) {
    freeHostBlock(readOutPtr());
    return new SharedData(null, 0, status);
  }
  const cas = readOutExtra();
  return new SharedData(takeOutBytes(), cas, status);
}

/**
 * Sets `key` to `value`. With `cas` != 0 the write happens only if the stored CAS token still
 * equals it (else Status.CasMismatch): read, compute, write with the read token, retry on mismatch.
 */
export function setSharedData(key: string, value: ArrayBuffer, cas: u32 = 0): Status {
  const k = utf8(key);
  return <Status>proxy_set_shared_data(ptrOf(k), lenOf(k), ptrOf(value), lenOf(value), cas);
}

export function setSharedDataString(key: string, value: string, cas: u32 = 0): Status {
  return setSharedData(key, utf8(value), cas);
}
