import { CliError } from '../errors.js';
import { pluginApiVersion } from './kinds.js';
import type { PluginParts } from './plugin-spec.js';
import { since, specFieldSince, type IstioTarget } from './versions.js';

/**
 * A WasmPlugin from the plugin's parts: one flat spec. A version before targetRefs (1.22) gets the
 * single targetRef it has (1.20), or a refusal: leaving the target out would apply the plugin to
 * every workload in the namespace.
 */
export function renderWasmPlugin(parts: PluginParts, target: IstioTarget): { resource: Record<string, unknown>; notes: string[] } {
  const notes: string[] = [];
  const { placement, module } = parts;
  const spec: Record<string, unknown> = {};
  if (placement.selector) spec.selector = placement.selector;
  else if (placement.targetRefs) {
    const refs = placement.targetRefs;
    if (since(target, specFieldSince.targetRefs)) spec.targetRefs = refs;
    else if (since(target, specFieldSince.targetRef) && refs.length === 1) {
      spec.targetRef = refs[0];
      notes.push(`wrote targetRefs as targetRef: Istio ${target.text} has only the single targetRef (targetRefs arrived in 1.22)`);
    } else {
      throw new CliError('UNSUPPORTED_FIELD', `Istio ${target.text} cannot target ${refs.length === 1 ? 'a Gateway API resource' : `${refs.length} targets`} (targetRef arrived in 1.20, targetRefs in 1.22)`, {
        hint: 'use wasmPlugin.selector.matchLabels for this Istio version, or target a newer one with --istio-version',
      });
    }
  }
  const { failStrategy, pluginName, pluginConfig, vmConfig, type, ...fetch } = module;
  Object.assign(spec, fetch);
  if (placement.phase) spec.phase = placement.phase;
  if (placement.priority !== undefined) spec.priority = placement.priority;
  const rest = { failStrategy, pluginName, pluginConfig, vmConfig };
  for (const [key, value] of Object.entries(rest)) if (value !== undefined) spec[key] = value;
  if (placement.match) spec.match = placement.match;
  if (type !== undefined) spec.type = type;
  return {
    resource: { apiVersion: pluginApiVersion, kind: 'WasmPlugin', metadata: { name: parts.name, namespace: parts.namespace, labels: parts.labels }, spec },
    notes,
  };
}
