import { crateLibName } from '../../build/rust.js';
import type { Language } from '../../project/schema.js';
import { versions } from '../../versions.js';

/** Files of a project, on disk or rendered in memory; paths are relative with `/`. */
export interface ProjectFiles {
  /** Contents of a root-level or nested file, or undefined when absent (or unreadable). */
  read(relative: string): string | undefined;
  /** Names of the files directly in the project root. */
  rootFiles(): string[];
}

export interface DetectedLanguage {
  language: Language;
  /** What gave it away, e.g. `Cargo.toml: crate-type = ["cdylib"]`. */
  evidence: string;
  /** Where the toolchain writes the module before `istio-wasm build` copies it to the project's module path. */
  toolchainOutput: string;
}

function dependsOn(pkg: string | undefined, name: string): boolean {
  if (!pkg) return false;
  try {
    const data = JSON.parse(pkg) as Record<string, Record<string, string> | undefined>;
    return ['dependencies', 'devDependencies', 'peerDependencies'].some((k) => data[k]?.[name] !== undefined);
  } catch {
    return false;
  }
}

/**
 * The plugin's language, from its build files: Cargo.toml with a cdylib (or the proxy-wasm crate)
 * → rust; go.mod requiring a Proxy-Wasm Go SDK → go; package.json depending on assemblyscript →
 * assemblyscript; a Makefile or CMakeLists.txt using proxy_wasm_intrinsics → cpp.
 * Undefined when nothing matches.
 */
export function detectLanguage(files: ProjectFiles): DetectedLanguage | undefined {
  const cargo = files.read('Cargo.toml');
  if (cargo !== undefined) {
    const cdylib = /crate-type\s*=\s*\[[^\]]*"cdylib"/.test(cargo);
    if (cdylib || /^\s*proxy-wasm\s*=/m.test(cargo)) {
      const lib = crateLibName(cargo) ?? '<lib>';
      return {
        language: 'rust',
        evidence: cdylib ? 'Cargo.toml: crate-type = ["cdylib"]' : 'Cargo.toml: depends on proxy-wasm',
        toolchainOutput: `target/${versions.rustTarget}/release/${lib}.wasm`,
      };
    }
  }
  const gomod = files.read('go.mod');
  if (gomod !== undefined && /proxy-wasm-go-sdk/.test(gomod)) {
    return { language: 'go', evidence: 'go.mod: requires a proxy-wasm-go-sdk', toolchainOutput: 'the module go build -buildmode=c-shared writes' };
  }
  const pkg = files.read('package.json');
  if (dependsOn(pkg, 'assemblyscript')) {
    return { language: 'assemblyscript', evidence: 'package.json: depends on assemblyscript', toolchainOutput: 'asc assembly/index.ts' };
  }
  for (const name of ['Makefile', 'CMakeLists.txt', 'BUILD', 'BUILD.bazel']) {
    if (/proxy_wasm_intrinsics/.test(files.read(name) ?? '')) {
      return { language: 'cpp', evidence: `${name}: uses proxy_wasm_intrinsics`, toolchainOutput: 'em++ (proxy-wasm-cpp-sdk)' };
    }
  }
  for (const name of files.rootFiles().filter((f) => /\.(cc|cpp|cxx|h|hpp)$/.test(f))) {
    if (/proxy_wasm_intrinsics/.test(files.read(name) ?? '')) {
      return { language: 'cpp', evidence: `${name}: includes proxy_wasm_intrinsics`, toolchainOutput: 'em++ (proxy-wasm-cpp-sdk)' };
    }
  }
  return undefined;
}
