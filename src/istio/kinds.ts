import { CliError } from '../errors.js';
import { kindSince, type IstioTarget } from './versions.js';

/**
 * The two resources a plugin can be deployed as. Both are `extensions.istio.io/v1alpha1`; a
 * TrafficExtension holds the module's fields under `spec.wasm` (or inline Lua under `spec.lua`).
 */
export const pluginKinds = ['WasmPlugin', 'TrafficExtension'] as const;
export type PluginKind = (typeof pluginKinds)[number];

export const pluginApiVersion = 'extensions.istio.io/v1alpha1';

export const kindFacts: Record<PluginKind, { plural: string; file: string }> = {
  WasmPlugin: { plural: 'wasmplugins', file: 'wasmplugin.yaml' },
  TrafficExtension: { plural: 'trafficextensions', file: 'trafficextension.yaml' },
};

export const defaultKind: PluginKind = 'WasmPlugin';

export function isPluginKind(value: unknown): value is PluginKind {
  return typeof value === 'string' && (pluginKinds as readonly string[]).includes(value);
}

export function otherKind(kind: PluginKind): PluginKind {
  return kind === 'WasmPlugin' ? 'TrafficExtension' : 'WasmPlugin';
}

/** `--kind` as typed (case-insensitive), or BAD_KIND naming the choices. */
export function parseKind(text: string): PluginKind {
  const found = pluginKinds.find((k) => k.toLowerCase() === text.trim().toLowerCase());
  if (!found) throw new CliError('BAD_KIND', `--kind must be ${pluginKinds.join(' or ')}, not "${text}"`, { exitCode: 2 });
  return found;
}

export function kindAvailable(kind: PluginKind, target: IstioTarget): boolean {
  return target.minor >= kindSince[kind];
}

/** Refuses a kind the target Istio does not serve (kubectl apply would say "no matches for kind"). */
export function requireKind(kind: PluginKind, target: IstioTarget): void {
  if (kindAvailable(kind, target)) return;
  throw new CliError('KIND_UNAVAILABLE', `${kind} does not exist in Istio ${target.text}: it arrived in Istio 1.${kindSince[kind]}`, {
    hint: `use --kind WasmPlugin for Istio ${target.text}, or target Istio 1.${kindSince[kind]} or newer (--istio-version 1.${kindSince[kind]})`,
    exitCode: 2,
  });
}

/** The note a project targeting 1.30+ with a WasmPlugin gets once. */
export function trafficExtensionAvailableNote(target: IstioTarget): string | undefined {
  if (!kindAvailable('TrafficExtension', target)) return undefined;
  return `Istio ${target.text} has TrafficExtension, which supersedes WasmPlugin (still served): \`istio-wasm manifest --kind TrafficExtension\` renders one from the same istio-wasm.yaml, \`istio-wasm migrate\` converts existing WasmPlugins, and \`kind: TrafficExtension\` in istio-wasm.yaml makes it the project's`;
}

/** The module's fields of a resource: the spec of a WasmPlugin, `spec.wasm` of a TrafficExtension. */
export function moduleSpecOf(resource: Record<string, unknown>): Record<string, unknown> {
  const spec = resource.spec;
  const obj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!obj(spec)) return {};
  if (resource.kind !== 'TrafficExtension') return spec;
  return obj(spec.wasm) ? spec.wasm : {};
}
