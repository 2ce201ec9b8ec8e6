import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * The real toolchains scripts/toolchains.sh installs once per machine (`npm test` runs it through
 * scripts/test-tools.sh): wrappers for cargo, rustc (Debian trixie's 1.85 with the wasm32-wasip1
 * standard library), em++ and emcc (Emscripten 3.1.69), which run those tools from a cached trixie
 * root on the project where it is. Go is the machine's own `go` (>= 1.24).
 */
export const toolchainCache = path.join(process.env.CREATE_ISTIO_WASM_CACHE ?? path.join(os.homedir(), '.cache', 'create-istio-wasm'), 'toolchains');
export const toolchainBin = path.join(toolchainCache, 'bin');

const tools = ['cargo', 'rustc', 'em++', 'emcc'] as const;

/** Throws, naming the installer, when the wrappers are missing: the tests never skip for want of them. */
export function requireToolchains(): void {
  const missing = tools.filter((tool) => !existsSync(path.join(toolchainBin, tool)));
  if (missing.length > 0) {
    throw new Error(`${missing.join(', ')} not installed in ${toolchainBin}: run \`bash scripts/toolchains.sh\` (npm test does, through scripts/test-tools.sh)`);
  }
}

/**
 * The environment to spawn the CLI (or a generated project's npm scripts) with, so that `cargo`,
 * `rustc` and `em++` are the installed ones: the wrappers first on PATH, then the caller's PATH.
 */
export function toolchainEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  requireToolchains();
  return { ...process.env, ...extra, PATH: `${toolchainBin}${path.delimiter}${extra.PATH ?? process.env.PATH ?? ''}` };
}
