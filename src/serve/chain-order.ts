import type { Phase } from '../project/schema.js';

/** A plugin as serve chains it. */
export interface PluginSpec {
  /** WasmPlugin name (or the module file's name). */
  name: string;
  /** Absolute path of the .wasm module. */
  wasmPath: string;
  pluginConfig?: unknown;
  rootId: string;
  /** The filter's name in Envoy (`NAMESPACE.NAME`, istiod's PluginConfig.name): the plugin_name property. */
  envoyName?: string;
  env: Record<string, string>;
  failStrategy: 'FAIL_CLOSE' | 'FAIL_OPEN' | 'FAIL_RELOAD';
  phase?: Phase;
  priority?: number;
  /** Where it came from, for --explain-order: a flag, a manifest file, or istio-wasm.yaml. */
  source: string;
  /** True when the module is the current project's build output (what --watch rebuilds). */
  fromProject: boolean;
}

const phaseRank: Record<string, number> = { AUTHN: 0, AUTHZ: 1, STATS: 2, UNSPECIFIED_PHASE: 3 };

/**
 * Istio's order within one filter chain: AUTHN plugins first, then AUTHZ, then STATS, then those
 * without a phase at the end; within a phase higher priority first; ties by name.
 */
export function orderPlugins(specs: PluginSpec[]): PluginSpec[] {
  return [...specs].sort((a, b) => {
    const pa = phaseRank[a.phase ?? 'UNSPECIFIED_PHASE'] ?? 3;
    const pb = phaseRank[b.phase ?? 'UNSPECIFIED_PHASE'] ?? 3;
    if (pa !== pb) return pa - pb;
    const qa = a.priority ?? 0;
    const qb = b.priority ?? 0;
    if (qa !== qb) return qb - qa;
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
}

/** The chain as --explain-order prints it, one line per plugin. */
export function explainOrder(ordered: PluginSpec[]): string {
  const lines = ordered.map(
    (p, i) => `${i + 1}. ${p.name}  phase=${p.phase ?? 'UNSPECIFIED_PHASE'} priority=${p.priority ?? 0} root_id=${p.rootId || '""'}  (${p.source})`,
  );
  return [
    'request path: ' + (ordered.map((p) => p.name).join(' -> ') || '(no plugins)') + ' -> upstream',
    'response path: upstream -> ' + ([...ordered].reverse().map((p) => p.name).join(' -> ') || '(no plugins)'),
    ...lines,
    'order: AUTHN, AUTHZ, STATS, then no phase; higher priority first within a phase; ties by name',
  ].join('\n');
}
