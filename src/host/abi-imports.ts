import { BufferType, MapType, Status, StreamType } from './constants.js';
import { HeaderMap, HeaderMapFormatError, deserializePairs, serializePairs, type HeaderPairs } from './header-map.js';
import { MemoryAccessError, type GuestMemory } from './memory.js';
import type { MetricStore } from './metrics.js';
import type { SharedData } from './shared-data.js';
import type { SharedQueues } from './queues.js';
import type { CallResponseView, StreamContext } from './contexts.js';
import type { BodyBuffer } from './buffers.js';

/** What the host functions need from the VM they are bound to (implemented by PluginVm). */
export interface AbiHost {
  readonly mem: GuestMemory;
  readonly vmId: string;
  logLevel: number;
  log(level: number, message: string): void;
  now(): bigint;
  /** The stream the effective context belongs to; undefined for the root context. */
  effectiveStream(): StreamContext | undefined;
  setEffectiveContext(id: number): number;
  readonly vmConfiguration: Uint8Array;
  readonly pluginConfiguration: Uint8Array;
  /** Set while proxy_on_http_call_response runs. */
  callResponse: CallResponseView | undefined;
  /** Set while the proxy_on_grpc_* callbacks of a call run. */
  grpcView: { initialMetadata?: HeaderMap; trailingMetadata?: HeaderMap; message?: Uint8Array } | undefined;
  grpcCall(serviceBytes: Uint8Array, service: string, method: string, metadata: HeaderPairs, message: Uint8Array, timeoutMs: number): { status: number; token?: number };
  grpcCancel(token: number): number;
  grpcClose(token: number): number;
  grpcStream(serviceBytes: Uint8Array, service: string, method: string, metadata: HeaderPairs): { status: number; token?: number };
  grpcSend(token: number, message: Uint8Array, endOfStream: boolean): number;
  setTickPeriod(ms: number): void;
  httpCall(cluster: string, headers: HeaderPairs, body: Uint8Array, trailers: HeaderPairs, timeoutMs: number): { status: number; token?: number };
  readonly metrics: MetricStore;
  readonly sharedData: SharedData;
  readonly queues: SharedQueues;
  onQueueReady(queueId: number): void;
  /** Property lookup with the plugin-level tree behind the effective stream's. */
  getProperty(path: string[]): Uint8Array | undefined;
  setProperty(path: string[], value: Uint8Array): number;
  /** Last gRPC/HTTP-call status for proxy_get_status. */
  lastStatus: { code: number; message: string };
  done(): number;
}


const encoder = new TextEncoder();
const noBody = new Uint8Array(0);

/**
 * Runs a host function; bad pointers and malformed maps become ABI statuses, never a host crash.
 * Fixed arity (no rest/spread): this wrapper sits on every host call.
 */
type HostFn = (a: never, b: never, c: never, d: never, e: never, f: never, g: never, h: never, i: never, j: never, k: never, l: never) => number;
function guarded<F extends (...args: never[]) => number>(fn: F): F {
  const f = fn as unknown as HostFn;
  const wrapped = (a: never, b: never, c: never, d: never, e: never, g: never, h: never, i: never, j: never, k: never, l: never, m: never): number => {
    try {
      return f(a, b, c, d, e, g, h, i, j, k, l, m);
    } catch (error) {
      if (error instanceof MemoryAccessError) return Status.INVALID_MEMORY_ACCESS;
      if (error instanceof HeaderMapFormatError) return Status.BAD_ARGUMENT;
      throw error;
    }
  };
  return wrapped as unknown as F;
}

