/**
 * What a Proxy-Wasm host (Envoy's, and ours in src/host) provides to a module, by import module.
 * Used by `inspect` to flag imports a proxy would refuse at load time.
 */
export const abiMarkers = {
  proxy_abi_version_0_1_0: '0.1.0',
  proxy_abi_version_0_2_0: '0.2.0',
  proxy_abi_version_0_2_1: '0.2.1',
  proxy_abi_version_0_3_0: '0.3.0',
} as const;

export type AbiVersion = (typeof abiMarkers)[keyof typeof abiMarkers];

/** Host functions under `env` (ABI 0.1.0 through 0.2.1, as Envoy's proxy-wasm-cpp-host exposes them). */
export const proxyHostFunctions: ReadonlySet<string> = new Set([
  'proxy_log', 'proxy_get_log_level', 'proxy_get_status',
  'proxy_set_effective_context', 'proxy_done', 'proxy_call_foreign_function',
  'proxy_get_current_time_nanoseconds', 'proxy_set_tick_period_milliseconds',
  'proxy_get_configuration',
  'proxy_get_buffer_bytes', 'proxy_set_buffer_bytes', 'proxy_get_buffer_status',
  'proxy_get_header_map_size', 'proxy_get_header_map_pairs', 'proxy_set_header_map_pairs',
  'proxy_get_header_map_value', 'proxy_add_header_map_value', 'proxy_replace_header_map_value',
  'proxy_remove_header_map_value',
  'proxy_continue_stream', 'proxy_close_stream',
  'proxy_continue_request', 'proxy_continue_response', 'proxy_clear_route_cache',
  'proxy_send_local_response',
  'proxy_http_call',
  'proxy_grpc_call', 'proxy_grpc_stream', 'proxy_grpc_send', 'proxy_grpc_cancel', 'proxy_grpc_close',
  'proxy_set_shared_data', 'proxy_get_shared_data',
  'proxy_register_shared_queue', 'proxy_resolve_shared_queue', 'proxy_enqueue_shared_queue', 'proxy_dequeue_shared_queue',
  'proxy_define_metric', 'proxy_increment_metric', 'proxy_record_metric', 'proxy_get_metric',
  'proxy_get_property', 'proxy_set_property',
]);

/** WASI preview1 functions Envoy provides (to modules built by Rust, TinyGo and C++ toolchains). */
export const wasiFunctions: ReadonlySet<string> = new Set([
  'fd_write', 'fd_read', 'fd_seek', 'fd_close', 'fd_fdstat_get', 'fd_fdstat_set_flags',
  'fd_prestat_get', 'fd_prestat_dir_name', 'fd_filestat_get', 'path_open',
  'environ_get', 'environ_sizes_get', 'args_get', 'args_sizes_get',
  'clock_time_get', 'clock_res_get', 'random_get', 'sched_yield', 'poll_oneoff', 'proc_exit',
]);

export const wasiModules: ReadonlySet<string> = new Set(['wasi_snapshot_preview1', 'wasi_unstable']);

/** Whether a proxy provides this import. */
export function isProvidedImport(module: string, name: string, kind: string): boolean {
  if (kind !== 'function') return module === 'env' && kind === 'memory';
  if (module === 'env') return proxyHostFunctions.has(name);
  if (wasiModules.has(module)) return wasiFunctions.has(name);
  return false;
}

/** Istio's agent refuses (truncates) modules above this size (ISTIO_WASM_MAX_BINARY_SIZE_BYTES). */
export const maxModuleSize = 256 * 1024 * 1024;
