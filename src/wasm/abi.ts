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

/**
 * The ABI version a proxy runs a module with: the first function export, in export order, that is
 * a marker (proxy-wasm-cpp-host's getAbiVersion). A module exporting two markers gets the first.
 */
export function abiVersionOf(exports: ReadonlyArray<{ name: string; kind: string }>): AbiVersion | null {
  for (const e of exports) {
    if (e.kind === 'function' && Object.hasOwn(abiMarkers, e.name)) return abiMarkers[e.name as keyof typeof abiMarkers];
  }
  return null;
}

/**
 * What Envoy's host (proxy-wasm-cpp-host `WasmBase::registerCallbacks`, src/wasm.cc) registers, and
 * so exactly what a module may import: a module importing anything else fails to link in Envoy.
 */

/** `env` functions for every ABI version (FOR_ALL_HOST_FUNCTIONS in include/proxy-wasm/exports.h). */
export const proxyHostFunctions: readonly string[] = [
  'proxy_log', 'proxy_get_status', 'proxy_set_property', 'proxy_get_property', 'proxy_send_local_response',
  'proxy_get_shared_data', 'proxy_set_shared_data',
  'proxy_register_shared_queue', 'proxy_resolve_shared_queue', 'proxy_dequeue_shared_queue', 'proxy_enqueue_shared_queue',
  'proxy_get_header_map_value', 'proxy_add_header_map_value', 'proxy_replace_header_map_value',
  'proxy_remove_header_map_value', 'proxy_get_header_map_pairs', 'proxy_set_header_map_pairs', 'proxy_get_header_map_size',
  'proxy_get_buffer_status', 'proxy_get_buffer_bytes', 'proxy_set_buffer_bytes',
  'proxy_http_call', 'proxy_grpc_call', 'proxy_grpc_stream', 'proxy_grpc_close', 'proxy_grpc_cancel', 'proxy_grpc_send',
  'proxy_set_tick_period_milliseconds', 'proxy_get_current_time_nanoseconds',
  'proxy_define_metric', 'proxy_increment_metric', 'proxy_record_metric', 'proxy_get_metric',
  'proxy_set_effective_context', 'proxy_done', 'proxy_call_foreign_function',
];

/** `env` functions Envoy registers only for one ABI version (the module's marker picks it). */
export const abiSpecificFunctions: Readonly<Record<AbiVersion, readonly string[]>> = {
  '0.1.0': ['proxy_get_configuration', 'proxy_continue_request', 'proxy_continue_response', 'proxy_clear_route_cache'],
  '0.2.0': ['proxy_continue_stream', 'proxy_close_stream'],
  '0.2.1': ['proxy_continue_stream', 'proxy_close_stream', 'proxy_get_log_level'],
  // Envoy knows no 0.3.0 marker yet; treated as 0.2.1, the newest it loads.
  '0.3.0': ['proxy_continue_stream', 'proxy_close_stream', 'proxy_get_log_level'],
};

/**
 * `env` functions Envoy registers for Emscripten builds (the C++ SDK): `pthread_equal` (left ==
 * right) and `emscripten_notify_memory_growth` (a no-op), imported by `-sALLOW_MEMORY_GROWTH=1`.
 */
export const emscriptenFunctions: readonly string[] = ['pthread_equal', 'emscripten_notify_memory_growth'];

/** Every `env` function Envoy registers for some ABI version. */
export const envFunctionNames: readonly string[] = [
  ...emscriptenFunctions,
  ...proxyHostFunctions,
  ...new Set(Object.values(abiSpecificFunctions).flat()),
];

/**
 * WASI preview 1 functions Envoy registers, under both `wasi_snapshot_preview1` and `wasi_unstable`
 * (FOR_ALL_WASI_FUNCTIONS). Not among them: proc_raise, sock_open and the rest of preview 1.
 */
export const wasiFunctions: readonly string[] = [
  'fd_write', 'fd_read', 'fd_seek', 'fd_close', 'fd_fdstat_get', 'fd_fdstat_set_flags', 'fd_fdstat_set_rights',
  'environ_get', 'environ_sizes_get', 'args_get', 'args_sizes_get', 'clock_time_get', 'clock_res_get',
  'fd_advise', 'fd_allocate', 'fd_datasync', 'fd_filestat_set_size', 'fd_filestat_set_times', 'fd_pread',
  'fd_pwrite', 'fd_readdir', 'fd_renumber', 'fd_sync', 'fd_tell',
  'path_create_directory', 'path_filestat_set_times', 'path_link', 'path_readlink', 'path_remove_directory',
  'path_rename', 'path_symlink', 'path_unlink_file', 'sock_accept', 'sock_recv', 'sock_send', 'sock_shutdown',
  'random_get', 'sched_yield', 'poll_oneoff', 'proc_exit', 'path_open', 'fd_prestat_get', 'fd_prestat_dir_name',
  'path_filestat_get', 'fd_filestat_get',
];

export const wasiModules: ReadonlySet<string> = new Set(['wasi_snapshot_preview1', 'wasi_unstable']);

const wasiSet = new Set(wasiFunctions);
const envByAbi = new Map(
  Object.entries(abiSpecificFunctions).map(([abi, names]) => [abi, new Set([...emscriptenFunctions, ...proxyHostFunctions, ...names])]),
);
const envAny = new Set(envFunctionNames);

/**
 * Whether Envoy provides this import to a module with this ABI marker (null: none found, then any
 * version's functions count, and the missing marker is reported on its own). A memory or a table
 * is created for the module whatever its import module is named; a global never is.
 */
export function isProvidedImport(module: string, name: string, kind: string, abi: AbiVersion | null = null): boolean {
  if (kind !== 'function') return kind === 'memory' || kind === 'table';
  if (module === 'env') return (abi ? envByAbi.get(abi) : envAny)?.has(name) ?? false;
  if (wasiModules.has(module)) return wasiSet.has(name);
  return false;
}

/** The ABI version whose `env` functions include this one, for a clearer message. */
export function abiVersionsProviding(name: string): AbiVersion[] {
  return (Object.keys(abiSpecificFunctions) as AbiVersion[]).filter((abi) => abiSpecificFunctions[abi].includes(name) && abi !== '0.3.0');
}

/** Istio's agent refuses (truncates) modules above this size (ISTIO_WASM_MAX_BINARY_SIZE_BYTES). */
export const maxModuleSize = 256 * 1024 * 1024;
