import { Status } from './constants.js';

/**
 * Shared queues: registered by name within a vm_id, resolved by (vm_id, name) from any VM, and
 * `proxy_on_queue_ready` called on the registering root context after each enqueue.
 */
interface Queue {
  id: number;
  vmId: string;
  name: string;
  items: Uint8Array[];
  onReady: ((queueId: number) => void) | undefined;
}

export class SharedQueues {
  #byId = new Map<number, Queue>();
  #byName = new Map<string, Queue>();
  #nextId = 1;

  register(vmId: string, name: string, onReady: (queueId: number) => void): number {
    const key = `${vmId}\0${name}`;
    let q = this.#byName.get(key);
    if (!q) {
      q = { id: this.#nextId++, vmId, name, items: [], onReady };
      this.#byName.set(key, q);
      this.#byId.set(q.id, q);
    }
    q.onReady = onReady;
    return q.id;
  }

  resolve(vmId: string, name: string): number | undefined {
    return this.#byName.get(`${vmId}\0${name}`)?.id;
  }

  enqueue(id: number, value: Uint8Array): number {
    const q = this.#byId.get(id);
    if (!q) return Status.NOT_FOUND;
    q.items.push(value.slice());
    const notify = q.onReady;
    // Envoy posts the notification to the registering VM's thread: never re-entrant.
    if (notify) queueMicrotask(() => notify(id));
    return Status.OK;
  }

  dequeue(id: number): { status: number; value?: Uint8Array } {
    const q = this.#byId.get(id);
    if (!q) return { status: Status.NOT_FOUND };
    const value = q.items.shift();
    if (value === undefined) return { status: Status.EMPTY };
    return { status: Status.OK, value };
  }

  /** Forget a VM's notifications (its VM was replaced or stopped). */
  detach(onReady: (queueId: number) => void): void {
    for (const q of this.#byId.values()) if (q.onReady === onReady) q.onReady = undefined;
  }
}
