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
  return { name: values.name, language, module, image: values.image, istio: { version: values.istioVersion }, wasmPlugin };
}

export function renderProjectFile(config: ProjectConfig): string {
  const header = [
    '# istio-wasm.yaml: the one source of truth for `istio-wasm` commands (build, test, serve, push,',
    '# manifest, deploy, sealos). Flags and the REPO/IMG environment variables override `image`.',
    '# wasmPlugin holds the WasmPlugin spec (https://istio.io/latest/docs/reference/config/proxy_extensions/wasm-plugin/).',
    '# imagePullPolicy: IfNotPresent for immutable tags (and pinned digests), Always for moving tags like latest.',
    '',
  ].join('\n');
  return header + toYaml(config as unknown as Record<string, unknown>);
}
