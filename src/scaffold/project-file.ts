import { toYaml } from '../project/yaml-emit.js';
import type { ProjectConfig } from '../project/schema.js';
import type { ScaffoldValues } from './values.js';
import { isMutableTag, parseReference } from '../oci/reference.js';

/** IfNotPresent would keep serving a cached module after a re-push of a moving tag like latest. */
export function pullPolicyFor(image: string): 'IfNotPresent' | 'Always' {
  return isMutableTag(parseReference(image).tag) ? 'Always' : 'IfNotPresent';
}

/** istio-wasm.yaml for a new project: the one source of truth later commands read. */
export function projectConfig(values: ScaffoldValues, language: ProjectConfig['language'], module: string): ProjectConfig {
  const wasmPlugin: ProjectConfig['wasmPlugin'] = { namespace: values.namespace };
  if (values.selector) wasmPlugin.selector = { matchLabels: values.selector };
  if (values.targetRef) wasmPlugin.targetRefs = [values.targetRef];
  wasmPlugin.pluginName = values.name;
  wasmPlugin.phase = values.phase as NonNullable<ProjectConfig['wasmPlugin']['phase']>;
  wasmPlugin.priority = values.priority;
  wasmPlugin.failStrategy = values.failStrategy as NonNullable<ProjectConfig['wasmPlugin']['failStrategy']>;
  wasmPlugin.imagePullPolicy = pullPolicyFor(values.image);
  wasmPlugin.pluginConfig = values.pluginConfig;
  wasmPlugin.vmConfig = { env: [] };
  const kind = values.kind === 'TrafficExtension' ? 'TrafficExtension' : 'WasmPlugin';
  return { name: values.name, language, module, image: values.image, istio: { version: values.istioVersion }, kind, wasmPlugin };
}

export function renderProjectFile(config: ProjectConfig): string {
  const header = [
    '# istio-wasm.yaml: the one source of truth for `istio-wasm` commands (build, test, serve, push,',
    '# manifest, deploy, sealos). Flags and the REPO/IMG environment variables override `image`.',
    '# kind: the resource manifest and deploy produce, WasmPlugin or TrafficExtension (Istio 1.30+).',
    '# wasmPlugin holds the plugin\'s spec for either kind (https://istio.io/latest/docs/reference/config/proxy_extensions/wasm-plugin/);',
    '# a TrafficExtension gets selector/targetRefs, phase, priority and match at spec level, the rest under spec.wasm.',
    '# imagePullPolicy: IfNotPresent for immutable tags (and pinned digests), Always for moving tags like latest.',
    '',
  ].join('\n');
  return header + toYaml(config as unknown as Record<string, unknown>);
}

/** The shared layer carries one manifest per kind under deploy/: a project keeps the one of its kind. */
export function keepKindManifest<T extends { path: string }>(files: T[], kind: string): T[] {
  const other = kind === 'TrafficExtension' ? 'deploy/wasmplugin.yaml' : 'deploy/trafficextension.yaml';
  return files.filter((f) => f.path !== other);
}
