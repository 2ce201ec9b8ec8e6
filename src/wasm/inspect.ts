import { sha256Hex } from '../util/sha256.js';
import { abiMarkers, abiVersionOf, abiVersionsProviding, isProvidedImport, maxModuleSize, type AbiVersion } from './abi.js';
import { parseModule, WasmParseError, type WasmExport, type WasmImport } from './parse.js';

export interface WasmInspection {
  /** Newest ABI marker the module exports, or null when it has none. */
  abiVersion: AbiVersion | null;
  exports: WasmExport[];
  imports: WasmImport[];
  size: number;
  sha256: string;
  /** Things that stop the module from loading in a proxy; empty when it is fine. */
  problems: string[];
}

/** Checks a module as a proxy would see it, without running it. Never throws on bad bytes. */
export function inspectWasm(bytes: Uint8Array): WasmInspection {
  const size = bytes.length;
  const sha256 = sha256Hex(bytes);
  const problems: string[] = [];
  if (size > maxModuleSize) problems.push(`module is ${size} bytes, over Istio's 256 MiB limit (the agent would truncate it)`);
  let parsed;
  try {
    parsed = parseModule(bytes);
  } catch (error) {
    const message = error instanceof WasmParseError ? error.message : String(error);
    problems.push(message);
    return { abiVersion: null, exports: [], imports: [], size, sha256, problems };
  }
  const exportNames = new Set(parsed.exports.map((e) => e.name));
  const abiVersion = abiVersionOf(parsed.exports);
  if (!abiVersion) {
    problems.push(`no Proxy-Wasm ABI marker exported (one of ${Object.keys(abiMarkers).join(', ')}): a proxy refuses the module`);
  }
  const unknown = parsed.imports.filter((i) => !isProvidedImport(i.module, i.name, i.kind, abiVersion));
  for (const i of unknown) {
    const problem = `imports ${i.module}.${i.name} (${i.kind}), which a proxy does not provide`;
    const other = i.module === 'env' ? abiVersionsProviding(i.name) : [];
    if (i.module === 'env' && i.name === 'abort') problems.push(`${problem} (AssemblyScript's default abort: build with --use abort=…)`);
    else if (other.length > 0) problems.push(`${problem} to ABI ${abiVersion} modules (only to ABI ${other.join(', ')})`);
    else problems.push(problem);
  }
  const hasMemory = parsed.exports.some((e) => e.kind === 'memory' && e.name === 'memory') ||
    parsed.imports.some((i) => i.kind === 'memory');
  if (!hasMemory) problems.push('exports no memory named "memory": the host cannot exchange data with it');
  if (!exportNames.has('proxy_on_memory_allocate') && !exportNames.has('malloc')) {
    problems.push('exports no allocator (proxy_on_memory_allocate or malloc): the host cannot hand it data');
  }
  if (!exportNames.has('proxy_on_context_create')) {
    problems.push('exports no proxy_on_context_create: the proxy cannot create its contexts');
  }
  return { abiVersion, exports: parsed.exports, imports: parsed.imports, size, sha256, problems };
}
