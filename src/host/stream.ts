import { Action, Status, StreamType, type FailStrategy } from './constants.js';
import { BodyBuffer } from './buffers.js';
import { HeaderMap } from './header-map.js';
import { lookupProperty, type PropertyTree } from './properties.js';
import { PluginTrap, type PluginVm } from './vm.js';
import type { LocalResponse, StreamContext } from './contexts.js';
import type { StreamTrace } from './trace/stream-trace.js';

/**
 * What a stream step asks of the proxy driving it:
 * - continue: pass the (possibly changed) headers/body on;
 * - buffer: body only — the plugin paused before end of stream; feed the next chunk, forward nothing;
 * - pause: wait for `resumed()` (the plugin will call proxy_continue_stream or reply locally);
 * - local: answer downstream with `response` instead of going on;
 * - closed: the plugin reset the stream (proxy_close_stream).
 */
export type StepOutcome =
  | { kind: 'continue' }
  | { kind: 'buffer' }
  | { kind: 'pause' }
  | { kind: 'local'; response: LocalResponse }
  | { kind: 'closed' };

/** Addresses and protocol of the downstream connection, for the source.* / destination.* properties. */
export interface StreamInfo {
  sourceAddress?: string;
  sourcePort?: number;
  destinationAddress?: string;
  destinationPort?: number;
  protocol?: string;
  requestId?: string;
}

type Side = 'request' | 'response';

const CONTINUE: StepOutcome = { kind: 'continue' };
const BUFFER: StepOutcome = { kind: 'buffer' };

/**
 * One HTTP stream through one plugin, with Envoy's semantics: a callback returning PAUSE stops the
 * stream until proxy_continue_stream (headers stop all iteration, so the driver sends no body until
 * resumed); a body callback returning PAUSE before end of stream buffers (StopIterationAndBuffer)
 * up to `bufferLimit` bytes, then fails with 413 (request) or 500 (response) like Envoy.
 * After `finish()` (done, log, delete) the host keeps nothing of the stream.
 */
export class HttpStream implements StreamContext {
  readonly id: number;
  requestHeaders: HeaderMap | undefined;
  requestTrailers: HeaderMap | undefined;
  responseHeaders: HeaderMap | undefined;
  responseTrailers: HeaderMap | undefined;
  readonly requestBody = new BodyBuffer();
  readonly responseBody = new BodyBuffer();
  localResponse: LocalResponse | undefined;
  closed = false;
  /** Why the plugin was bypassed or failed this stream, when it was. */
  failure: PluginTrap | undefined;
  /**
   * Where the plugin's callbacks and host calls for this stream are recorded (traced exchanges), until
   * the stream finishes.
   */
  get trace(): StreamTrace | undefined {
    return this.#trace;
  }

  #trace: StreamTrace | undefined;

  #vm: PluginVm | undefined;
  #mode: 'active' | 'bypass' | 'reject';
  #failStrategy: FailStrategy;
  #bufferLimit: number;
  #info: StreamInfo;
  #paused: Side | undefined;
  #resumeAsked: Side | undefined;
  #waiters: Array<(o: StepOutcome) => void> | undefined;
  #custom: Map<string, Uint8Array> | undefined;
  #finished = false;
  #localInStep = false;
  #onTrapHook: ((error: PluginTrap) => void) | undefined;
  #startedAt = Date.now();
  #bytesIn = 0;
  #bytesOut = 0;
  /** Which bodies the plugin can reach now (see liveBody). */
  #liveRequestBody = false;
  #liveResponseBody = false;

