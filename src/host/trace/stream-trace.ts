import { performance } from 'node:perf_hooks';
import type { HeaderMap } from '../header-map.js';
import { EVENT_LIMIT, type TraceCallback, type TraceCallout, type TraceConfiguration, type TraceGrpcEvent, type TraceHostCall, type TracePlugin, type TraceTrap } from './format.js';
import { wasmFrames, type CodeMap } from './wasm-stack.js';
import { HeaderSnapshots, pairsOf, sameHeaders, type HeaderSnapshot } from './header-snapshot.js';

/** The maps of a stream a callback is about (implemented by HttpStream). */
export interface TracedMaps {
  readonly id: number;
  requestHeaders: HeaderMap | undefined;
  requestTrailers: HeaderMap | undefined;
  responseHeaders: HeaderMap | undefined;
  responseTrailers: HeaderMap | undefined;
}

const streamCallbacks: Record<string, keyof Omit<TracedMaps, 'id'>> = {
  proxy_on_request_headers: 'requestHeaders',
  proxy_on_request_trailers: 'requestTrailers',
  proxy_on_response_headers: 'responseHeaders',
  proxy_on_response_trailers: 'responseTrailers',
};
const actionCallbacks = new Set(['proxy_on_request_headers', 'proxy_on_request_body', 'proxy_on_request_trailers', 'proxy_on_response_headers', 'proxy_on_response_body', 'proxy_on_response_trailers']);


/** Milliseconds with microsecond precision, as the format writes times. */
const ms = (us: number) => us / 1000;

/**
 * A host call as recorded: what the describer read (the call's own fields) with the call's name, time
 * and status kept beside it, so the event object is made once with its final fields.
 */
class HostCallRecord {
  constructor(
    readonly call: string,
    readonly us: number,
    readonly status: string | undefined,
    readonly fields: object,
  ) {}

  event(): TraceHostCall {
    const e: TraceHostCall = { call: this.call, t: ms(this.us), ...this.fields };
    if (this.status !== undefined) e.status = this.status;
    return e;
  }
}

/** What a callback has beyond its numbers, made only when it has any. */
interface CallbackExtras {
  /** The arguments when they are not the usual two (root-context callbacks). */
  args?: number[] | undefined;
  before?: HeaderSnapshot | undefined;
  after?: HeaderSnapshot | undefined;
  calls?: HostCallRecord[] | undefined;
  trap?: TraceTrap | undefined;
  /** The callback returned nothing (it trapped). */
  noResult?: boolean;
}

/** Callback names by number (the log holds numbers only); a name not seen yet is added. */
const callbackNames: string[] = [];
const callbackNumbers = new Map<string, number>();
function callbackNumber(name: string): number {
  let n = callbackNumbers.get(name);
  if (n === undefined) {
    n = callbackNames.push(name) - 1;
    callbackNumbers.set(name, n);
  }
  return n;
}

// One callback in the log: STRIDE numbers at its offset, in this order.
const NAME = 0;
const CONTEXT = 1;
const A = 2;
const B = 3;
const START = 4;
const DURATION = 5;
const PAGES = 6;
const RESULT = 7;
/** Index of its CallbackExtras, -1 when it has none. */
const EXTRAS = 8;
const STRIDE = 9;
/** Room for seven callbacks from the start (an HTTP exchange's usual count), so the log grows rarely. */
const LOG_START = 7 * STRIDE;

/**
 * What one plugin did in one exchange, recorded as the host runs it: the host tells it each callback
 * (enter/exit), each host call, each callout and its answer. Kept as plain records while the exchange
 * runs (little to allocate, nothing for the garbage collector to trace); `plugin` turns them into the
 * trace format's TracePlugin when the trace is read. Bounded by EVENT_LIMIT.
 */
