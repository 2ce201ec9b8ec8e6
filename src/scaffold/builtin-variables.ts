import { defaultIstioVersion, istioVersions } from '../versions.js';
import { failStrategies, phases, resourceKinds } from '../project/schema.js';
import type { TemplateVariable } from './manifest.js';

/**
 * The values every template gets, with the flag that sets each. Described the same way as a
 * template's own variables so that `--list-templates --json` can drive a wizard form.
 */
export interface BuiltinVariable extends TemplateVariable {
  /** Long flag that sets it, e.g. `--fail-strategy`. */
  flag: string;
  /** Key in a `--values` file. */
  key: string;
}

export const examplePluginConfig = { protectedPrefix: '/v2', credentialHeader: 'authorization' };

export const builtinVariables: BuiltinVariable[] = [
  { name: 'name', key: 'name', flag: '--name', prompt: 'Plugin name', type: 'string', pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$',
    help: 'DNS-1123 label: the WasmPlugin name, image name and default root id (defaults to the directory name)' },
  { name: 'namespace', key: 'namespace', flag: '--namespace', prompt: 'Namespace of the WasmPlugin', type: 'string', default: 'istio-system',
    pattern: '^[a-z0-9]([-a-z0-9]*[a-z0-9])?$', help: 'where the WasmPlugin (and its pull Secret) live; istio-system for the ingress gateway' },
  { name: 'selector', key: 'selector', flag: '--selector', prompt: 'Workload selector labels (k=v,...)', type: 'string', default: 'istio=ingressgateway',
    help: 'selector.matchLabels of the workloads to run on; leave empty and set --target-ref to attach to a Gateway instead' },
  { name: 'targetRef', key: 'targetRef', flag: '--target-ref', prompt: 'Gateway to attach to (Kind/name), instead of a selector', type: 'string',
    pattern: '^([A-Za-z][-A-Za-z0-9]*/)?[a-z0-9]([-a-z0-9.]*[a-z0-9])?$', help: 'e.g. Gateway/my-gateway (group gateway.networking.k8s.io); replaces the selector' },
  { name: 'phase', key: 'phase', flag: '--phase', prompt: 'Filter chain phase', type: 'choice', choices: [...phases], default: 'AUTHN',
    help: 'AUTHN runs before Istio authentication, AUTHZ before authorization, STATS before stats' },
  { name: 'priority', key: 'priority', flag: '--priority', prompt: 'Priority within the phase', type: 'string', default: '10', pattern: '^-?[0-9]+$',
    help: 'higher runs first among plugins of the same phase' },
  { name: 'failStrategy', key: 'failStrategy', flag: '--fail-strategy', prompt: 'When the plugin fails', type: 'choice', choices: [...failStrategies], default: 'FAIL_CLOSE',
    help: 'FAIL_CLOSE answers 5xx, FAIL_OPEN bypasses the plugin, FAIL_RELOAD (Istio 1.27+) restarts it' },
  { name: 'pluginConfig', key: 'pluginConfig', flag: '--plugin-config', prompt: 'Plugin configuration (JSON)', type: 'json', default: examplePluginConfig,
    help: 'a JSON object (or @file) handed to the plugin as its configuration; never put credentials here' },
  { name: 'image', key: 'image', flag: '--image', prompt: 'Image to push (registry/repo:tag)', type: 'string',
    help: 'OCI reference; defaults to $REPO/$IMG when set, else localhost:5000/wasm/<name>:v0.1.0' },
  { name: 'istioVersion', key: 'istioVersion', flag: '--istio-version', prompt: 'Target Istio version', type: 'choice', choices: [...istioVersions], default: defaultIstioVersion,
    help: 'manifests are generated and validated for this version' },
  { name: 'kind', key: 'kind', flag: '--kind', prompt: 'Resource to deploy the plugin as', type: 'choice', choices: [...resourceKinds], default: 'WasmPlugin',
    help: 'WasmPlugin (every Istio version) or TrafficExtension (Istio 1.30+, which supersedes WasmPlugin); manifest --kind renders the other one from the same istio-wasm.yaml' },
];
