import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from '../errors.js';
import type { Project } from '../project/load.js';
import type { BuiltImage } from '../oci/image.js';
import { formatReference, hostName, type ImageReference } from '../oci/reference.js';
import { generateManifest, toYaml } from '../istio/manifest.js';
import { kindFacts, type PluginKind } from '../istio/kinds.js';
import type { IstioTarget } from '../istio/versions.js';
import type { RegistryChallenge } from '../istio/registry-trap.js';
import { registryTreeFiles } from './registry-tree.js';
import type { DeliveryChoice } from './delivery.js';

/**
 * The application cluster image's context, in memory: the Kubefile, `manifests/` (what the CMD
 * applies), `patches/` (ConfigMap delivery only), `registry/` (the wasm image in the registry's
 * storage layout, which `sealos run` syncs into the cluster registry) and `images/shim/wasmImage`
 * (the line `sealos build` reads to collect the same image itself). Only what the Kubefile COPYs
 * goes into the image.
 */
export const defaultClusterRegistry = 'sealos.hub:5000';

export interface ContextFile {
  path: string;
  data: Uint8Array;
  /** Part of the image's filesystem (COPY'd by the Kubefile). */
  inImage: boolean;
}

export interface ClusterContext {
  files: ContextFile[];
  kubefile: string;
  cmd: string[];
  env: Array<[string, string]>;
  labels: Record<string, string>;
  delivery: DeliveryChoice;
  /** The project's kind: a WasmPlugin, or a TrafficExtension (Istio 1.30+). */
  kind: PluginKind;
  resource: Record<string, unknown>;
  /** Names of the manifests written (relative to the context). */
  manifests: string[];
  secret?: { name: string; registry: string };
  serviceEntry?: { name: string; host: string };
  configMap?: { name: string; gatewayDeployment: string; gatewayPatch: 'classic' | 'injected' };
  notes: string[];
  warnings: string[];
}

export interface ContextRequest {
  project: Project;
  target: IstioTarget;
  wasmRef: ImageReference & { tag: string };
  wasmImage: BuiltImage;
  challenge: RegistryChallenge | undefined;
  delivery: DeliveryChoice;
  clusterRegistry?: string | undefined;
  registryIp?: string | undefined;
  authfile?: string | undefined;
  creds?: string | undefined;
}

const encoder = new TextEncoder();
const text = (s: string) => encoder.encode(s);
const appLabels = (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'istio-wasm' });

/** Whether the wasm image's registry is the cluster's own (sealos.hub, or the --cluster-registry given). */
export function isClusterRegistry(registry: string, clusterRegistry = defaultClusterRegistry): boolean {
  return hostName(registry).toLowerCase() === hostName(clusterRegistry).toLowerCase();
}

function registryPort(registry: string): number {
  const host = hostName(registry);
  const rest = registry.slice(host.length);
  const port = Number(rest.replace(/^:/, ''));
  return Number.isInteger(port) && port > 0 ? port : 443;
}

/**
 * The ServiceEntry that gives the gateway's istio-agent a route to the cluster registry's name:
 * `sealos.hub` lives only in each node's /etc/hosts. A sealos template (`.tmpl`, rendered by
 * `sealos run` from the image's ENV and `-e`), because the registry node's IP is only known there.
 */
function serviceEntryTemplate(name: string, namespace: string, registry: string): string {
  const host = hostName(registry);
  const port = registryPort(registry);
  return [
    `# Rendered by \`sealos run\` (REGISTRY_IP from the image's ENV, or \`sealos run -e REGISTRY_IP=<registry node IP>\`).`,
    `# Makes ${host} resolvable for the istio-agent that pulls the plugin (${host} is only in the nodes' /etc/hosts).`,
    'apiVersion: networking.istio.io/v1beta1',
    'kind: ServiceEntry',
    'metadata:',
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    '  labels:',
    ...Object.entries(appLabels(name)).map(([k, v]) => `    ${k}: ${v}`),
    'spec:',
    '  hosts:',
    `    - ${host}`,
    '  location: MESH_EXTERNAL',
    '  resolution: STATIC',
    '  ports:',
    `    - number: ${port}`,
    '      name: tcp-registry',
    '      protocol: TCP',
    '  endpoints:',
    '    - address: "{{ .REGISTRY_IP }}"',
    '',
  ].join('\n');
}