  constructor(options: {
    vm: PluginVm | undefined;
    mode: 'active' | 'bypass' | 'reject';
    failStrategy: FailStrategy;
    bufferLimit: number;
    info?: StreamInfo | undefined;
    /** Told when a callback of this stream traps (the plugin then fails as a whole). */
    onTrap?: (error: PluginTrap) => void;
    /** Records this stream (the VM must have been started with tracing on for host calls to show). */
    trace?: StreamTrace | undefined;
  }) {
    this.#trace = options.trace;
    options.trace?.attach(this);
    this.#onTrapHook = options.onTrap;
    this.#vm = options.vm;
    this.#mode = options.vm ? options.mode : options.mode === 'active' ? 'bypass' : options.mode;
    this.#failStrategy = options.failStrategy;
    this.#bufferLimit = options.bufferLimit;
    this.#info = options.info ?? {};
    if (this.#vm && this.#mode === 'active') {
      const vm = this.#vm;
      let id = 0;
      try {
        vm.createStream((newId) => {
          id = newId;
          return this;
        });
      } catch (error) {
        this.#onTrap(error);
      }
      this.id = id;
    } else {
      this.id = 0;
    }
  }

  /** True when the plugin no longer sees this stream (FAIL_OPEN after a failure, or a failed plugin). */
  get bypassed(): boolean {
    return this.#mode === 'bypass';
  }

  get paused(): Side | undefined {
    return this.#paused;
  }

  // ---- driving the stream ---------------------------------------------------------------------

  onRequestHeaders(headers: HeaderMap, endOfStream: boolean): StepOutcome {
    this.requestHeaders = headers;
    return this.#step('request', 'proxy_on_request_headers', headers.size, endOfStream ? 1 : 0);
  }

  onRequestBody(chunk: Uint8Array, endOfStream: boolean): StepOutcome {
    this.#bytesIn += chunk.byteLength;
    return this.#bodyStep('request', this.requestBody, chunk, endOfStream);
  }

  onRequestTrailers(trailers: HeaderMap): StepOutcome {
    this.requestTrailers = trailers;
    return this.#step('request', 'proxy_on_request_trailers', trailers.size, 0);
  }

  onResponseHeaders(headers: HeaderMap, endOfStream: boolean): StepOutcome {
    this.responseHeaders = headers;
    return this.#step('response', 'proxy_on_response_headers', headers.size, endOfStream ? 1 : 0);
  }

  onResponseBody(chunk: Uint8Array, endOfStream: boolean): StepOutcome {
    this.#bytesOut += chunk.byteLength;
    return this.#bodyStep('response', this.responseBody, chunk, endOfStream);
  }

  onResponseTrailers(trailers: HeaderMap): StepOutcome {
    this.responseTrailers = trailers;
    return this.#step('response', 'proxy_on_response_trailers', trailers.size, 0);
  }

