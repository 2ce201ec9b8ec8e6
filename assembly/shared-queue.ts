// Shared queues: a VM registers a queue by name, others resolve it by (vm_id, name) and enqueue;
// the registering root context gets `onQueueReady(queueId)` and dequeues.

import {
  proxy_dequeue_shared_queue,
  proxy_enqueue_shared_queue,
  proxy_register_shared_queue,
  proxy_resolve_shared_queue,
} from "./abi/imports";
import { clearOut, freeHostBlock, lenOf, outPtr, outSize, ptrOf, readOutPtr, setLastStatus, takeOutBytes, utf8 } from "./abi/memory";
import { Status } from "./constants";

/** Registers (or opens) the queue `name` of this VM; returns its id (check getLastStatus()). */
export function registerSharedQueue(name: string): u32 {
  const n = utf8(name);
  clearOut();
  const status = setLastStatus(proxy_register_shared_queue(ptrOf(n), lenOf(n), outPtr()));
  return status == Status.Ok ? load<u32>(outPtr()) : 0;
}

/** Finds the queue `name` registered by the VM `vmId`; returns its id (check getLastStatus()). */
export function resolveSharedQueue(vmId: string, name: string): u32 {
  const v = utf8(vmId);
  const n = utf8(name);
  clearOut();
  const status = setLastStatus(proxy_resolve_shared_queue(ptrOf(v), lenOf(v), ptrOf(n), lenOf(n), outPtr()));
  return status == Status.Ok ? load<u32>(outPtr()) : 0;
}

export function enqueueSharedQueue(queueId: u32, value: ArrayBuffer): Status {
  return <Status>proxy_enqueue_shared_queue(queueId, ptrOf(value), lenOf(value));
}

export function enqueueSharedQueueString(queueId: u32, value: string): Status {
  return enqueueSharedQueue(queueId, utf8(value));
}

/** The next item, or null when the queue is empty (Status.Empty) or unknown (see getLastStatus()). */
export function dequeueSharedQueue(queueId: u32): ArrayBuffer | null {
  clearOut();
  const status = setLastStatus(proxy_dequeue_shared_queue(queueId, outPtr(), outSize()));
  if (status != Status.Ok) {
    freeHostBlock(readOutPtr());
    return null;
  }
  return takeOutBytes();
}