function gatewayDefaults(project: Project): { deployment: string; patch: 'classic' | 'injected' } {
  const wp = project.config.wasmPlugin;
  const gatewayRef = wp.targetRefs?.find((r) => r.kind === 'Gateway');
  // Istio names the Deployment of a Gateway API gateway <name>-<class>; the default class is istio.
  if (gatewayRef) return { deployment: `${gatewayRef.name}-istio`, patch: 'injected' };
  const istioLabel = wp.selector?.matchLabels.istio;
  return { deployment: istioLabel ? `istio-${istioLabel}` : 'istio-ingressgateway', patch: 'classic' };
}

/** The user's own manifests in deploy/manifests/ (a Gateway, a VirtualService), shipped beside ours. */
async function userManifests(project: Project, generated: Set<string>): Promise<ContextFile[]> {
  const dir = path.join(project.root, 'deploy', 'manifests');
  let names: string[];
  try {
    names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isFile()).map((e) => e.name);
  } catch {
    return [];
  }
  const out: ContextFile[] = [];
  for (const name of names.sort()) {
    if (!/\.(ya?ml|json)(\.tmpl)?$/.test(name) || generated.has(name)) continue;
    out.push({ path: `manifests/${name}`, data: new Uint8Array(await readFile(path.join(dir, name))), inImage: true });
  }
  return out;
}

function kubefileText(options: { env: Array<[string, string]>; labels: Record<string, string>; copies: string[]; cmd: string[] }): string {
  const lines = [
    '# Generated by `istio-wasm sealos build`: the application cluster image `sealos run` applies.',
    '# Edit istio-wasm.yaml (or add manifests to deploy/manifests/) and build again instead of editing this file.',
    'FROM scratch',
    ...Object.entries(options.labels).map(([k, v]) => `LABEL ${k}=${JSON.stringify(v)}`),
    ...options.env.map(([k, v]) => `ENV ${k}=${JSON.stringify(v)}`),
    ...options.copies.map((dir) => `COPY ${dir} ./${dir}`),
    `CMD ${JSON.stringify(options.cmd)}`,
  ];
  return `${lines.join('\n')}\n`;
}

