import path from 'node:path';
import { CliError } from '../errors.js';
import { formatReference, isMutableTag } from '../oci/reference.js';
import type { PortMatch, TargetRef } from '../project/schema.js';
import { pullSecret } from './pull-secret.js';
import { managedLabels, type ManifestInputs } from './manifest-inputs.js';
import { since, specFieldSince, targetRefGroupRequiredIn, type SpecField } from './versions.js';

/**
 * The plugin as both kinds see it, built once from the gathered inputs: where it applies
 * (placement: at spec level in both kinds) and the module's fields (flat in a WasmPlugin, under
 * `spec.wasm` in a TrafficExtension). Fields the target version lacks are left out here, with a
 * note; what differs between the kinds is the renderers' business.
 */
export interface Placement {
  selector?: { matchLabels: Record<string, string> };
  targetRefs?: TargetRef[];
  /** WasmPlugin spelling (UNSPECIFIED_PHASE); the TrafficExtension renderer maps it. */
  phase?: string;
  priority?: number;
  match?: PortMatch[];
}

export interface PluginParts {
  name: string;
  namespace: string;
  labels: Record<string, string>;
  placement: Placement;
  /** url, sha256, imagePullPolicy, imagePullSecret, failStrategy, pluginName, pluginConfig, vmConfig, type — in that order. */
  module: Record<string, unknown>;
  secret?: { object: Record<string, unknown>; name: string; registry: string };
  notes: string[];
}

export function buildPluginParts(inputs: ManifestInputs): PluginParts {
  const { project, target } = inputs;
  const config = project.config;
  const wp = config.wasmPlugin;
  const notes: string[] = [];
  const has = (field: SpecField) => since(target, specFieldSince[field]);
  const omit = (field: SpecField, consequence: string) =>
    notes.push(`left out ${field}: Istio ${target.text} has no such field (since 1.${specFieldSince[field]}); ${consequence}`);

  const placement: Placement = {};
  if (wp.selector && wp.targetRefs && wp.targetRefs.length > 0) {
    throw new CliError('BAD_CONFIG', `${path.basename(project.configPath)} sets both wasmPlugin.selector and wasmPlugin.targetRefs; a plugin takes one of them`, {
      hint: 'selector for sidecars and classic gateways (istio: ingressgateway), targetRefs for Gateway API gateways',
    });
  }
  if (wp.selector) placement.selector = { matchLabels: { ...wp.selector.matchLabels } };
  else if (wp.targetRefs && wp.targetRefs.length > 0) {
    // An absent group means "" (core); the 1.24 CRD's kinds rule needs it written out.
    const groupNeeded = targetRefGroupRequiredIn.includes(target.minor);
    placement.targetRefs = wp.targetRefs.map((r) => ({ ...(r.group !== undefined || groupNeeded ? { group: r.group ?? '' } : {}), kind: r.kind, name: r.name }));
  } else {
    notes.push(`no selector or targetRefs: the plugin applies to every workload in namespace ${wp.namespace}`);
  }
  if (wp.phase) placement.phase = wp.phase;
  if (wp.priority !== undefined) placement.priority = wp.priority;
  if (wp.match && wp.match.length > 0) {
    if (has('match')) placement.match = wp.match;
    else omit('match', 'the plugin runs on all traffic of the selected workloads, not only the matched ports/modes');
  }

  const module: Record<string, unknown> = {};
  let secret: PluginParts['secret'];
  const image = inputs.image;
  if (inputs.configMap) {
    module.url = inputs.configMap.url;
    notes.push(`the ConfigMap ${inputs.configMap.configMapName} must live in the gateway pod's namespace (${wp.namespace}), and the gateway needs the volume and mount (see the gateway patches)`);
    if (wp.imagePullPolicy || wp.imagePullSecret) notes.push('left out imagePullPolicy/imagePullSecret: they do not apply to a file:// url');
  } else if (image) {
    module.url = `oci://${formatReference(image)}`;
    if (inputs.pin) module.sha256 = inputs.pin.digest.replace(/^sha256:/, '');
    const credentials = inputs.credentials;
    if (credentials && inputs.challenge?.scheme === 'none') {
      notes.push(`${image.registry} allows anonymous pulls: no pull Secret written`);
    } else if (credentials?.identityToken) {
      // A Docker identity token is an OAuth2 refresh token for this machine: the istio-agent reads only user:password from the Secret.
      notes.push(`the credentials for ${image.registry} are a Docker identity token, which the istio-agent cannot use: no pull Secret written (pass --creds USER:PASSWORD or a robot account's login)`);
    } else if (credentials) {
      const name = wp.imagePullSecret ?? `${config.name}-pull`;
      secret = { object: pullSecret({ name, namespace: wp.namespace, registry: image.registry, credentials, labels: managedLabels(config.name) }), name, registry: image.registry };
    }
    const pinned = module.sha256 !== undefined || image.digest !== undefined;
    const configured = wp.imagePullPolicy === 'UNSPECIFIED_POLICY' && pinned ? undefined : wp.imagePullPolicy;
    if (configured) module.imagePullPolicy = configured;
    else if (pinned || !isMutableTag(image.tag)) module.imagePullPolicy = 'IfNotPresent';
    else {
      module.imagePullPolicy = 'Always';
      notes.push(`imagePullPolicy Always: the tag "${image.tag ?? 'latest'}" moves and is not pinned (IfNotPresent would keep running proxies on the old module); pin with --pin or push an immutable tag`);
    }
    const secretName = secret?.name ?? wp.imagePullSecret;
    if (secretName) module.imagePullSecret = secretName;
  }
  if (wp.failStrategy) {
    if (has('failStrategy')) module.failStrategy = wp.failStrategy;
    else omit('failStrategy', `the plugin fails closed${wp.failStrategy === 'FAIL_OPEN' ? ' (not open, as istio-wasm.yaml asks)' : ''}`);
  }
  if (wp.pluginName) module.pluginName = wp.pluginName;
  if (wp.pluginConfig && Object.keys(wp.pluginConfig).length > 0) module.pluginConfig = wp.pluginConfig;
  if (wp.vmConfig?.env && wp.vmConfig.env.length > 0) {
    if (has('vmConfig')) module.vmConfig = { env: wp.vmConfig.env.map((e) => ({ ...e })) };
    else omit('vmConfig', 'the plugin gets no environment variables');
  }
  if (wp.type) {
    if (has('type')) module.type = wp.type;
    else if (wp.type === 'NETWORK') {
      throw new CliError('UNSUPPORTED_FIELD', `Istio ${target.text} has no network (L4) WasmPlugins (type arrived in 1.20)`, { hint: 'target Istio 1.20 or newer' });
    } else omit('type', 'HTTP is what it runs as anyway');
  }
  const parts: PluginParts = { name: config.name, namespace: wp.namespace, labels: managedLabels(config.name), placement, module, notes };
  if (secret) parts.secret = secret;
  return parts;
}
