import { pluginApiVersion, requireKind } from './kinds.js';
import type { PluginParts } from './plugin-spec.js';
import type { IstioTarget } from './versions.js';

/**
 * A TrafficExtension (Istio 1.30+) from the plugin's parts: selector or targetRefs, phase,
 * priority and match at spec level, the module's fields under `spec.wasm`. Phase
 * UNSPECIFIED_PHASE is spelt UNSPECIFIED; there is no singular targetRef.
 */
export function trafficExtensionPhase(phase: string): string {
  return phase === 'UNSPECIFIED_PHASE' ? 'UNSPECIFIED' : phase;
}

export function renderTrafficExtension(parts: PluginParts, target: IstioTarget): { resource: Record<string, unknown>; notes: string[] } {
  requireKind('TrafficExtension', target);
  const { placement, module } = parts;
  const spec: Record<string, unknown> = {};
  if (placement.selector) spec.selector = placement.selector;
  else if (placement.targetRefs) spec.targetRefs = placement.targetRefs;
  if (placement.phase) spec.phase = trafficExtensionPhase(placement.phase);
  if (placement.priority !== undefined) spec.priority = placement.priority;
  if (placement.match) spec.match = placement.match;
  spec.wasm = { ...module };
  return {
    resource: { apiVersion: pluginApiVersion, kind: 'TrafficExtension', metadata: { name: parts.name, namespace: parts.namespace, labels: parts.labels }, spec },
    notes: [],
  };
}
