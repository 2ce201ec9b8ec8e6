import type { ProjectConfig } from '../project/schema.js';
import { defaultKind, type PluginKind } from './kinds.js';
import { parseIstioVersion, since, type IstioTarget } from './versions.js';

/**
 * The name istiod gives a plugin's Envoy filter (PluginConfig.name), which the plugin reads as its
 * `plugin_name` property and Envoy prints in its `wasm log` lines: `NAMESPACE.NAME`. From 1.30 istiod
 * turns each WasmPlugin into a TrafficExtension named `NAME~istio-translated-wasmplugin`, and the
 * filter carries that name (checked with Istio's own BuildHTTPWasmFilter in test/oracle).
 */
export function envoyPluginName(kind: PluginKind, namespace: string, name: string, target: IstioTarget): string {
  const base = `${namespace}.${name}`;
  return kind === 'WasmPlugin' && since(target, 30) ? `${base}~istio-translated-wasmplugin` : base;
}

/** The filter name of the project's own plugin, for the kind and Istio version istio-wasm.yaml names. */
export function projectPluginName(config: ProjectConfig): string {
  return envoyPluginName(config.kind ?? defaultKind, config.wasmPlugin.namespace, config.name, parseIstioVersion(config.istio.version));
}
