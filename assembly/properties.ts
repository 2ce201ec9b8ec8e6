// Properties (Envoy attributes): a path of segments joined by NUL, e.g. ["request", "path"],
// ["plugin_root_id"], ["node", "metadata", "NAME"]. Values are raw bytes; strings are UTF-8.

import { proxy_get_property, proxy_set_property } from "./abi/imports";
import {
  clearOut,
  freeHostBlock,
  lenOf,
  outPtr,
  outSize,
  ptrOf,
  readOutPtr,
  setLastStatus,
  takeOutBytes,
  utf8,
} from "./abi/memory";
import { Status } from "./constants";

/** The NUL-joined UTF-8 form of a property path. */
export function serializePropertyPath(path: string[]): ArrayBuffer {
  return utf8(path.join("\0"));
}

/** A property's raw value, or null when the host has none. */
export function getProperty(path: string[]): ArrayBuffer | null {
  const p = serializePropertyPath(path);
  clearOut();
  const status = setLastStatus(proxy_get_property(ptrOf(p), lenOf(p), outPtr(), outSize()));
  if (status != Status.Ok) {
    freeHostBlock(readOutPtr());
    return null;
  }
  return takeOutBytes();
}

/** A property as a UTF-8 string, or null when the host has none. */
export function getPropertyString(path: string[]): string | null {
  const raw = getProperty(path);
  return raw == null ? null : String.UTF8.decode(raw);
}

export function setProperty(path: string[], value: ArrayBuffer): Status {
  const p = serializePropertyPath(path);
  return <Status>proxy_set_property(ptrOf(p), lenOf(p), ptrOf(value), lenOf(value));
}

export function setPropertyString(path: string[], value: string): Status {
  return setProperty(path, utf8(value));
}
