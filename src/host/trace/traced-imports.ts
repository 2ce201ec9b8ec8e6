import { deserializePairs } from '../header-map.js';
import type { GuestMemory } from '../memory.js';
import { grpcServiceCluster } from '../http-calls.js';
import { PREVIEW_LIMIT, type TraceHostCall } from './format.js';
import { traceBody } from './body.js';
import { hostCallNumber, type StreamTrace } from './stream-trace.js';

/** What the traced imports need of the VM: the trace of the callback running now, and guest memory. */
export interface TraceTarget {
  readonly traceSink: StreamTrace | undefined;
  readonly mem: GuestMemory;
}

const mapNames = ['request_headers', 'request_trailers', 'response_headers', 'response_trailers', 'grpc_receive_initial_metadata', 'grpc_receive_trailing_metadata', 'http_call_response_headers', 'http_call_response_trailers'];
const bufferNames = ['request_body', 'response_body', 'downstream_data', 'upstream_data', 'http_call_response_body', 'grpc_receive_buffer', 'vm_configuration', 'plugin_configuration', 'foreign_function_arguments'];
const logLevels = ['trace', 'debug', 'info', 'warn', 'error', 'critical'];
const streamNames = ['request', 'response', 'downstream', 'upstream'];

/** Builds the fields of one host call's event from its arguments and memory after the call. */
type Describe = (m: GuestMemory, status: number, ...args: number[]) => Omit<TraceHostCall, 'call' | 't'> | undefined;

// No closures in these helpers: they run for every traced host call.
const str = (m: GuestMemory, ptr: number | undefined, len: number | undefined): string => {
  try {
    return m.readString(ptr as number, len as number);
  } catch {
    return '';
  }
};
/** The cluster a gRPC call names (its serialized GrpcService), as the host resolves it. */
const grpcCluster = (m: GuestMemory, ptr: number | undefined, len: number | undefined): string => {
  try {
    return grpcServiceCluster(m.view(ptr as number, len as number));
  } catch {
    return '';
  }
};
/** A value the host handed over through (ptr_out, len_out). */
const out = (m: GuestMemory, ptrOut: number | undefined, lenOut: number | undefined): string | undefined => {
  try {
    return m.readString(m.u32(ptrOut as number), m.u32(lenOut as number));
  } catch {
    return undefined;
  }
};
const outBytes = (m: GuestMemory, ptrOut: number | undefined, lenOut: number | undefined) => {
  try {
    const len = m.u32(lenOut as number);
    return { size: len, preview: traceBody(m.view(m.u32(ptrOut as number), Math.min(len, PREVIEW_LIMIT)), PREVIEW_LIMIT, len) };
  } catch {
    return undefined;
  }
};
const bytesAt = (m: GuestMemory, ptr: number | undefined, len: number | undefined) => {
  try {
    return traceBody(m.view(ptr as number, Math.min(len as number, PREVIEW_LIMIT)), PREVIEW_LIMIT, len as number);
  } catch {
    return undefined;
  }
};
const pairsAt = (m: GuestMemory, ptr: number | undefined, len: number | undefined) => {
  try {
    return deserializePairs(m.view(ptr as number, len as number)).map(([k, v]): [string, string] => [k.toLowerCase(), v]);
  } catch {
    return undefined;
  }
};
const tokenAt = (m: GuestMemory, ptr: number | undefined): string | undefined => {
  try {
    return String(m.u32(ptr as number));
  } catch {
    return undefined;
  }
};
const mapName = (t: number | undefined) => mapNames[t as number] ?? `map ${t}`;
const bufferName = (t: number | undefined) => bufferNames[t as number] ?? `buffer ${t}`;

