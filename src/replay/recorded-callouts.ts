import { traceBodyBytes, type GrpcCallRequest, type GrpcCallResponse, type GrpcStreamConnection, type GrpcStreamRequest, type GrpcStreamSink, type HttpCallDispatcher, type HttpCallRequest, type HttpCallResponse, type TraceCallout, type TracePlugin } from '../host/index.js';

const calls = new Set(['proxy_http_call', 'proxy_grpc_call', 'proxy_grpc_stream']);

/** gRPC status UNAVAILABLE: what the plugin hears for a call the recording has no answer for (as for an unreachable cluster). */
const UNAVAILABLE = 14;
const noAnswer = 'replay: the recording has no answer for this call';

/** A callout as the differ and the report name it: kind, cluster and what was asked. */
export function calloutTarget(c: Pick<TraceCallout, 'kind' | 'cluster'> & { request: { headers: TraceCallout['request']['headers']; service?: string | undefined; method?: string | undefined } }): string {
  if (c.kind === 'http') {
    const h = (k: string) => c.request.headers.find(([n]) => n === k)?.[1] ?? '';
    return `http ${c.cluster} ${h(':method')} ${h(':path')}`;
  }
  return `${c.kind} ${c.cluster} ${c.request.service ?? ''}/${c.request.method ?? ''}`;
}

/** Resolves when the plugin cancels the call (a recorded call that was never answered stays unanswered). */
function never<T>(signal: AbortSignal, onAbort: T): Promise<T> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(onAbort), { once: true }));
}

/**
 * Answers a plugin's callouts from the recording of the exchange being replayed, with no network:
 * each call takes the next unused recorded callout of its kind to the same target (HTTP: the
 * cluster; gRPC: cluster, service and method), in order. A recorded failure fails again; a call the
 * recording never saw answered is never answered; a call the recording does not have at all fails as
 * an unreachable cluster would (HTTP: no headers; gRPC: UNAVAILABLE) and is listed in `unanswered`;
 * a cluster the host refused while recording (BAD_ARGUMENT: not a cluster it knew) is refused again.
 * gRPC streams replay what the far end sent, each event once the plugin has sent as many messages as
 * it had when the event arrived (or half-closed), then the recorded close.
 */
export class RecordedCallouts implements HttpCallDispatcher {
  #recorded: TraceCallout[] = [];
  #used = new Set<TraceCallout>();
  #refused = new Set<string>();
  /** Callouts the plugin made that the recording had no answer for (calloutTarget form). */
  unanswered: string[] = [];

  /** The plugin's part of the exchange about to be replayed: its callouts, and the calls the host refused. */
  reset(recorded: Pick<TracePlugin, 'callouts' | 'callbacks'> | undefined): void {
    this.#recorded = recorded?.callouts ?? [];
    this.#used.clear();
    this.unanswered = [];
    // A cluster the host did not know when recording (the call returned BAD_ARGUMENT) stays unknown.
    this.#refused.clear();
    for (const cb of recorded?.callbacks ?? []) {
      for (const c of cb.calls) if (calls.has(c.call) && c.status === 'BAD_ARGUMENT' && typeof c.cluster === 'string') this.#refused.add(c.cluster);
    }
  }

  /** Every cluster, except one the recording shows the host refused (and never called). */
  knows(cluster: string): boolean {
    return !this.#refused.has(cluster) || this.#recorded.some((c) => c.cluster === cluster);
  }

  #take(kind: TraceCallout['kind'], cluster: string, service?: string, method?: string): TraceCallout | undefined {
    const match = this.#recorded.find((c) => !this.#used.has(c) && c.kind === kind && c.cluster === cluster && (kind === 'http' || (c.request.service === service && c.request.method === method)));
    if (match) this.#used.add(match);
    return match;
  }

  dispatch(request: HttpCallRequest, signal: AbortSignal): Promise<HttpCallResponse> {
    const match = this.#take('http', request.cluster);
    if (!match) {
      this.unanswered.push(calloutTarget({ kind: 'http', cluster: request.cluster, request: { headers: request.headers } }));
      return Promise.resolve({ headers: [] });
    }
    const r = match.response;
    if (!r) return never(signal, { headers: [] });
    if (r.failed) return Promise.resolve({ headers: [] });
    return Promise.resolve({ headers: r.headers, body: traceBodyBytes(r.body), trailers: r.trailers ?? [] });
  }

  grpc(request: GrpcCallRequest, signal: AbortSignal): Promise<GrpcCallResponse> {
    const match = this.#take('grpc', request.cluster, request.service, request.method);
    if (!match) {
      this.unanswered.push(calloutTarget({ kind: 'grpc', cluster: request.cluster, request: { headers: request.initialMetadata, service: request.service, method: request.method } }));
      return Promise.resolve({ status: UNAVAILABLE, statusMessage: noAnswer });
    }
    const r = match.response;
    if (!r) return never(signal, { status: 1, statusMessage: 'cancelled' });
    const messages = (r.messages ?? [r.body]).map((b) => traceBodyBytes(b));
    return Promise.resolve({
      status: r.status ?? (r.failed ? UNAVAILABLE : 0),
      ...(r.statusMessage ? { statusMessage: r.statusMessage } : {}),
      initialMetadata: r.headers,
      messages,
      ...(r.trailers ? { trailingMetadata: r.trailers } : {}),
    });
  }

  grpcStream(request: GrpcStreamRequest, sink: GrpcStreamSink): GrpcStreamConnection {
    const match = this.#take('grpc-stream', request.cluster, request.service, request.method);
    if (!match) {
      this.unanswered.push(calloutTarget({ kind: 'grpc-stream', cluster: request.cluster, request: { headers: request.initialMetadata, service: request.service, method: request.method } }));
      queueMicrotask(() => sink.close(UNAVAILABLE, noAnswer));
      return { send: () => {}, close: () => {}, cancel: () => {} };
    }
    const events = match.events ?? [];
    let next = 0;
    let sent = 0;
    let halfClosed = false;
    let done = false;
    const pump = () => {
      while (!done && next < events.length) {
        const e = events[next] as (typeof events)[number];
        if (e.sent > sent && !halfClosed) return;
        next++;
        if (e.initialMetadata) sink.initialMetadata(e.initialMetadata);
        else if (e.message) sink.message(traceBodyBytes(e.message));
        else if (e.trailingMetadata) sink.trailingMetadata(e.trailingMetadata);
      }
      // Every recorded event delivered: the recorded close follows once the plugin sent what it had
      // sent in the recording (none when the stream was still open when the exchange ended).
      if (!done && next >= events.length && match.response && (sent >= (match.sent ?? 0) || halfClosed)) {
        done = true;
        sink.close(match.response.status ?? UNAVAILABLE, match.response.statusMessage);
      }
    };
    queueMicrotask(pump);
    return {
      send: (_message, endOfStream) => {
        sent++;
        if (endOfStream) halfClosed = true;
        queueMicrotask(pump);
      },
      close: () => {
        halfClosed = true;
        queueMicrotask(pump);
      },
      cancel: () => {
        done = true;
      },
    };
  }
}