  /** After `pause` (or a body `pause` at end of stream): resolves when the plugin lets go. */
  resumed(): Promise<StepOutcome> {
    if (this.closed) return Promise.resolve({ kind: 'closed' });
    if (this.#localInStep && this.localResponse) return Promise.resolve({ kind: 'local', response: this.localResponse });
    if (!this.#paused) return Promise.resolve(CONTINUE);
    return new Promise((resolve) => (this.#waiters ??= []).push(resolve));
  }

  /** proxy_on_done, proxy_on_log, proxy_on_delete; idempotent. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#settle({ kind: 'closed' });
    const vm = this.#vm;
    this.#vm = undefined;
    try {
      if (!vm || this.id === 0) return;
      if (this.#mode !== 'active') {
        vm.dropStream(this.id);
        return;
      }
      try {
        vm.finishStream(this.id);
      } catch (error) {
        this.#onTrap(error);
      }
    } finally {
      // The finished stream lets go of its trace (the trace store keeps it). A stream that outlives
      // its exchange unseen (promoted, then garbage in the old generation) would otherwise keep every
      // young object of the trace alive through each scavenge until the next full collection, and
      // copy them into the old generation too.
      this.#trace?.detach();
      this.#trace = undefined;
    }
  }

  // ---- StreamContext (called by host functions) --------------------------------------------------

  liveBody(side: Side): BodyBuffer | undefined {
    if (side === 'request') return this.#liveRequestBody ? this.requestBody : undefined;
    return this.#liveResponseBody ? this.responseBody : undefined;
  }

  resume(streamType: number): number {
    const side: Side = streamType === StreamType.HTTP_REQUEST ? 'request' : 'response';
    if (this.#paused === side) {
      this.#paused = undefined;
      this.#settle(CONTINUE);
    } else {
      this.#resumeAsked = side;
    }
    return Status.OK;
  }

  close(_streamType: number): number {
    this.closed = true;
    this.#paused = undefined;
    this.#settle({ kind: 'closed' });
    return Status.OK;
  }

  sendLocalResponse(response: LocalResponse): number {
    if (this.localResponse) return Status.BAD_ARGUMENT;
    this.localResponse = response;
    this.#localInStep = true;
    this.#paused = undefined;
    this.#settle({ kind: 'local', response });
    return Status.OK;
  }

  property(path: string[]): Uint8Array | undefined {
    const custom = this.#custom?.get(path.join('\0'));
    if (custom) return custom;
    return lookupProperty(path, [this.#properties()]);
  }

  setProperty(path: string[], value: Uint8Array): number {
    (this.#custom ??= new Map()).set(path.join('\0'), value.slice());
    return Status.OK;
  }

  vmFailed(): void {
    const trap = this.#vm?.failure;
    this.#onTrap(trap ?? new PluginTrap('plugin', new Error('the VM failed')));
  }

  // ---- internals ---------------------------------------------------------------------------------

  #step(side: Side, callback: string, a: number, b: number): StepOutcome {
    if (this.closed) return { kind: 'closed' };
    if (this.#mode === 'bypass') return this.#bypassed();
    if (this.#mode === 'reject') return this.#rejected();
    const vm = this.#vm;
    if (!vm) return CONTINUE;
    this.#resumeAsked = undefined;
    this.#localInStep = false;
    let action: number;
    try {
      action = vm.callStream(callback, this.id, a, b);
    } catch (error) {
      return this.#onTrap(error);
    }
    return this.#after(side, action);
  }

  #bodyStep(side: Side, buffer: BodyBuffer, chunk: Uint8Array, endOfStream: boolean): StepOutcome {
    buffer.append(chunk);
    if (this.closed) return { kind: 'closed' };
    if (this.#mode === 'bypass' || !this.#vm) return CONTINUE;
    if (this.#mode === 'reject') return this.#rejected();
    if (buffer.size > this.#bufferLimit) {
      // Envoy: "buffer limit exceeded" → 413 on the request path, 500 on the response path.
      buffer.clear();
      const status = side === 'request' ? 413 : 500;
      const text = side === 'request' ? 'Payload Too Large' : 'Internal Server Error';
      this.localResponse = { status, details: side === 'request' ? 'request_payload_too_large' : 'response_payload_too_large', headers: [['content-type', 'text/plain']], body: new TextEncoder().encode(text), grpcStatus: -1 };
      this.trace?.note(`the host answered ${status}: the ${side} body passed the buffer limit of ${this.#bufferLimit} bytes`);
      return { kind: 'local', response: this.localResponse };
    }
    this.#setLiveBody(side, true);
    const outcome = this.#step(side, side === 'request' ? 'proxy_on_request_body' : 'proxy_on_response_body', buffer.size, endOfStream ? 1 : 0);
    if (outcome.kind === 'pause' && !endOfStream) {
      this.#paused = undefined;
      return BUFFER;
    }
    // Envoy keeps the body reachable only while the plugin holds it (StopIterationAndBuffer).
    if (outcome.kind !== 'pause') this.#setLiveBody(side, false);
    return outcome;
  }

  #setLiveBody(side: Side, live: boolean): void {
    if (side === 'request') this.#liveRequestBody = live;
    else this.#liveResponseBody = live;
  }

  #after(side: Side, action: number): StepOutcome {
    if (this.closed) return { kind: 'closed' };
    if (this.#localInStep && this.localResponse) return { kind: 'local', response: this.localResponse };
    if (this.#mode === 'bypass') return CONTINUE;
    if (action === Action.PAUSE && this.#resumeAsked !== side) {
      this.#paused = side;
      return { kind: 'pause' };
    }
    this.#resumeAsked = undefined;
    return CONTINUE;
  }

  /** A trap while this stream runs: the fail strategy decides what the stream sees. */
  #onTrap(error: unknown): StepOutcome {
    this.failure = error instanceof PluginTrap ? error : new PluginTrap('callback', error);
    this.trace?.note(`plugin failed (${this.#failStrategy}): ${this.failure.message}`);
    if (this.#vm && this.id) this.#vm.dropStream(this.id);
    this.#vm = undefined;
    const hook = this.#onTrapHook;
    this.#onTrapHook = undefined;
    hook?.(this.failure);
    if (this.#failStrategy === 'FAIL_OPEN') {
      this.#mode = 'bypass';
      this.#paused = undefined;
      this.#settle(CONTINUE);
      return CONTINUE;
    }
    this.#mode = 'reject';
    const outcome = this.#rejected();
    this.#paused = undefined;
    this.#settle(outcome);
    return outcome;
  }

  #bypassed(): StepOutcome {
    if (this.trace && this.trace.noted === undefined) this.trace.note('bypassed: the plugin is failed (FAIL_OPEN)');
    return CONTINUE;
  }

  #rejected(): StepOutcome {
    if (!this.localResponse) this.trace?.note('the plugin is failed: the host answered 503 (wasm_fail_stream)');
    // Envoy fails a stream whose plugin is broken with 503 (response code details "wasm_fail_stream").
    this.localResponse ??= { status: 503, details: 'wasm_fail_stream', headers: [['content-type', 'text/plain']], body: new TextEncoder().encode('plugin failed\n'), grpcStatus: -1 };
    return { kind: 'local', response: this.localResponse };
  }

  #settle(outcome: StepOutcome): void {
    const waiters = this.#waiters;
    if (waiters === undefined || waiters.length === 0) return;
    this.#waiters = undefined;
    for (const w of waiters) w(outcome);
  }

  #properties(): PropertyTree {
    const req = this.requestHeaders;
    const res = this.responseHeaders;
    const path = req?.get(':path');
    const info = this.#info;
    return {
      request: {
        path,
        url_path: path?.split('?')[0],
        query: path && path.includes('?') ? path.slice(path.indexOf('?') + 1) : undefined,
        host: req?.get(':authority') ?? req?.get('host'),
        scheme: req?.get(':scheme') ?? 'http',
        method: req?.get(':method'),
        headers: req,
        referer: req?.get('referer'),
        useragent: req?.get('user-agent'),
        id: req?.get('x-request-id') ?? info.requestId,
        protocol: info.protocol ?? 'HTTP/1.1',
        time: () => BigInt(this.#startedAt) * 1_000_000n,
        duration: () => BigInt(Date.now() - this.#startedAt) * 1_000_000n,
        size: () => this.#bytesIn,
        total_size: () => this.#bytesIn,
      },
      response: {
        code: res?.get(':status') !== undefined ? Number(res.get(':status')) : this.localResponse?.status,
        code_details: this.localResponse?.details ?? (res ? 'via_upstream' : undefined),
        headers: res,
        trailers: this.responseTrailers,
        size: () => this.#bytesOut,
        total_size: () => this.#bytesOut,
        flags: 0,
      },
      source: { address: info.sourceAddress && `${info.sourceAddress}:${info.sourcePort ?? 0}`, port: info.sourcePort },
      destination: { address: info.destinationAddress && `${info.destinationAddress}:${info.destinationPort ?? 0}`, port: info.destinationPort },
      connection: { mtls: false, id: this.id },
    };
  }
}