export class StreamTrace {
  readonly name: string;
  readonly rootId: string;
  /** The plugin configuration it ran with, when known. */
  readonly configuration: TraceConfiguration | undefined;
  /** performance.now() when the exchange started: event times are relative to it. */
  readonly origin: number;
  /** Function names of the module, for trap stacks (set by the VM). */
  names: Map<number, string> | undefined;
  /** Where each function's code lies (set by the VM), to name frames V8 gives by offset. */
  code: CodeMap | undefined;
  #contextId = 0;
  #maps: TracedMaps | undefined;
  /** Offset in the log of the callback running now, -1 between callbacks. */
  #current = -1;
  /**
   * The callbacks as numbers, STRIDE per callback: one array for the garbage collector to move
   * instead of an object per callback (most exchanges run seven, four of them lifecycle callbacks).
   */
  #log: number[] = new Array<number>(LOG_START);
  #logLength = 0;
  #extras: CallbackExtras[] | undefined;
  #events = 0;
  #dropped = 0;
  #note: string | undefined;
  #callouts: TraceCallout[] | undefined;
  #pending: Map<number, TraceCallout> | undefined;
  readonly #snapshots: HeaderSnapshots;
  #ended = false;
  #built: TracePlugin | undefined;

  /** `snapshots`: shared with the exchange's other traces, so an unchanged map is kept once. */
  constructor(name: string, rootId: string, origin = performance.now(), configuration?: TraceConfiguration, snapshots = new HeaderSnapshots()) {
    this.#snapshots = snapshots;
    this.name = name;
    this.rootId = rootId;
    this.origin = origin;
    this.configuration = configuration;
  }

  /** The stream whose maps the headers callbacks snapshot (HttpStream calls it as it is made). */
  attach(maps: TracedMaps): void {
    this.#maps = maps;
  }

  /** The stream is over: forget it (its maps are not kept alive by the trace). */
  detach(): void {
    if (this.#maps) this.#contextId = this.#maps.id;
    this.#maps = undefined;
    this.#ended = true;
  }

  /** Microseconds since the exchange started. */
  #us(): number {
    return Math.round((performance.now() - this.origin) * 1000);
  }

  /** Milliseconds since the exchange started (microsecond precision). */
  now(): number {
    return ms(this.#us());
  }

  #count(): boolean {
    if (this.#events < EVENT_LIMIT) {
      this.#events++;
      return true;
    }
    this.#dropped++;
    return false;
  }

