import path from 'node:path';
import { existsSync } from 'node:fs';
import { packageInfo, packageRoot } from '../version.js';

/**
 * How a generated project depends on create-istio-wasm (the `istio-wasm` CLI, the AssemblyScript
 * SDK and the test API). Run from a checkout (not inside node_modules), it links to that checkout
 * with `file:` so everything works unpublished; installed from npm, it uses the same version.
 * `--cli-spec` (or CREATE_ISTIO_WASM_CLI_SPEC) overrides, e.g. `file:../create-istio-wasm-0.1.0.tgz`.
 */
export function defaultCliSpec(env: NodeJS.ProcessEnv): string {
  const fromEnv = env.CREATE_ISTIO_WASM_CLI_SPEC?.trim();
  if (fromEnv) return fromEnv;
  const insideNodeModules = packageRoot.split(path.sep).includes('node_modules');
  if (!insideNodeModules && existsSync(path.join(packageRoot, 'src'))) return `file:${packageRoot}`;
  return `^${packageInfo().version}`;
}

/** A `file:` spec relative to the directory it is used from stays valid when the project moves with it. */
export function resolveCliSpec(spec: string, cwd: string): string {
  if (!spec.startsWith('file:')) return spec;
  const target = spec.slice('file:'.length);
  return `file:${path.resolve(cwd, target)}`;
}
