import { performance } from 'node:perf_hooks';
import type { HeaderMap } from '../header-map.js';
import { EVENT_LIMIT, type TraceCallback, type TraceCallout, type TraceConfiguration, type TraceGrpcEvent, type TraceHostCall, type TracePairs, type TracePlugin } from './format.js';
import { wasmFrames, type CodeMap } from './wasm-stack.js';

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

/** The map as it is now: a shallow copy (HeaderMap never changes a pair array in place). */
function snapshot(map: HeaderMap | undefined): TracePairs {
  return map ? map.pairs.slice() : [];
}

function samePairs(a: TracePairs, map: HeaderMap | undefined): boolean {
  const b = map?.pairs ?? [];
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as [string, string];
    const y = b[i] as [string, string];
    if (x !== y && (x[0] !== y[0] || x[1] !== y[1])) return false;
  }
  return true;
}

/**
 * What one plugin did in one exchange, recorded as the host runs it: the host tells it each callback
 * (enter/exit), each host call, each callout and its answer; it keeps them as the trace format's
 * TracePlugin (no conversion later). Bounded by EVENT_LIMIT.
 */
export class StreamTrace {
  readonly plugin: TracePlugin;
  /** performance.now() when the exchange started: event times are relative to it. */
  readonly origin: number;
  /** Function names of the module, for trap stacks (set by the VM). */
  names: Map<number, string> | undefined;
  /** Where each function's code lies (set by the VM), to name frames V8 gives by offset. */
  code: CodeMap | undefined;
  #maps: TracedMaps | undefined;
  #current: TraceCallback | undefined;
  #events = 0;
  #callouts: Map<number, TraceCallout> | undefined;

  constructor(name: string, rootId: string, origin = performance.now(), configuration?: TraceConfiguration) {
    this.plugin = configuration ? { name, rootId, configuration, contextId: 0, callbacks: [], callouts: [] } : { name, rootId, contextId: 0, callbacks: [], callouts: [] };
    this.origin = origin;
  }

  /** The stream whose maps the headers callbacks snapshot (HttpStream calls it as it is made). */
  attach(maps: TracedMaps): void {
    this.#maps = maps;
  }

  /** The stream is over: forget it (its maps are not kept alive by the trace). */
  detach(): void {
    if (this.#maps) this.plugin.contextId = this.#maps.id;
    this.#maps = undefined;
  }

  now(): number {
    return Math.round((performance.now() - this.origin) * 1000) / 1000;
  }

  #count(): boolean {
    if (this.#events < EVENT_LIMIT) {
      this.#events++;
      return true;
    }
    this.plugin.dropped = (this.plugin.dropped ?? 0) + 1;
    return false;
  }

  /** A callback starts; returns its record (or undefined past the limit) for exit(). */
  enter(callback: string, contextId: number, args: number[]): TraceCallback | undefined {
    if (!this.#count()) return undefined;
    const field = streamCallbacks[callback];
    if (contextId !== 1 && this.plugin.contextId === 0) this.plugin.contextId = contextId;
    const cb: TraceCallback = { callback, contextId, args, t: this.now(), ms: 0, memoryPages: 0, calls: [] };
    if (field && this.#maps) cb.before = snapshot(this.#maps[field]);
    this.plugin.callbacks.push(cb);
    this.#current = cb;
    return cb;
  }

  exit(cb: TraceCallback | undefined, result: number | undefined, memoryBytes: number, error?: unknown): void {
    this.#current = undefined;
    if (!cb) return;
    cb.ms = Math.round((this.now() - cb.t) * 1000) / 1000;
    cb.memoryPages = memoryBytes / 65536;
    if (result !== undefined) cb.result = actionCallbacks.has(cb.callback) ? (result === 1 ? 'pause' : result === 0 ? 'continue' : result) : result;
    const field = streamCallbacks[cb.callback];
    if (field && cb.before && this.#maps && !samePairs(cb.before, this.#maps[field])) cb.after = snapshot(this.#maps[field]);
    if (error !== undefined) {
      const cause = error instanceof Error && error.cause !== undefined ? error.cause : error;
      cb.trap = { callback: cb.callback, message: error instanceof Error ? error.message : String(error), stack: wasmFrames(cause, this.names, this.code) };
    }
  }

  /** A host call inside the current callback. */
  call(event: TraceHostCall): void {
    const cb = this.#current;
    if (!cb || !this.#count()) return;
    cb.calls.push(event);
  }

  callout(callout: TraceCallout): void {
    this.plugin.callouts.push(callout);
    (this.#callouts ??= new Map()).set(callout.token, callout);
  }

  /** Something the far end of a gRPC stream sent (counted against EVENT_LIMIT). */
  calloutEvent(token: number, event: Omit<TraceGrpcEvent, 't' | 'sent'>): void {
    const c = this.#callouts?.get(token);
    if (!c || !this.#count()) return;
    (c.events ??= []).push({ t: this.now(), sent: c.sent ?? 0, ...event });
  }

  /** The plugin sent a message on a gRPC stream. */
  calloutSent(token: number): void {
    const c = this.#callouts?.get(token);
    if (c) c.sent = (c.sent ?? 0) + 1;
  }

  calloutResponse(token: number, response: NonNullable<TraceCallout['response']>): void {
    const c = this.#callouts?.get(token);
    if (!c) return;
    this.#callouts?.delete(token);
    c.response = response;
  }

  note(text: string): void {
    this.plugin.note = this.plugin.note ? `${this.plugin.note}; ${text}` : text;
  }
}
