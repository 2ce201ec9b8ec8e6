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

/**
 * One callback as recorded: plain fields (times in whole microseconds, the two stream-callback
 * arguments without an array), turned into the format's TraceCallback when the trace is read.
 */
export class CallbackRecord {
  readonly callback: string;
  readonly contextId: number;
  readonly a: number;
  readonly b: number;
  /** The arguments when they are not the usual two (root-context callbacks). */
  readonly args: number[] | undefined;
  readonly us: number;
  durationUs = 0;
  memoryPages = 0;
  result: number | undefined = undefined;
  before: HeaderSnapshot | undefined = undefined;
  after: HeaderSnapshot | undefined = undefined;
  calls: HostCallRecord[] | undefined = undefined;
  trap: TraceTrap | undefined = undefined;

  constructor(callback: string, contextId: number, a: number, b: number, args: number[] | undefined, us: number) {
    this.callback = callback;
    this.contextId = contextId;
    this.a = a;
    this.b = b;
    this.args = args;
    this.us = us;
  }

  toTrace(): TraceCallback {
    const cb: TraceCallback = { callback: this.callback, contextId: this.contextId, args: this.args ?? [this.a, this.b], t: ms(this.us), ms: ms(this.durationUs), memoryPages: this.memoryPages, calls: this.calls ? this.calls.map((c) => c.event()) : [] };
    if (this.result !== undefined) cb.result = actionCallbacks.has(this.callback) ? (this.result === 1 ? 'pause' : this.result === 0 ? 'continue' : this.result) : this.result;
    if (this.before) cb.before = pairsOf(this.before);
    if (this.after) cb.after = pairsOf(this.after);
    if (this.trap) cb.trap = this.trap;
    return cb;
  }
}

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
  #current: CallbackRecord | undefined;
  #callbacks: CallbackRecord[] = [];
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

  /**
   * A callback starts; returns its record (or undefined past the limit) for exit(). `a` and `b` are its
   * arguments after the context id, or `args` when they are not two.
   */
  enter(callback: string, contextId: number, a: number, b: number, args?: number[]): CallbackRecord | undefined {
    if (!this.#count()) return undefined;
    // A callout's answer can still come after the stream ended: the next read must show it.
    this.#built = undefined;
    if (contextId !== 1 && this.#contextId === 0) this.#contextId = contextId;
    const cb = new CallbackRecord(callback, contextId, a, b, args, this.#us());
    const field = streamCallbacks[callback];
    if (field !== undefined && this.#maps) cb.before = this.#snapshots.take(this.#maps[field]);
    this.#callbacks.push(cb);
    this.#current = cb;
    return cb;
  }

  exit(cb: CallbackRecord | undefined, result: number | undefined, memoryBytes: number, error?: unknown): void {
    this.#current = undefined;
    if (!cb) return;
    cb.durationUs = this.#us() - cb.us;
    cb.memoryPages = memoryBytes / 65536;
    cb.result = result;
    if (cb.before !== undefined && this.#maps) {
      const map = this.#maps[streamCallbacks[cb.callback] as keyof Omit<TracedMaps, 'id'>];
      if (!sameHeaders(cb.before, map)) cb.after = this.#snapshots.take(map);
    }
    if (error !== undefined) {
      const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
      cb.trap = { callback: cb.callback, message: error instanceof Error ? error.message : String(error), stack: wasmFrames(cause, this.names, this.code) };
    }
  }

  /** A host call inside the current callback: its name, status (when not OK) and what it was about. */
  call(call: string, status: string | undefined, fields: object): void {
    const cb = this.#current;
    if (!cb || !this.#count()) return;
    const record = new HostCallRecord(call, this.#us(), status, fields);
    // A literal of one: most callbacks make one or two host calls (push on [] reserves 17 slots).
    if (cb.calls) cb.calls.push(record);
    else cb.calls = [record];
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

  /** The plugin's part of the exchange in the trace format: built once the stream is over, fresh before. */
  get plugin(): TracePlugin {
    if (this.#built) return this.#built;
    const p: TracePlugin = { name: this.name, rootId: this.rootId, ...(this.configuration ? { configuration: this.configuration } : {}), contextId: this.#contextId, callbacks: this.#callbacks.map((c) => c.toTrace()), callouts: this.#callouts ?? [] };
    if (this.#dropped > 0) p.dropped = this.#dropped;
    if (this.#note !== undefined) p.note = this.#note;
    if (this.#ended) this.#built = p;
    return p;
  }
}
