import { CliError, messageOf } from '../errors.js';
import { type AbiVersion } from './constants.js';
import { abiVersionOf, isProvidedImport } from '../wasm/abi.js';
import { MemoryLimitError, capModuleMemory, maxMemoryPages } from './memory-limit.js';
import { parseModule } from '../wasm/parse.js';

/** A compiled Proxy-Wasm module, checked before any instance is made. */
export interface PluginModule {
  module: WebAssembly.Module;
  abiVersion: AbiVersion;
  imports: WebAssembly.ModuleImportDescriptor[];
  exports: string[];
  size: number;
  /** The bytes that were compiled (after the memory cap): trap stacks map code offsets to functions with them. */
  bytes?: Uint8Array;
  /** Memories and tables the module imports: the host creates each, as Envoy does. */
  externs?: ImportedExtern[];
}

/** A memory or table a module imports, with the limits the host creates it with. */
export type ImportedExtern =
  | { module: string; name: string; kind: 'memory'; initial: number; maximum: number; shared: boolean }
  | { module: string; name: string; kind: 'table'; element: 'anyfunc' | 'externref'; initial: number; maximum?: number };


/**
 * Compiles and checks a module: WebAssembly magic, a valid binary, an ABI version marker, and only
 * imports this host provides (all unknown ones named in one error, rather than a failure at call time).
 */
export async function compilePluginModule(bytes: Uint8Array, label = 'the module'): Promise<PluginModule> {
  if (bytes.byteLength < 8 || bytes[0] !== 0 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new CliError('WASM_INVALID', `${label} is not a WebAssembly module (no \\0asm header)`, {
      hint: 'pass the built .wasm file (for example build/plugin.wasm)',
    });
  }
  let capped: Uint8Array;
  try {
    capped = capModuleMemory(bytes);
  } catch (error) {
    if (!(error instanceof MemoryLimitError)) throw error;
    throw new CliError('WASM_MEMORY_LIMIT', `${label} cannot run in Envoy: ${error.message}`, {
      hint: 'lower the initial memory of the build (for example --initial-memory for wasm-ld, --initialMemory for asc)',
    });
  }
  let module: WebAssembly.Module;
  try {
    module = await WebAssembly.compile(capped);
  } catch (error) {
    throw new CliError('WASM_INVALID', `${label} is not a valid WebAssembly module (truncated or corrupt?): ${messageOf(error)}`, {
      hint: 'rebuild the plugin',
    });
  }
  const exportTypes = WebAssembly.Module.exports(module);
  const exports = exportTypes.map((e) => e.name);
  const abiVersion = abiVersionOf(exportTypes);
  if (!abiVersion) {
    throw new CliError('WASM_NO_ABI', `${label} exports no Proxy-Wasm ABI marker (proxy_abi_version_0_2_1, 0_2_0 or 0_1_0)`, {
      hint: 'build it with a Proxy-Wasm SDK; a plain WebAssembly module is not a proxy plugin',
    });
  }
  const imports = WebAssembly.Module.imports(module);
  // Exactly what Envoy registers for this ABI version: anything else fails to link there too.
  const unknown = imports.filter((i) => !isProvidedImport(i.module, i.name, i.kind, abiVersion));
  if (unknown.length > 0) {
    throw new CliError(
      'WASM_UNKNOWN_IMPORTS',
      `${label} imports what no Proxy-Wasm host provides: ${unknown.map((i) => `${i.module}.${i.name}`).join(', ')}`,
      { hint: unknown.some((i) => i.name === 'abort') ? 'AssemblyScript: build with --use abort=<your abort handler>' : 'remove these imports from the plugin build' },
    );
  }
  const plugin: PluginModule = { module, abiVersion: abiVersion, imports, exports, size: bytes.byteLength, bytes: capped };
  if (imports.some((i) => i.kind === 'memory' || i.kind === 'table')) plugin.externs = importedExterns(capped, label);
  return plugin;
}

/**
 * What proxy-wasm-cpp-host's link step does for an imported memory or table: it makes one with the
 * import's own limits (under any module name). The memory gets the same 1 GiB ceiling as a defined one.
 */
function importedExterns(bytes: Uint8Array, label: string): ImportedExtern[] {
  const externs: ImportedExtern[] = [];
  for (const i of parseModule(bytes).imports) {
    if (!i.limits) continue;
    const { min, max, shared, wide } = i.limits;
    if (i.kind === 'table') {
      externs.push({ module: i.module, name: i.name, kind: 'table', element: i.element ?? 'anyfunc', initial: min, ...(max === undefined ? {} : { maximum: max }) });
      continue;
    }
    if (wide || min > maxMemoryPages) {
      const problem = wide
        ? 'it imports a 64-bit memory, which Envoy does not run'
        : `its imported memory ${i.module}.${i.name} starts at ${min} pages (${min / 16} MiB); Envoy allows at most ${maxMemoryPages} pages (1 GiB)`;
      throw new CliError('WASM_MEMORY_LIMIT', `${label} cannot run in Envoy: ${problem}`, {
        hint: 'lower the initial memory of the build (for example --initial-memory for wasm-ld)',
      });
    }
    externs.push({ module: i.module, name: i.name, kind: 'memory', initial: min, maximum: Math.min(max ?? maxMemoryPages, maxMemoryPages), shared });
  }
  return externs;
}
