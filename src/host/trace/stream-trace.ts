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


/** The ABI's WasmResult names, for host calls that did not answer OK. */
const statusNames: Record<number, string> = { 1: 'NOT_FOUND', 2: 'BAD_ARGUMENT', 3: 'SERIALIZATION_FAILURE', 4: 'PARSE_FAILURE', 6: 'INVALID_MEMORY_ACCESS', 7: 'EMPTY', 8: 'CAS_MISMATCH', 10: 'INTERNAL_FAILURE', 12: 'UNIMPLEMENTED' };

/** Milliseconds with microsecond precision, as the format writes times. */
const ms = (us: number) => us / 1000;

/** What a callback has beyond its numbers and header snapshots, made only when it has any (rare). */
interface CallbackExtras {
  /** The arguments when they are not the usual two (root-context callbacks). */
  args?: number[] | undefined;
  trap?: TraceTrap | undefined;
  /** The callback returned nothing (it trapped). */
  noResult?: boolean;
}

/**
 * Things known by name, numbered as first seen (the logs hold numbers only): `of` looks a name up
 * (making its entry the first time), `at` gives the entry of a number.
 */
class Numbered<T> {
  readonly #entries: T[] = [];
  readonly #byName = new Map<string, T>();
  readonly #make: (name: string, n: number) => T;

  constructor(make: (name: string, n: number) => T) {
    this.#make = make;
  }

  of(name: string): T {
    let entry = this.#byName.get(name);
    if (entry === undefined) {
      entry = this.#make(name, this.#entries.length);
      this.#entries.push(entry);
      this.#byName.set(name, entry);
    }
    return entry;
  }

  at(n: number): T {
    return this.#entries[n] as T;
  }
}

/** What the trace knows of a callback from its name, looked up once per callback (by number after). */
interface CallbackKind {
  readonly n: number;
  readonly name: string;
  /** The map a headers or trailers callback is about. */
  readonly field: keyof Omit<TracedMaps, 'id'> | undefined;
  /** It returns an action (continue, pause). */
  readonly action: boolean;
}
const callbackKinds = new Numbered<CallbackKind>((name, n) => ({ n, name, field: Object.hasOwn(streamCallbacks, name) ? streamCallbacks[name] : undefined, action: actionCallbacks.has(name) }));
const hostCallNames = new Numbered<{ readonly n: number; readonly name: string }>((name, n) => ({ n, name }));