  #extrasOf(at: number): CallbackExtras {
    const log = this.#log;
    const i = log[at + EXTRAS] as number;
    if (i >= 0) return (this.#extras as CallbackExtras[])[i] as CallbackExtras;
    const extras: CallbackExtras = {};
    log[at + EXTRAS] = (this.#extras ??= []).push(extras) - 1;
    return extras;
  }

  /**
   * A callback starts; returns its place in the log (or -1 past the limit) for exit(). `a` and `b` are
   * its arguments after the context id, or `args` when they are not two.
   */
  enter(callback: string, contextId: number, a: number, b: number, args?: number[]): number {
    if (!this.#count()) return -1;
    // A callout's answer can still come after the stream ended: the next read must show it.
    this.#built = undefined;
    if (contextId !== 1 && this.#contextId === 0) this.#contextId = contextId;
    const log = this.#log;
    const at = this.#logLength;
    this.#logLength = at + STRIDE;
    log[at + NAME] = callbackNumber(callback);
    log[at + CONTEXT] = contextId;
    log[at + A] = a;
    log[at + B] = b;
    log[at + START] = this.#us();
    log[at + DURATION] = 0;
    log[at + PAGES] = 0;
    log[at + RESULT] = 0;
    log[at + EXTRAS] = -1;
    if (args) this.#extrasOf(at).args = args;
    const field = streamCallbacks[callback];
    if (field !== undefined && this.#maps) this.#extrasOf(at).before = this.#snapshots.take(this.#maps[field]);
    this.#current = at;
    return at;
  }

  exit(at: number, result: number | undefined, memoryBytes: number, error?: unknown): void {
    this.#current = -1;
    if (at < 0) return;
    const log = this.#log;
    log[at + DURATION] = this.#us() - (log[at + START] as number);
    log[at + PAGES] = memoryBytes / 65536;
    if (result !== undefined) log[at + RESULT] = result;
    else this.#extrasOf(at).noResult = true;
    const extras = (log[at + EXTRAS] as number) >= 0 ? this.#extrasOf(at) : undefined;
    if (extras?.before !== undefined && this.#maps) {
      const name = callbackNames[log[at + NAME] as number] as string;
      const map = this.#maps[streamCallbacks[name] as keyof Omit<TracedMaps, 'id'>];
      if (!sameHeaders(extras.before, map)) extras.after = this.#snapshots.take(map);
    }
    if (error !== undefined) {
      const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
      const callback = callbackNames[log[at + NAME] as number] as string;
      this.#extrasOf(at).trap = { callback, message: error instanceof Error ? error.message : String(error), stack: wasmFrames(cause, this.names, this.code) };
    }
  }

  /** A host call inside the current callback: its name, status (when not OK) and what it was about. */
  call(call: string, status: string | undefined, fields: object): void {
    const at = this.#current;
    if (at < 0 || !this.#count()) return;
    const record = new HostCallRecord(call, this.#us(), status, fields);
    const extras = this.#extrasOf(at);
    // A literal of one: most callbacks make one or two host calls (push on [] reserves 17 slots).
    if (extras.calls) extras.calls.push(record);
    else extras.calls = [record];
  }

  /** The callback at `at` in the trace format. */
  #callback(at: number): TraceCallback {
    const log = this.#log;
    const name = callbackNames[log[at + NAME] as number] as string;
    const i = log[at + EXTRAS] as number;
    const extras = i >= 0 ? this.#extras?.[i] : undefined;
    const cb: TraceCallback = { callback: name, contextId: log[at + CONTEXT] as number, args: extras?.args ?? [log[at + A] as number, log[at + B] as number], t: ms(log[at + START] as number), ms: ms(log[at + DURATION] as number), memoryPages: log[at + PAGES] as number, calls: extras?.calls ? extras.calls.map((c) => c.event()) : [] };
    if (!extras?.noResult) {
      const result = log[at + RESULT] as number;
      cb.result = actionCallbacks.has(name) ? (result === 1 ? 'pause' : result === 0 ? 'continue' : result) : result;
    }
    if (extras?.before) cb.before = pairsOf(extras.before);
    if (extras?.after) cb.after = pairsOf(extras.after);
    if (extras?.trap) cb.trap = extras.trap;
    return cb;
  }

  callout(callout: TraceCallout): void {
    this.#built = undefined;
    (this.#callouts ??= []).push(callout);
    (this.#pending ??= new Map()).set(callout.token, callout);
  }

  /** Something the far end of a gRPC stream sent (counted against EVENT_LIMIT). */
  calloutEvent(token: number, event: Omit<TraceGrpcEvent, 't' | 'sent'>): void {
    const c = this.#pending?.get(token);
    if (!c || !this.#count()) return;
    (c.events ??= []).push({ t: this.now(), sent: c.sent ?? 0, ...event });
  }

  /** The plugin sent a message on a gRPC stream. */
  calloutSent(token: number): void {
    const c = this.#pending?.get(token);
    if (c) c.sent = (c.sent ?? 0) + 1;
  }

  calloutResponse(token: number, response: NonNullable<TraceCallout['response']>): void {
    const c = this.#pending?.get(token);
    if (!c) return;
    this.#pending?.delete(token);
    c.response = response;
  }

  note(text: string): void {
    this.#note = this.#note ? `${this.#note}; ${text}` : text;
    this.#built = undefined;
  }

  /** What the host noted instead of the plugin (bypassed, failed, buffer limit), if anything. */
  get noted(): string | undefined {
    return this.#note;
  }

  #callbackList(): TraceCallback[] {
    const out: TraceCallback[] = [];
    for (let at = 0; at < this.#logLength; at += STRIDE) out.push(this.#callback(at));
    return out;
  }

  /** The plugin's part of the exchange in the trace format: built once the stream is over, fresh before. */
  get plugin(): TracePlugin {
    if (this.#built) return this.#built;
    const p: TracePlugin = { name: this.name, rootId: this.rootId, ...(this.configuration ? { configuration: this.configuration } : {}), contextId: this.#contextId, callbacks: this.#callbackList(), callouts: this.#callouts ?? [] };
    if (this.#dropped > 0) p.dropped = this.#dropped;
    if (this.#note !== undefined) p.note = this.#note;
    if (this.#ended) this.#built = p;
    return p;
  }
}
