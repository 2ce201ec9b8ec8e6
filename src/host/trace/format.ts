/**
 * The trace format (version 1): what a plugin did during one HTTP exchange, as JSON. One exchange is one
 * JSON object; a trace file holds one per line (JSON Lines). Documented in docs/trace-format.md.
 * Header pairs keep their order and duplicates; bodies are bounded; credential-looking header values
 * are masked when the trace leaves the process unless secrets were asked for.
 */
export const TRACE_FORMAT = 'istio-wasm-trace';
export const TRACE_VERSION = 1;

/** Bytes of a body kept whole in an exchange record (request/response/callout bodies, for replay). */
export const EXCHANGE_BODY_LIMIT = 64 * 1024;
/** Bytes of a body shown in a host call's preview (proxy_get_buffer_bytes and the like). */
export const PREVIEW_LIMIT = 256;
/** Events kept per plugin per exchange (a plugin looping over host calls cannot grow a trace forever). */
export const EVENT_LIMIT = 2000;
/** Bytes of a plugin's configuration kept in a trace (replay needs it whole to run the plugin as recorded). */
export const CONFIGURATION_LIMIT = 16 * 1024;

export type TracePairs = Array<[string, string]>;

/** A body: its full size, and its first bytes as UTF-8 text (or base64 when not text). */
export interface TraceBody {
  size: number;
  text?: string;
  base64?: string;
  /** True when only the first bytes were kept. */
  truncated?: boolean;
}

/** One host function the plugin called, inside the callback it belongs to. */
export interface TraceHostCall {
  /** The ABI name, e.g. proxy_add_header_map_value. */
  call: string;
  /** Milliseconds since the exchange started. */
  t: number;
  /** The ABI status when it was not OK (NOT_FOUND, BAD_ARGUMENT, ...). */
  status?: string;
  /** Which header map or buffer (request_headers, response_body, http_call_response_headers, ...). */
  map?: string;
  buffer?: string;
  key?: string;
  value?: string | null;
  pairs?: TracePairs;
  [field: string]: unknown;
}

/** One proxy_on_* callback the host made, with the host calls the plugin made inside it. */
export interface TraceCallback {
  callback: string;
  contextId: number;
  /** The callback's arguments after the context id (header count and end_of_stream, body size, token...). */
  args: number[];
  t: number;
  /** How long the callback ran, in milliseconds. */
  ms: number;
  /** The returned action for stream callbacks (continue, pause), or the raw return value. */
  result?: string | number;
  /** Guest memory in 64 KiB pages after the callback. */
  memoryPages: number;
  /** The header map the callback is about, before it ran (headers and trailers callbacks). */
  before?: TracePairs;
  /** The same map after it ran, only when the plugin changed it. */
  after?: TracePairs;
  calls: TraceHostCall[];
  /** Set when the callback trapped. */
  trap?: TraceTrap;
}

export interface TraceFrame {
  /** The function's index in the module (absent when it cannot be told). */
  index?: number;
  /** Its name from the module's name section, when there is one. */
  name?: string;
  /** Byte offset in the module. */
  offset?: number;
}

export interface TraceTrap {
  callback: string;
  message: string;
  /** The Wasm frames, innermost first. */
  stack: TraceFrame[];
}

/** What the far end of a gRPC stream sent, in order; one of the three fields is set. */
export interface TraceGrpcEvent {
  t: number;
  /** How many messages the plugin had sent on the stream when this arrived (replay waits for as many). */
  sent: number;
  initialMetadata?: TracePairs;
  message?: TraceBody;
  trailingMetadata?: TracePairs;
}

/** An HTTP or gRPC call the plugin dispatched, and what came back. */
export interface TraceCallout {
  kind: 'http' | 'grpc' | 'grpc-stream';
  token: number;
  cluster: string;
  t: number;
  request: { headers: TracePairs; body: TraceBody; timeoutMs?: number; service?: string; method?: string };
  /**
   * Undefined while pending; `failed` for a reset, timeout or unknown answer. gRPC: `headers` is the
   * initial metadata, `body` the first message, `trailers` the trailing metadata, `status` the
   * grpc-status and `statusMessage` its message; `messages` lists every message when there were not
   * exactly one. A stream's response is its close (`headers` empty; what came before is in `events`).
   */
  response?: { headers: TracePairs; body: TraceBody; trailers?: TracePairs; status?: number; statusMessage?: string; messages?: TraceBody[]; failed?: boolean };
  /** gRPC streams: messages the plugin sent (proxy_grpc_send). */
  sent?: number;
  /** gRPC streams: what the far end sent before it closed, in order. */
  events?: TraceGrpcEvent[];
}

/** The configuration the host handed the plugin (proxy_on_configure): JSON when it is istiod's JSON, else text or base64. */
export interface TraceConfiguration {
  size: number;
  /** The configuration as JSON: the bytes are exactly istiod's rendering of this value. */
  json?: unknown;
  text?: string;
  base64?: string;
  /** Only the first CONFIGURATION_LIMIT bytes were kept. */
  truncated?: boolean;
  /** Credential-looking values of `json` were replaced by "***" (the trace left the process without --trace-secrets). */
  masked?: boolean;
}

/** One plugin's part of an exchange, in chain order. */
export interface TracePlugin {
  name: string;
  rootId: string;
  /** The plugin configuration it ran with (absent in traces written before it was recorded). */
  configuration?: TraceConfiguration;
  contextId: number;
  callbacks: TraceCallback[];
  callouts: TraceCallout[];
  /** Events dropped past EVENT_LIMIT. */
  dropped?: number;
  /** The stream bypassed the plugin (FAIL_OPEN after a failure) or the host answered for it. */
  note?: string;
}

export interface TraceMessage {
  headers: TracePairs;
  body: TraceBody;
  trailers?: TracePairs;
}

export interface TraceExchange {
  format: typeof TRACE_FORMAT;
  version: typeof TRACE_VERSION;
  /** Sequence number within the serve process (or test run). */
  id: number;
  /** ISO time the request arrived. */
  startedAt: string;
  durationMs: number;
  method: string;
  path: string;
  /** The request as the client sent it. */
  request: TraceMessage;
  /** The request as it left for the upstream (absent when a plugin answered or reset). */
  upstreamRequest?: TraceMessage;
  /** What the upstream answered (absent when it was never asked). */
  upstreamResponse?: TraceMessage & { status: number };
  /** What the client received. */
  response?: TraceMessage & { status: number };
  /** Who answered: 'upstream', a plugin's name (local reply), 'host' (503/413/502), or 'reset'. */
  answeredBy: string;
  /** The local reply, when a plugin or the host answered. */
  local?: { status: number; details: string; grpcStatus: number; by: string };
  plugins: TracePlugin[];
  /** True when credential-looking header values were kept (serve --trace-secrets). */
  secrets?: boolean;
}

/** A short line per exchange for lists (the page's live list, --json summaries). */
export interface TraceSummary {
  id: number;
  startedAt: string;
  method: string;
  path: string;
  status: number | null;
  durationMs: number;
  answeredBy: string;
  trapped: boolean;
}

export function summarize(e: TraceExchange): TraceSummary {
  return {
    id: e.id,
    startedAt: e.startedAt,
    method: e.method,
    path: e.path,
    status: e.response?.status ?? null,
    durationMs: e.durationMs,
    answeredBy: e.answeredBy,
    trapped: e.plugins.some((p) => p.callbacks.some((c) => c.trap)),
  };
}