/** Host calls worth a trace event and what each records (time reads, log-level reads and the like are left out). */
const describers: Record<string, Describe> = {
  proxy_log: (m, _s, level, p, l) => ({ level: logLevels[level as number] ?? String(level), message: str(m, p, l) }),
  proxy_get_buffer_bytes: (m, s, type, start, max, po, lo) => ({ buffer: bufferName(type), start, max, ...(s === 0 ? outBytes(m, po, lo) : {}) }),
  proxy_set_buffer_bytes: (m, _s, type, start, length, p, l) => ({ buffer: bufferName(type), start, length, size: l, preview: bytesAt(m, p, l) }),
  proxy_get_header_map_pairs: (m, s, type, po, lo) => {
    if (s !== 0) return { map: mapName(type) };
    try {
      return { map: mapName(type), count: deserializePairs(m.view(m.u32(po as number), m.u32(lo as number))).length };
    } catch {
      return { map: mapName(type) };
    }
  },
  proxy_set_header_map_pairs: (m, _s, type, p, l) => ({ map: mapName(type), pairs: pairsAt(m, p, l) }),
  proxy_get_header_map_value: (m, s, type, kp, kl, po, lo) => ({ map: mapName(type), key: str(m, kp, kl).toLowerCase(), value: s === 0 ? (out(m, po, lo) ?? null) : null }),
  proxy_add_header_map_value: (m, _s, type, kp, kl, vp, vl) => ({ map: mapName(type), key: str(m, kp, kl).toLowerCase(), value: str(m, vp, vl) }),
  proxy_replace_header_map_value: (m, _s, type, kp, kl, vp, vl) => ({ map: mapName(type), key: str(m, kp, kl).toLowerCase(), value: str(m, vp, vl) }),
  proxy_remove_header_map_value: (m, _s, type, kp, kl) => ({ map: mapName(type), key: str(m, kp, kl).toLowerCase() }),
  proxy_continue_stream: (_m, _s, type) => ({ stream: streamNames[type as number] ?? type }),
  proxy_continue_request: () => ({}),
  proxy_continue_response: () => ({}),
  proxy_close_stream: (_m, _s, type) => ({ stream: streamNames[type as number] ?? type }),
  proxy_send_local_response: (m, _s, status, dp, dl, bp, bl, hp, hl, grpc) => ({ responseStatus: status, details: str(m, dp, dl), pairs: pairsAt(m, hp, hl), body: bytesAt(m, bp, bl), grpcStatus: grpc }),
  proxy_http_call: (m, s, up, ul, _2, _3, _4, bl, _6, _7, timeout, tokenOut) => ({ cluster: str(m, up, ul), bodySize: bl, timeoutMs: timeout, ...(s === 0 ? { token: tokenAt(m, tokenOut) } : {}) }),
  proxy_grpc_call: (m, _s, sp, sl, np, nl, mp, ml, _6, _7, _8, bl) => ({ cluster: grpcCluster(m, sp, sl), service: str(m, np, nl), method: str(m, mp, ml), messageSize: bl }),
  proxy_grpc_stream: (m, _s, sp, sl, np, nl, mp, ml) => ({ cluster: grpcCluster(m, sp, sl), service: str(m, np, nl), method: str(m, mp, ml) }),
  proxy_grpc_send: (m, _s, token, p, l, eos) => ({ token, size: l, preview: bytesAt(m, p, l), endOfStream: eos !== 0 }),
  proxy_grpc_cancel: (_m, _s, token) => ({ token }),
  proxy_grpc_close: (_m, _s, token) => ({ token }),
  proxy_set_shared_data: (m, _s, kp, kl, vp, vl, cas) => ({ key: str(m, kp, kl), size: vl, preview: bytesAt(m, vp, vl), cas }),
  proxy_get_shared_data: (m, s, kp, kl, po, lo) => ({ key: str(m, kp, kl), ...(s === 0 ? outBytes(m, po, lo) : {}) }),
  proxy_register_shared_queue: (m, _s, np, nl) => ({ name: str(m, np, nl) }),
  proxy_resolve_shared_queue: (m, _s, vp, vl, np, nl) => ({ vmId: str(m, vp, vl), name: str(m, np, nl) }),
  proxy_enqueue_shared_queue: (m, _s, id, p, l) => ({ queue: id, size: l, preview: bytesAt(m, p, l) }),
  proxy_dequeue_shared_queue: (m, s, id, po, lo) => ({ queue: id, ...(s === 0 ? outBytes(m, po, lo) : {}) }),
  proxy_define_metric: (m, _s, type, np, nl) => ({ kind: ['counter', 'gauge', 'histogram'][type as number] ?? type, name: str(m, np, nl) }),
  proxy_increment_metric: (_m, _s, id, offset) => ({ metric: id, offset: String(offset) }),
  proxy_record_metric: (_m, _s, id, value) => ({ metric: id, value: String(value) }),
  proxy_get_metric: (_m, _s, id) => ({ metric: id }),
  proxy_get_property: (m, s, pp, pl, po, lo) => {
    const path = str(m, pp, pl).replace(/\0$/, '').split('\0').join('.');
    if (s !== 0) return { path, value: null };
    const got = outBytes(m, po, lo);
    return { path, value: got?.preview.text ?? got?.preview.base64 ?? null };
  },
  proxy_set_property: (m, _s, pp, pl, vp, vl) => ({ path: str(m, pp, pl).replace(/\0$/, '').split('\0').join('.'), value: bytesAt(m, vp, vl)?.text ?? null }),
  proxy_set_effective_context: (_m, _s, id) => ({ contextId: id }),
  proxy_set_tick_period_milliseconds: (_m, _s, ms) => ({ ms }),
  proxy_clear_route_cache: () => ({}),
  proxy_done: () => ({}),
};

/**
 * The env imports with a recording layer: each host call worth tracing tells the trace of the running
 * callback what it was asked and what it answered. Only VMs that record get this layer, so serve
 * with --no-trace pays nothing for it.
 */
export function traceImports(fns: Record<string, (...args: never[]) => number>, target: TraceTarget): Record<string, (...args: never[]) => number> {
  const traced: Record<string, (...args: never[]) => number> = { ...fns };
  for (const [name, describe] of Object.entries(describers)) {
    const fn = fns[name] as ((...args: unknown[]) => number) | undefined;
    if (!fn) continue;
    const n = hostCallNumber(name);
    // Fixed arity (no rest/spread on the hot path); the longest host call takes 12 arguments.
    traced[name] = ((a: number, b: number, c: number, d: number, e: number, f: number, g: number, h: number, i: number, j: number, k: number, l: number) => {
      const sink = target.traceSink;
      if (sink === undefined) return fn(a, b, c, d, e, f, g, h, i, j, k, l);
      // The strings the host reads and hands over are remembered for the describer (no second decoding).
      const m = target.mem;
      m.remember(true);
      try {
        const status = fn(a, b, c, d, e, f, g, h, i, j, k, l);
        // The metric calls take i64 arguments (BigInt): they are recorded as they came.
        const fields = describe(m, status, a, b, c, d, e, f, g, h, i, j, k, l);
        // The sink of the callback that made the call (a host call can run other callbacks inside it).
        if (fields) sink.call(n, typeof status === 'number' ? status : 0, fields);
        return status;
      } finally {
        m.remember(false);
      }
    }) as (...args: never[]) => number;
  }
  return traced;
}
