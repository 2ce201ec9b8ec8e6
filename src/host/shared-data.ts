import { Status } from './constants.js';

/**
 * Key-value data shared by every VM with the same vm_id, with compare-and-swap as Envoy's host:
 * each write bumps the key's cas; a write whose cas is non-zero and differs fails with CAS_MISMATCH.
 */
export class SharedData {
  #vms = new Map<string, Map<string, { value: Uint8Array; cas: number }>>();
  #nextCas = 1;

  #table(vmId: string): Map<string, { value: Uint8Array; cas: number }> {
    let t = this.#vms.get(vmId);
    if (!t) {
      t = new Map();
      this.#vms.set(vmId, t);
    }
    return t;
  }

  get(vmId: string, key: string): { status: number; value?: Uint8Array; cas?: number } {
    const entry = this.#table(vmId).get(key);
    if (!entry) return { status: Status.NOT_FOUND };
    return { status: Status.OK, value: entry.value, cas: entry.cas };
  }

  set(vmId: string, key: string, value: Uint8Array, cas: number): number {
    const table = this.#table(vmId);
    const entry = table.get(key);
    if (cas !== 0 && entry && entry.cas !== cas) return Status.CAS_MISMATCH;
    if (cas !== 0 && !entry) return Status.CAS_MISMATCH;
    table.set(key, { value: value.slice(), cas: this.#nextCas++ });
    return Status.OK;
  }

  keys(vmId: string): string[] {
    return [...this.#table(vmId).keys()];
  }
}
