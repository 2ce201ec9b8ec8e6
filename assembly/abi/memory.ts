// Moving bytes across the ABI boundary.
//
// Data handed to the host is UTF-8 encoded into a fresh ArrayBuffer (kept alive by the caller
// for the duration of the call). Data the host hands back arrives in a buffer the host got from
// `proxy_on_memory_allocate`; it is copied into a managed object and the raw block is freed.
// Out-pointers live in a small static scratch area, zeroed before every call so that a host
// that writes nothing (NOT_FOUND, EMPTY) is never mistaken for one that returned data.

import { Status } from "../constants";

// @ts-ignore: decorator
@lazy const SCRATCH: usize = memory.data(32);

/** Out-pointer slots: a data pointer, a size, and a third word (CAS value, flags). */
// @ts-ignore: decorator
@inline export function outPtr(): usize { return SCRATCH; }
// @ts-ignore: decorator
@inline export function outSize(): usize { return SCRATCH + 8; }
// @ts-ignore: decorator
@inline export function outExtra(): usize { return SCRATCH + 16; }

/** Zeroes the out-pointer slots before a host call. */
export function clearOut(): void {
  memory.fill(SCRATCH, 0, 32);
}

/** The data pointer the host wrote. */
export function readOutPtr(): usize { return <usize>load<u32>(SCRATCH); }
/** The size the host wrote. */
export function readOutSize(): usize { return <usize>load<u32>(SCRATCH + 8); }
/** The third word the host wrote. */
export function readOutExtra(): u32 { return load<u32>(SCRATCH + 16); }
/** A u64 the host wrote at the data slot (time, metric values). */
export function readOutU64(): u64 { return load<u64>(SCRATCH); }

/** Frees a block the host obtained from `proxy_on_memory_allocate`. */
export function freeHostBlock(ptr: usize): void {
  if (ptr != 0) heap.free(ptr);
}

/** Takes the host-returned bytes (pointer and size in the out slots) as an ArrayBuffer. */
export function takeOutBytes(): ArrayBuffer {
  const ptr = readOutPtr();
  const size = readOutSize();
  const buf = new ArrayBuffer(<i32>size);
  if (size > 0 && ptr != 0) memory.copy(changetype<usize>(buf), ptr, size);
  freeHostBlock(ptr);
  return buf;
}

/** Takes the host-returned bytes (pointer and size in the out slots) as a UTF-8 string. */
export function takeOutString(): string {
  const ptr = readOutPtr();
  const size = readOutSize();
  const text = size > 0 && ptr != 0 ? String.UTF8.decodeUnsafe(ptr, size) : "";
  freeHostBlock(ptr);
  return text;
}

/** UTF-8 bytes of a string, to pass to the host as (pointer, byteLength). */
// @ts-ignore: decorator
@inline export function utf8(text: string): ArrayBuffer {
  return String.UTF8.encode(text);
}

// @ts-ignore: decorator
@inline export function ptrOf(buf: ArrayBuffer): usize {
  return changetype<usize>(buf);
}

// @ts-ignore: decorator
@inline export function lenOf(buf: ArrayBuffer): usize {
  return <usize>buf.byteLength;
}

let lastStatus: Status = Status.Ok;

/** Records the status of the latest host call made by an SDK function that returns a value. */
export function setLastStatus(status: u32): Status {
  lastStatus = <Status>status;
  return lastStatus;
}

/**
 * The status of the latest host call made by an SDK function that returns a value rather than a
 * Status (e.g. `dispatchHttpCall` returns a token; on failure it returns 0 and this says why).
 */
export function getLastStatus(): Status {
  return lastStatus;
}
