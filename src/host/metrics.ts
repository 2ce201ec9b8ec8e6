import { Status, type MetricKind } from './constants.js';

/** A plugin's metrics: counters, gauges and histograms by name, as Envoy's stats keep them. */
export interface Metric {
  id: number;
  name: string;
  kind: MetricKind;
  /** Counter or gauge value; for a histogram, the sum of recorded values. */
  value: bigint;
  /** Histogram only. */
  samples?: number[];
}

const kinds: readonly MetricKind[] = ['counter', 'gauge', 'histogram'];

export class MetricStore {
  #byId = new Map<number, Metric>();
  #byName = new Map<string, Metric>();
  #nextId = 1;

  define(type: number, name: string): { status: number; id?: number } {
    const kind = kinds[type];
    if (!kind || name.length === 0) return { status: Status.BAD_ARGUMENT };
    const key = `${kind}\0${name}`;
    const existing = this.#byName.get(key);
    if (existing) return { status: Status.OK, id: existing.id };
    // Ids carry their kind in the low bits, as Envoy's do, so they are distinct across kinds.
    const id = (this.#nextId++ << 2) | (type & 3);
    const metric: Metric = { id, name, kind, value: 0n, ...(kind === 'histogram' ? { samples: [] } : {}) };
    this.#byId.set(id, metric);
    this.#byName.set(key, metric);
    return { status: Status.OK, id };
  }

  increment(id: number, offset: bigint): number {
    const m = this.#byId.get(id);
    if (!m) return Status.NOT_FOUND;
    if (m.kind === 'histogram') return Status.BAD_ARGUMENT;
    if (m.kind === 'counter' && offset < 0n) return Status.BAD_ARGUMENT;
    m.value += offset;
    return Status.OK;
  }

  record(id: number, value: bigint): number {
    const m = this.#byId.get(id);
    if (!m) return Status.NOT_FOUND;
    if (m.kind === 'histogram') {
      m.samples?.push(Number(value));
      m.value += value;
    } else if (m.kind === 'gauge') {
      m.value = value;
    } else {
      // A counter only goes up: recording sets it when above, as Envoy's host does.
      if (value > m.value) m.value = value;
    }
    return Status.OK;
  }

  get(id: number): { status: number; value?: bigint } {
    const m = this.#byId.get(id);
    if (!m) return { status: Status.NOT_FOUND };
    if (m.kind === 'histogram') return { status: Status.BAD_ARGUMENT };
    return { status: Status.OK, value: m.value };
  }

  all(): Metric[] {
    return [...this.#byId.values()];
  }

  byName(name: string): Metric | undefined {
    for (const m of this.#byId.values()) if (m.name === name) return m;
    return undefined;
  }
}

/** Prometheus text exposition of some plugins' metrics (names sanitized, one TYPE line each). */
export function toPrometheus(metrics: Array<Metric & { plugin?: string }>): string {
  const lines: string[] = [];
  const seen = new Set<string>();
  const sanitize = (n: string) => n.replace(/[^a-zA-Z0-9_:]/g, '_').replace(/^([0-9])/, '_$1');
  for (const m of metrics) {
    const name = sanitize(m.name);
    const label = m.plugin ? `{plugin="${m.plugin.replace(/["\\\n]/g, '_')}"}` : '';
    if (!seen.has(name)) {
      seen.add(name);
      lines.push(`# TYPE ${name} ${m.kind === 'histogram' ? 'summary' : m.kind}`);
    }
    if (m.kind === 'histogram') {
      const samples = m.samples ?? [];
      lines.push(`${name}_sum${label} ${m.value}`);
      lines.push(`${name}_count${label} ${samples.length}`);
    } else {
      lines.push(`${name}${label} ${m.value}`);
    }
  }
  return lines.length ? `${lines.join('\n')}\n` : '';
}