export function envImports(host: AbiHost): Record<string, (...args: never[]) => number> {
  const mem = () => host.mem;
  const str = (ptr: number, len: number) => host.mem.readString(ptr, len);

  const headerMap = (type: number): HeaderMap | undefined => {
    if (type === MapType.HTTP_CALL_RESPONSE_HEADERS) return host.callResponse?.headers;
    if (type === MapType.HTTP_CALL_RESPONSE_TRAILERS) return host.callResponse?.trailers;
    if (type === MapType.GRPC_RECEIVE_INITIAL_METADATA) return host.grpcView?.initialMetadata;
    if (type === MapType.GRPC_RECEIVE_TRAILING_METADATA) return host.grpcView?.trailingMetadata;
    const s = host.effectiveStream();
    if (!s) return undefined;
    switch (type) {
      case MapType.HTTP_REQUEST_HEADERS:
        return s.requestHeaders;
      case MapType.HTTP_REQUEST_TRAILERS:
        // Envoy lets a plugin add trailers only at the end of the body; reading absent ones is an empty map.
        return (s.requestTrailers ??= new HeaderMap());
      case MapType.HTTP_RESPONSE_HEADERS:
        return s.responseHeaders;
      case MapType.HTTP_RESPONSE_TRAILERS:
        return (s.responseTrailers ??= new HeaderMap());
      default:
        return undefined;
    }
  };
  const mapStatus = (type: number) => (type < 0 || type > 7 ? Status.BAD_ARGUMENT : Status.NOT_FOUND);

  // A stream's body outside its body callbacks is Envoy's empty buffer: reads give nothing (OK),
  // writes are BAD_ARGUMENT (read-only below), so a plugin cannot grow a body whose length went on.
  const body = (side: 'request' | 'response'): BodyBuffer | Uint8Array | undefined => {
    const s = host.effectiveStream();
    return s ? (s.liveBody(side) ?? noBody) : undefined;
  };
  const buffer = (type: number): BodyBuffer | Uint8Array | undefined => {
    switch (type) {
      case BufferType.HTTP_REQUEST_BODY:
        return body('request');
      case BufferType.HTTP_RESPONSE_BODY:
        return body('response');
      case BufferType.HTTP_CALL_RESPONSE_BODY:
        return host.callResponse?.body;
      case BufferType.GRPC_RECEIVE_BUFFER:
        return host.grpcView?.message;
      case BufferType.VM_CONFIGURATION:
        return host.vmConfiguration;
      case BufferType.PLUGIN_CONFIGURATION:
        return host.pluginConfiguration;
      default:
        return undefined;
    }
  };

  const fns = {
    proxy_log: guarded((level: number, ptr: number, len: number) => {
      if (level < 0 || level > 5) return Status.BAD_ARGUMENT;
      const message = str(ptr, len);
      if (level >= host.logLevel) host.log(level, message);
      return Status.OK;
    }),
    proxy_get_log_level: guarded((out: number) => {
      mem().setU32(out, host.logLevel);
      return Status.OK;
    }),
    proxy_get_current_time_nanoseconds: guarded((out: number) => {
      mem().setU64(out, host.now());
      return Status.OK;
    }),
    proxy_set_tick_period_milliseconds: guarded((ms: number) => {
      host.setTickPeriod(ms >>> 0);
      return Status.OK;
    }),
    proxy_get_configuration: guarded((ptrOut: number, lenOut: number) => {
      mem().handOver(host.pluginConfiguration, ptrOut, lenOut);
      return Status.OK;
    }),
    proxy_get_buffer_bytes: guarded((type: number, start: number, max: number, ptrOut: number, lenOut: number) => {
      const b = buffer(type);
      if (b === undefined) return type > 8 || type < 0 ? Status.BAD_ARGUMENT : Status.NOT_FOUND;
      const s = start >>> 0;
      const m = max >>> 0;
      const data = b instanceof Uint8Array ? b.subarray(Math.min(s, b.byteLength), Math.min(b.byteLength, s + m)) : b.slice(s, m);
      mem().handOver(data, ptrOut, lenOut);
      return Status.OK;
    }),
    proxy_get_buffer_status: guarded((type: number, sizeOut: number, flagsOut: number) => {
      const b = buffer(type);
      if (b === undefined) return type > 8 || type < 0 ? Status.BAD_ARGUMENT : Status.NOT_FOUND;
      mem().setU32(sizeOut, b instanceof Uint8Array ? b.byteLength : b.size);
      mem().setU32(flagsOut, 0);
      return Status.OK;
    }),
    proxy_set_buffer_bytes: guarded((type: number, start: number, length: number, ptr: number, len: number) => {
      const b = buffer(type);
      if (b === undefined) return type > 8 || type < 0 ? Status.BAD_ARGUMENT : Status.NOT_FOUND;
      if (b instanceof Uint8Array) return Status.BAD_ARGUMENT; // configuration, or no body at this point: read-only
      const data = mem().read(ptr, len);
      return b.set(start >>> 0, length >>> 0, data) ? Status.OK : Status.BAD_ARGUMENT;
    }),
    proxy_get_header_map_size: guarded((type: number, out: number) => {
      const map = headerMap(type);
      if (!map) return mapStatus(type);
      mem().setU32(out, serializePairs(map.pairs).byteLength);
      return Status.OK;
    }),
    proxy_get_header_map_pairs: guarded((type: number, ptrOut: number, lenOut: number) => {
      const map = headerMap(type);
      if (!map) return mapStatus(type);
      mem().handOver(serializePairs(map.pairs), ptrOut, lenOut);
      return Status.OK;
    }),
    proxy_set_header_map_pairs: guarded((type: number, ptr: number, len: number) => {
      const map = headerMap(type);
      if (!map) return mapStatus(type);
      const pairs = deserializePairs(mem().view(ptr, len));
      map.pairs = pairs.map(([k, v]) => [k.toLowerCase(), v]);
      return Status.OK;
    }),
    proxy_get_header_map_value: guarded((type: number, kPtr: number, kLen: number, ptrOut: number, lenOut: number) => {
      const map = headerMap(type);
      if (!map) return mapStatus(type);
      // Envoy answers the first value of a repeated header (Context::getHeaderMapValue: entry[0]).
      const value = map.get(str(kPtr, kLen));
      if (value === undefined) return Status.NOT_FOUND;
      mem().handOverString(value, ptrOut, lenOut);
      return Status.OK;
    }),
    proxy_add_header_map_value: guarded((type: number, kPtr: number, kLen: number, vPtr: number, vLen: number) => {
      const map = headerMap(type);
      if (!map) return mapStatus(type);
      map.add(str(kPtr, kLen), str(vPtr, vLen));
      return Status.OK;
    }),
    proxy_replace_header_map_value: guarded((type: number, kPtr: number, kLen: number, vPtr: number, vLen: number) => {
      const map = headerMap(type);
      if (!map) return mapStatus(type);
      map.replace(str(kPtr, kLen), str(vPtr, vLen));
      return Status.OK;
    }),
    proxy_remove_header_map_value: guarded((type: number, kPtr: number, kLen: number) => {
      const map = headerMap(type);
      if (!map) return mapStatus(type);
      map.remove(str(kPtr, kLen));
      return Status.OK;
    }),
    proxy_continue_stream: guarded((type: number) => {
      const s = host.effectiveStream();
      if (!s) return Status.NOT_FOUND;
      if (type !== StreamType.HTTP_REQUEST && type !== StreamType.HTTP_RESPONSE) return Status.BAD_ARGUMENT;
      return s.resume(type);
    }),
    proxy_continue_request: guarded(() => host.effectiveStream()?.resume(StreamType.HTTP_REQUEST) ?? Status.NOT_FOUND),
    proxy_continue_response: guarded(() => host.effectiveStream()?.resume(StreamType.HTTP_RESPONSE) ?? Status.NOT_FOUND),
    proxy_close_stream: guarded((type: number) => {
      const s = host.effectiveStream();
      if (!s) return Status.NOT_FOUND;
      return s.close(type);
    }),
    proxy_clear_route_cache: guarded(() => Status.OK),
    proxy_get_status: guarded((codeOut: number, ptrOut: number, lenOut: number) => {
      mem().setU32(codeOut, host.lastStatus.code);
      mem().handOver(encoder.encode(host.lastStatus.message), ptrOut, lenOut);
      return Status.OK;
    }),
    proxy_send_local_response: guarded(
      (status: number, dPtr: number, dLen: number, bPtr: number, bLen: number, hPtr: number, hLen: number, grpcStatus: number) => {
        const s = host.effectiveStream();
        if (!s) return Status.NOT_FOUND;
        const headers = deserializePairs(mem().view(hPtr, hLen));
        return s.sendLocalResponse({
          status: status >>> 0,
          details: str(dPtr, dLen),
          body: mem().read(bPtr, bLen),
          headers: headers.map(([k, v]) => [k.toLowerCase(), v]),
          grpcStatus,
        });
      },
    ),
    proxy_http_call: guarded(
      (uPtr: number, uLen: number, hPtr: number, hLen: number, bPtr: number, bLen: number, tPtr: number, tLen: number, timeout: number, tokenOut: number) => {
        const cluster = str(uPtr, uLen);
        const headers = deserializePairs(mem().view(hPtr, hLen));
        const body = mem().read(bPtr, bLen);
        const trailers = deserializePairs(mem().view(tPtr, tLen));
        mem().setU32(tokenOut, 0); // check the out-pointer before dispatching anything
        const { status, token } = host.httpCall(cluster, headers, body, trailers, timeout >>> 0);
        if (status === Status.OK && token !== undefined) mem().setU32(tokenOut, token);
        return status;
      },
    ),
    proxy_grpc_call: guarded(
      (sPtr: number, sLen: number, nPtr: number, nLen: number, mPtr: number, mLen: number, hPtr: number, hLen: number, bPtr: number, bLen: number, timeout: number, tokenOut: number) => {
        const serviceBytes = mem().read(sPtr, sLen);
        const metadata = deserializePairs(mem().view(hPtr, hLen));
        const message = mem().read(bPtr, bLen);
        mem().setU32(tokenOut, 0);
        const { status, token } = host.grpcCall(serviceBytes, str(nPtr, nLen), str(mPtr, mLen), metadata, message, timeout >>> 0);
        if (status === Status.OK && token !== undefined) mem().setU32(tokenOut, token);
        return status;
      },
    ),
    proxy_grpc_stream: guarded(
      (sPtr: number, sLen: number, nPtr: number, nLen: number, mPtr: number, mLen: number, hPtr: number, hLen: number, tokenOut: number) => {
        const serviceBytes = mem().read(sPtr, sLen);
        const service = str(nPtr, nLen);
        const method = str(mPtr, mLen);
        const metadata = deserializePairs(mem().view(hPtr, hLen));
        mem().setU32(tokenOut, 0); // check the out-pointer before opening anything
        const { status, token } = host.grpcStream(serviceBytes, service, method, metadata);
        if (status === Status.OK && token !== undefined) mem().setU32(tokenOut, token);
        return status;
      },
    ),
    proxy_grpc_send: guarded((token: number, ptr: number, len: number, endOfStream: number) => host.grpcSend(token >>> 0, mem().read(ptr, len), endOfStream !== 0)),
    proxy_grpc_cancel: guarded((token: number) => host.grpcCancel(token >>> 0)),
    proxy_grpc_close: guarded((token: number) => host.grpcClose(token >>> 0)),
    proxy_set_shared_data: guarded((kPtr: number, kLen: number, vPtr: number, vLen: number, cas: number) => {
      return host.sharedData.set(host.vmId, str(kPtr, kLen), mem().read(vPtr, vLen), cas >>> 0);
    }),
    proxy_get_shared_data: guarded((kPtr: number, kLen: number, ptrOut: number, lenOut: number, casOut: number) => {
      const r = host.sharedData.get(host.vmId, str(kPtr, kLen));
      if (r.status !== Status.OK || !r.value) return r.status;
      mem().setU32(casOut, r.cas ?? 0);
      mem().handOver(r.value, ptrOut, lenOut);
      return Status.OK;
    }),
    proxy_register_shared_queue: guarded((nPtr: number, nLen: number, idOut: number) => {
      const name = str(nPtr, nLen);
      mem().setU32(idOut, 0);
      mem().setU32(idOut, host.queues.register(host.vmId, name, (id) => host.onQueueReady(id)));
      return Status.OK;
    }),
    proxy_resolve_shared_queue: guarded((vPtr: number, vLen: number, nPtr: number, nLen: number, idOut: number) => {
      const id = host.queues.resolve(str(vPtr, vLen), str(nPtr, nLen));
      if (id === undefined) return Status.NOT_FOUND;
      mem().setU32(idOut, id);
      return Status.OK;
    }),
    proxy_enqueue_shared_queue: guarded((id: number, vPtr: number, vLen: number) => host.queues.enqueue(id >>> 0, mem().read(vPtr, vLen))),
    proxy_dequeue_shared_queue: guarded((id: number, ptrOut: number, lenOut: number) => {
      mem().setU32(ptrOut, 0);
      mem().setU32(lenOut, 0);
      const r = host.queues.dequeue(id >>> 0);
      if (r.status !== Status.OK || !r.value) return r.status;
      mem().handOver(r.value, ptrOut, lenOut);
      return Status.OK;
    }),
    proxy_define_metric: guarded((type: number, nPtr: number, nLen: number, idOut: number) => {
      const name = str(nPtr, nLen);
      mem().setU32(idOut, 0);
      const r = host.metrics.define(type, name);
      if (r.status === Status.OK && r.id !== undefined) mem().setU32(idOut, r.id);
      return r.status;
    }),
    proxy_increment_metric: guarded((id: number, offset: bigint) => host.metrics.increment(id >>> 0, BigInt(offset))),
    proxy_record_metric: guarded((id: number, value: bigint) => host.metrics.record(id >>> 0, BigInt.asUintN(64, BigInt(value)))),
    proxy_get_metric: guarded((id: number, out: number) => {
      mem().setU64(out, 0n);
      const r = host.metrics.get(id >>> 0);
      if (r.status === Status.OK && r.value !== undefined) mem().setU64(out, r.value);
      return r.status;
    }),
    proxy_get_property: guarded((pPtr: number, pLen: number, ptrOut: number, lenOut: number) => {
      const path = splitPath(str(pPtr, pLen));
      const value = host.getProperty(path);
      if (value === undefined) return Status.NOT_FOUND;
      mem().handOver(value, ptrOut, lenOut);
      return Status.OK;
    }),
    proxy_set_property: guarded((pPtr: number, pLen: number, vPtr: number, vLen: number) => {
      return host.setProperty(splitPath(str(pPtr, pLen)), mem().read(vPtr, vLen));
    }),
    proxy_call_foreign_function: guarded(() => Status.NOT_FOUND),
    proxy_set_effective_context: guarded((id: number) => host.setEffectiveContext(id >>> 0)),
    proxy_done: guarded(() => host.done()),
    // Emscripten builds (the C++ SDK), as Envoy answers them: pthread_equal compares the two ids;
    // memory growth needs nothing (GuestMemory re-reads the buffer when it has grown).
    pthread_equal: (left: number, right: number): number => (left === right ? 1 : 0),
    emscripten_notify_memory_growth: (): void => undefined,
  };
  return fns as unknown as Record<string, (...args: never[]) => number>;
}

function splitPath(raw: string): string[] {
  const trimmed = raw.endsWith('\0') ? raw.slice(0, -1) : raw;
  return trimmed.includes('\0') ? trimmed.split('\0') : trimmed.split('.');
}