/** The number StreamTrace.call takes for a host call's name (looked up once, where the call is wrapped). */
export function hostCallNumber(name: string): number {
  return hostCallNames.of(name).n;
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
/** Index in #objects of the header map's snapshot before the callback ran, -1 when none. */
const BEFORE = 8;
/** Index in #objects of the snapshot after, -1 when the map did not change. */
const AFTER = 9;
/** Index in #objects of its CallbackExtras, -1 when it has none. */
const EXTRAS = 10;
const STRIDE = 11;
/** Room for seven callbacks from the start (an HTTP exchange's usual count), so the log grows rarely. */
const LOG_START = 7 * STRIDE;

// One host call in the call log: CALL_STRIDE numbers, in this order; its fields are in #objects.
const CALL_AT = 0;
const CALL_NAME = 1;
const CALL_US = 2;
const CALL_STATUS = 3;
const CALL_FIELDS = 4;
const CALL_STRIDE = 5;

/**
 * What one plugin did in one exchange, recorded as the host runs it: the host tells it each callback
 * (enter/exit), each host call, each callout and its answer. Kept as numbers while the exchange runs
 * (one log of callbacks, one of host calls, and one list of the objects they point to: each host
 * call's fields, header snapshots), so a recorded exchange is a handful of objects for the garbage
 * collector to move; `plugin` turns them into the trace format's TracePlugin when the trace is read.
 * Bounded by EVENT_LIMIT.
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
  /** The callbacks as numbers, STRIDE per callback. */
  #log: number[] = new Array<number>(LOG_START);
  #logLength = 0;
  /** When the last callback ended (µs), -1 before any. */
  #lastEnd = -1;
  /** The host calls as numbers, CALL_STRIDE per call (made at the first call). */
  #calls: number[] | undefined;
  /** What the logs point to by index: host call fields, header snapshots, CallbackExtras. */
  #objects: unknown[] | undefined;
  #events = 0;
  #dropped = 0;
  #note: string | undefined;
  #callouts: TraceCallout[] | undefined;
  #pending: Map<number, TraceCallout> | undefined;
  #snapshots: HeaderSnapshots | undefined;
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
    this.#snapshots = undefined;
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

  /** Keeps `value` in #objects; returns its index. */
  #keep(value: unknown): number {
    return (this.#objects ??= []).push(value) - 1;
  }

  #object<T>(i: number): T | undefined {
    return i >= 0 ? (this.#objects?.[i] as T) : undefined;
  }

  #extrasOf(at: number): CallbackExtras {
    const i = this.#log[at + EXTRAS] as number;
    if (i >= 0) return this.#object<CallbackExtras>(i) as CallbackExtras;
    const extras: CallbackExtras = {};
    this.#log[at + EXTRAS] = this.#keep(extras);
    return extras;
  }

  /** The header map a headers or trailers callback is about (undefined for the others). */
  #mapOf(kind: CallbackKind): HeaderMap | undefined {
    const maps = this.#maps;
    return maps === undefined || kind.field === undefined ? undefined : maps[kind.field];
  }

  /**
   * A callback starts; returns its place in the log (or -1 past the limit) for exit(). `a` and `b` are
   * its arguments after the context id, or `args` when they are not two. `follows`: the host runs it
   * right after this trace's last callback ended, so it starts when that one ended (no clock read).
   */
  enter(callback: string, contextId: number, a: number, b: number, args?: number[], follows = false): number {
    if (!this.#count()) return -1;
    // A callout's answer can still come after the stream ended: the next read must show it.
    this.#built = undefined;
    if (contextId !== 1 && this.#contextId === 0) this.#contextId = contextId;
    const log = this.#log;
    const at = this.#logLength;
    this.#logLength = at + STRIDE;
    const kind = callbackKinds.of(callback);
    log[at + NAME] = kind.n;
    log[at + CONTEXT] = contextId;
    log[at + A] = a;
    log[at + B] = b;
    log[at + START] = follows && this.#lastEnd >= 0 ? this.#lastEnd : this.#us();
    log[at + DURATION] = 0;
    log[at + PAGES] = 0;
    log[at + RESULT] = 0;
    log[at + BEFORE] = -1;
    log[at + AFTER] = -1;
    log[at + EXTRAS] = -1;
    // The rarer parts in methods of their own: this one stays small enough to be inlined where it is called.
    if (args) this.#extrasOf(at).args = args;
    if (kind.field !== undefined) this.#before(at, kind.field);
    this.#current = at;
    return at;
  }

  /** A headers callback starts: the map as it is before. */
  #before(at: number, field: keyof Omit<TracedMaps, 'id'>): void {
    if (this.#maps && this.#snapshots) this.#log[at + BEFORE] = this.#keep(this.#snapshots.take(this.#maps[field]));
  }

  /** A callback returned `result`; guest memory is `memoryBytes` long. */
  exit(at: number, result: number, memoryBytes: number): void {
    if (this.#close(at, memoryBytes)) this.#log[at + RESULT] = result;
  }

  /** A callback trapped (it returned nothing): `error`, with the Wasm stack V8 gave. */
  trapped(at: number, memoryBytes: number, error: unknown): void {
    if (!this.#close(at, memoryBytes)) return;
    const extras = this.#extrasOf(at);
    extras.noResult = true;
    const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
    extras.trap = { callback: callbackKinds.at(this.#log[at + NAME] as number).name, message: error instanceof Error ? error.message : String(error), stack: wasmFrames(cause, this.names, this.code) };
  }

  /** The callback at `at` ended: its duration, memory and the map after it; false when it was not recorded. */
  #close(at: number, memoryBytes: number): boolean {
    this.#current = -1;
    if (at < 0) return false;
    const log = this.#log;
    const end = this.#us();
    this.#lastEnd = end;
    log[at + DURATION] = end - (log[at + START] as number);
    log[at + PAGES] = memoryBytes / 65536;
    if ((log[at + BEFORE] as number) >= 0) this.#after(at);
    return true;
  }

  /** A headers callback ended: the map after it, when the callback changed it. */
  #after(at: number): void {
    const before = this.#object<HeaderSnapshot>(this.#log[at + BEFORE] as number);
    if (before === undefined || !this.#snapshots) return;
    const map = this.#mapOf(callbackKinds.at(this.#log[at + NAME] as number));
    if (!sameHeaders(before, map)) this.#log[at + AFTER] = this.#keep(this.#snapshots.take(map));
  }

  /**
   * A host call inside the current callback: its number (hostCallNumber), status (0 when OK, else the
   * ABI's WasmResult) and what it was about.
   */
  call(call: number, status: number, fields: object): void {
    const at = this.#current;
    if (at < 0 || !this.#count()) return;
    const calls = (this.#calls ??= []);
    calls.push(at, call, this.#us(), status, this.#keep(fields));
  }

  /** The callbacks in the trace format, each with its host calls. */
  #callbackList(): TraceCallback[] {
    const log = this.#log;
    const calls = this.#calls ?? [];
    const byCallback = new Map<number, TraceHostCall[]>();
    for (let c = 0; c < calls.length; c += CALL_STRIDE) {
      const at = calls[c + CALL_AT] as number;
      const list = byCallback.get(at);
      if (list) list.push(this.#hostCall(calls, c));
      else byCallback.set(at, [this.#hostCall(calls, c)]);
    }
    const out: TraceCallback[] = [];
    for (let at = 0; at < this.#logLength; at += STRIDE) {
      const events = byCallback.get(at) ?? [];
      const kind = callbackKinds.at(log[at + NAME] as number);
      const name = kind.name;
      const extras = this.#object<CallbackExtras>(log[at + EXTRAS] as number);
      const cb: TraceCallback = { callback: name, contextId: log[at + CONTEXT] as number, args: extras?.args ?? [log[at + A] as number, log[at + B] as number], t: ms(log[at + START] as number), ms: ms(log[at + DURATION] as number), memoryPages: log[at + PAGES] as number, calls: events };
      if (!extras?.noResult) {
        const result = log[at + RESULT] as number;
        cb.result = kind.action ? (result === 1 ? 'pause' : result === 0 ? 'continue' : result) : result;
      }
      const before = this.#object<HeaderSnapshot>(log[at + BEFORE] as number);
      if (before) cb.before = pairsOf(before);
      const after = this.#object<HeaderSnapshot>(log[at + AFTER] as number);
      if (after) cb.after = pairsOf(after);
      if (extras?.trap) cb.trap = extras.trap;
      out.push(cb);
    }
    return out;
  }

  #hostCall(calls: number[], c: number): TraceHostCall {
    const status = calls[c + CALL_STATUS] as number;
    const e: TraceHostCall = { call: hostCallNames.at(calls[c + CALL_NAME] as number).name, t: ms(calls[c + CALL_US] as number), ...this.#object<object>(calls[c + CALL_FIELDS] as number) };
    if (status !== 0) e.status = statusNames[status] ?? String(status);
    return e;
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
    const p: TracePlugin = { name: this.name, rootId: this.rootId, ...(this.configuration ? { configuration: this.configuration } : {}), contextId: this.#contextId, callbacks: this.#callbackList(), callouts: this.#callouts ?? [] };
    if (this.#dropped > 0) p.dropped = this.#dropped;
    if (this.#note !== undefined) p.note = this.#note;
    if (this.#ended) this.#built = p;
    return p;
  }
}
