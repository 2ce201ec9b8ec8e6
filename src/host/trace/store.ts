import { createWriteStream, type WriteStream } from 'node:fs';
import { CliError, messageOf } from '../../errors.js';
import { ExchangeRecorder } from './exchange-recorder.js';
import { maskSecrets } from './mask.js';
import { summarize, type TraceConfiguration, type TraceExchange, type TraceSummary } from './format.js';

/**
 * Recorded exchanges as serve keeps them: the last `capacity` exchanges in a ring (memory stays flat however long serve runs),
 * listeners for the page's live stream, and optionally every exchange appended to a JSON Lines file.
 * What leaves the process (file, page) is masked unless secrets were asked for.
 */
export class TraceStore {
  readonly capacity: number;
  readonly secrets: boolean;
  /** Finished exchanges as recorded; each is turned into a TraceExchange only when read. */
  #ring: Array<ExchangeRecorder | undefined>;
  #next = 0;
  #count = 0;
  #listeners = new Set<(summary: TraceSummary) => void>();
  #file: WriteStream | undefined;
  #fileError: Error | undefined;

  constructor(options: { capacity?: number; secrets?: boolean } = {}) {
    this.capacity = options.capacity ?? 200;
    this.secrets = options.secrets ?? false;
    this.#ring = new Array(this.capacity);
  }

  /**
   * Appends every exchange to `file` as JSON Lines (created if missing). Fails early if it cannot be
   * opened. A write that fails later (disk full, …) ends the appending, not the recording: `onError`
   * hears it once, with what failed.
   */
  async appendTo(file: string, onError?: (message: string) => void): Promise<void> {
    const stream = createWriteStream(file, { flags: 'a' });
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (error) => reject(new CliError('TRACE_FILE', `cannot open --trace file ${file}: ${messageOf(error)}`, { hint: 'pass a writable path, e.g. --trace traces.jsonl' })));
    });
    stream.on('error', (error) => {
      if (this.#fileError) return;
      this.#fileError = error;
      onError?.(`cannot append to --trace file ${file}: ${messageOf(error)}; exchanges are no longer written to it (the page still shows them)`);
    });
    this.#file = stream;
  }

  get fileError(): Error | undefined {
    return this.#fileError;
  }

  /** A recorder for the next exchange through `plugins`; it lands here when finished. */
  begin(plugins: ReadonlyArray<{ name: string; rootId: string; traceConfiguration?: TraceConfiguration }>): ExchangeRecorder {
    // The same chain until serve reloads: its descriptions are made once and shared by every record.
    if (plugins !== this.#chain) {
      this.#chain = plugins;
      this.#described = plugins.map((p) => ({ name: p.name, rootId: p.rootId, configuration: p.traceConfiguration }));
    }
    return new ExchangeRecorder(++this.#nextId, this.#described, { onDone: this.#add });
  }

  #nextId = 0;
  #chain: ReadonlyArray<unknown> | undefined;
  #described: Array<{ name: string; rootId: string; configuration: TraceConfiguration | undefined }> = [];

  /** A finished exchange: kept raw; built now only when the file or a page wants it. */
  #add = (rec: ExchangeRecorder): void => {
    this.#count++;
    this.#ring[this.#next] = rec;
    this.#next = this.#next + 1 === this.capacity ? 0 : this.#next + 1;
    if (this.#file && !this.#fileError) this.#file.write(`${JSON.stringify(this.output(rec.trace))}\n`);
    if (this.#listeners.size > 0) {
      const summary = summarize(rec.trace);
      for (const l of this.#listeners) l(summary);
    }
  };

  /** The trace as it leaves the process (masked unless --trace-secrets). */
  output(trace: TraceExchange): TraceExchange {
    return this.secrets ? { ...trace, secrets: true } : maskSecrets(trace);
  }

  /** Exchanges kept, oldest first. */
  list(): TraceExchange[] {
    const out: TraceExchange[] = [];
    for (let i = 0; i < this.capacity; i++) {
      const rec = this.#ring[(this.#next + i) % this.capacity];
      if (rec) out.push(rec.trace);
    }
    return out;
  }

  get(id: number): TraceExchange | undefined {
    return this.#ring.find((rec) => rec?.id === id)?.trace;
  }

  /** Exchanges recorded since start (the ring keeps the last `capacity`). */
  get total(): number {
    return this.#count;
  }

  subscribe(listener: (summary: TraceSummary) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async close(): Promise<void> {
    this.#listeners.clear();
    const file = this.#file;
    this.#file = undefined;
    if (file) await new Promise<void>((resolve) => file.end(() => resolve()));
  }
}