export async function clusterContext(request: ContextRequest): Promise<ClusterContext> {
  const { project, target, wasmRef, wasmImage, delivery } = request;
  const config = project.config;
  const namespace = config.wasmPlugin.namespace;
  const clusterRegistry = request.clusterRegistry ?? defaultClusterRegistry;
  const notes: string[] = [];
  const warnings: string[] = [];
  const files: ContextFile[] = [];
  const manifests: string[] = [];
  const env: Array<[string, string]> = [];
  const labels: Record<string, string> = { 'sealos.io.type': 'application' };
  const cmd = ['kubectl apply -f manifests/'];
  const copies = ['manifests', 'registry'];
  const addManifest = (name: string, body: string) => {
    manifests.push(name);
    files.push({ path: `manifests/${name}`, data: text(body), inImage: true });
  };
  const digest = wasmImage.manifest.descriptor.digest;
  const result = await generateManifest({
    project,
    target,
    // The image is given, so REPO/IMG are not read again; the environment still locates auth files.
    image: formatReference(wasmRef),
    env: process.env,
    // Pinned to the manifest digest of the image in registry/ (the same bytes as the pushed image),
    // so IfNotPresent is safe even for a moving tag like latest: a new push is a new digest.
    ...(delivery.delivery === 'oci' ? { digest } : {}),
    challenge: request.challenge,
    delivery: delivery.delivery,
    authfile: request.authfile,
    creds: request.creds,
  });
  const { kind, resource } = result;
  const context: Partial<ClusterContext> = {};
  const header = (what: string) => `${what}\nGenerated by istio-wasm sealos build for Istio ${target.text} (${delivery.delivery} delivery).`;

  if (delivery.delivery === 'oci') {
    if (result.secret) {
      addManifest('pull-secret.yaml', toYaml([result.secret.object], header(`Pull Secret for ${result.secret.registry} (type kubernetes.io/dockerconfigjson).`)));
      context.secret = { name: result.secret.name, registry: result.secret.registry };
      warnings.push(`the cluster image carries the pull Secret ${result.secret.name} for ${result.secret.registry} (its credentials): push it only to a registry as private as that one`);
    } else if (request.challenge && request.challenge.scheme !== 'none') {
      warnings.push(`no credentials for ${wasmRef.registry} are configured, but it asks for ${request.challenge.scheme === 'basic' ? 'Basic auth' : 'a token'}: the agent's pull will fail. Log in first (\`istio-wasm login ${wasmRef.registry}\` or \`sealos login ${wasmRef.registry}\`) and build again`);
    }
    if (isClusterRegistry(wasmRef.registry, clusterRegistry)) {
      const name = `${config.name}-registry`;
      addManifest('registry-serviceentry.yaml.tmpl', serviceEntryTemplate(name, namespace, wasmRef.registry));
      context.serviceEntry = { name, host: hostName(wasmRef.registry) };
      if (request.registryIp) env.push(['REGISTRY_IP', request.registryIp]);
      else notes.push(`the ServiceEntry for ${hostName(wasmRef.registry)} needs the registry node's IP: run \`sealos run -e REGISTRY_IP=<IP> …\`, or build with --registry-ip`);
    }
  } else {
    const cm = result.configMap;
    if (!cm) throw new CliError('INTERNAL', 'the ConfigMap delivery produced no ConfigMap');
    addManifest('wasm-configmap.yaml', toYaml([cm.configMap], header(`The plugin module (${cm.moduleBytes} bytes) as a ConfigMap, mounted into the gateway at ${cm.mountPath}.`)));
    const gateway = gatewayDefaults(project);
    env.push(['GATEWAY_DEPLOYMENT', gateway.deployment], ['GATEWAY_PATCH', gateway.patch]);
    files.push({ path: 'patches/gateway-classic.yaml', data: text(toYaml([cm.classicPatch], 'Strategic-merge patch for a classic istio-ingressgateway Deployment (istio-proxy container in its spec).')), inImage: true });
    files.push({ path: 'patches/gateway-injected.yaml', data: text(toYaml([cm.injectedPatch], 'Patch for a gateway Deployment with injected pods (helm gateway chart, Gateway API): volume and mount via annotations.')), inImage: true });
    copies.push('patches');
    // sealos expands $(VAR) in CMD from the image's ENV and `sealos run -e`.
    cmd.push(`kubectl -n ${namespace} patch deployment $(GATEWAY_DEPLOYMENT) --patch-file patches/gateway-$(GATEWAY_PATCH).yaml`);
    context.configMap = { name: cm.configMapName, gatewayDeployment: gateway.deployment, gatewayPatch: gateway.patch };
    notes.push(`the gateway Deployment ${namespace}/${gateway.deployment} gets the volume (${gateway.patch} patch); change it with \`sealos run -e GATEWAY_DEPLOYMENT=<name> -e GATEWAY_PATCH=classic|injected …\``);
  }
  // generateManifest validated it, pinned, for the target.
  addManifest(kindFacts[kind].file, toYaml([resource], header(`${kind} ${config.name}; validated against Istio ${target.text}'s CRD and istiod rules.`)));
  for (const note of result.notes) notes.push(note);
  files.push(...(await userManifests(project, new Set(manifests))));
  for (const file of registryTreeFiles(wasmImage, wasmRef.repository, wasmRef.tag)) files.push({ path: `registry/${file.path}`, data: file.data, inImage: true });
  files.push({ path: 'images/shim/wasmImage', data: text(`${formatReference(wasmRef)}\n`), inImage: false });
  const kubefile = kubefileText({ env, labels, copies, cmd });
  files.push({ path: 'Kubefile', data: text(kubefile), inImage: false });
  return { files, kubefile, cmd, env, labels, delivery, kind, resource, manifests, notes, warnings, ...context };
}
