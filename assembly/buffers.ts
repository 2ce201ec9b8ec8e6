// Buffers: bodies, TCP data, HTTP call and gRPC responses, configurations, foreign function args.

import { proxy_get_buffer_bytes, proxy_get_buffer_status, proxy_set_buffer_bytes } from "./abi/imports";
import {
  clearOut,
  freeHostBlock,
  lenOf,
  outExtra,
  outPtr,
  outSize,
  ptrOf,
  readOutPtr,
  readOutSize,
  setLastStatus,
  takeOutBytes,
  takeOutString,
  utf8,
} from "./abi/memory";
import { BufferType, Status } from "./constants";

/** Up to `maxSize` bytes from `start` of a buffer, or null when the buffer is not available. */
export function getBufferBytes(buffer: BufferType, start: u32, maxSize: u32): ArrayBuffer | null {
  clearOut();
  const status = setLastStatus(proxy_get_buffer_bytes(<u32>buffer, start, maxSize, outPtr(), outSize()));
  if (status != Status.Ok) {
    freeHostBlock(readOutPtr());
    return null;
  }
  return takeOutBytes();
}

/** The same as a UTF-8 string ("" when not available). */
export function getBufferString(buffer: BufferType, start: u32, maxSize: u32): string {
  clearOut();
  const status = setLastStatus(proxy_get_buffer_bytes(<u32>buffer, start, maxSize, outPtr(), outSize()));
  if (status != Status.Ok) {
    freeHostBlock(readOutPtr());
    return "";
  }
  return takeOutString();
}

/**
 * Replaces `size` bytes at `start` with `value`: (0, 0) prepends, (start >= length) appends,
 * (0, u32.MAX_VALUE) replaces everything.
 */
export function setBufferBytes(buffer: BufferType, start: u32, size: u32, value: ArrayBuffer): Status {
  return <Status>proxy_set_buffer_bytes(<u32>buffer, start, size, ptrOf(value), lenOf(value));
}

export function setBufferString(buffer: BufferType, start: u32, size: u32, value: string): Status {
  return setBufferBytes(buffer, start, size, utf8(value));
}

/** The current size of a buffer (0 when not available). */
export function getBufferSize(buffer: BufferType): u32 {
  clearOut();
  const status = setLastStatus(proxy_get_buffer_status(<u32>buffer, outSize(), outExtra()));
  return status == Status.Ok ? <u32>readOutSize() : 0;
}
