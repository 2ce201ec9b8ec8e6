import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { writeFileAtomic } from '../util/write-atomic.js';
import { CliError, messageOf } from '../errors.js';
import type { Project } from '../project/load.js';
import { resolveImage } from '../project/image.js';
import { formatReference, isMutableTag, parseReference, type ImageReference } from '../oci/reference.js';
import { checkWasmPlugin, wasmPluginApiVersion, wasmPluginKind, type Problem } from './validate.js';
import { since, specFieldSince, type IstioTarget, type SpecField } from './versions.js';
import { pullSecret } from './pull-secret.js';
import { configMapDelivery, type ConfigMapDelivery } from './configmap-delivery.js';
import { registryTrapVerdict, type RegistryChallenge, type TrapVerdict } from './registry-trap.js';
import { loadTrapContext } from './validate-files.js';
import { readLastPush, recordChallenge } from './project-state.js';

/**
 * `istio-wasm manifest`: the WasmPlugin for this project and target Istio version, from
 * istio-wasm.yaml. Fields the target lacks are left out (and said so); the result is validated
 * before anything is written. `--pin` sets `sha256` to the image manifest digest (from the
 * registry, else the last push) and learns the registry's auth challenge for the registry trap.
 */
export type Delivery = 'oci' | 'configmap';

export interface ManifestRequest {
  project: Project;
  target: IstioTarget;
  image?: string | undefined;
  env?: NodeJS.ProcessEnv;
  pin?: boolean;
  delivery?: Delivery;
  authfile?: string | undefined;
  creds?: string | undefined;
  plainHttp?: boolean | undefined;
  insecure?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

export interface PinResult {
  digest: string;
  source: 'registry' | 'last-push';
  challenge?: RegistryChallenge;
  trap?: TrapVerdict;
}

export interface ManifestResult {
  wasmPlugin: Record<string, unknown>;
  secret?: { object: Record<string, unknown>; name: string; registry: string };
  configMap?: ConfigMapDelivery;
  image?: string;
  pin?: PinResult;
  notes: string[];
  warnings: Problem[];
}

const managedLabels = (name: string) => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'istio-wasm' });

type Spec = Record<string, unknown>;

export async function generateManifest(request: ManifestRequest): Promise<ManifestResult> {
  const { project, target } = request;
  const config = project.config;
  const wp = config.wasmPlugin;
  const delivery = request.delivery ?? 'oci';
  const notes: string[] = [];
  const spec: Spec = {};
  const has = (field: SpecField) => since(target, specFieldSince[field]);
  const omit = (field: SpecField, consequence: string) =>
    notes.push(`left out ${field}: Istio ${target.text} has no such field (since 1.${specFieldSince[field]}); ${consequence}`);

  // Where it applies.
  if (wp.selector && wp.targetRefs && wp.targetRefs.length > 0) {
    throw new CliError('BAD_CONFIG', 'istio-wasm.yaml sets both wasmPlugin.selector and wasmPlugin.targetRefs; a WasmPlugin takes one of them', {
      hint: 'selector for sidecars and classic gateways (istio: ingressgateway), targetRefs for Gateway API gateways',
    });
  }
  if (wp.selector) spec.selector = { matchLabels: { ...wp.selector.matchLabels } };
  else if (wp.targetRefs && wp.targetRefs.length > 0) {
    const refs = wp.targetRefs.map((r) => ({ ...(r.group !== undefined ? { group: r.group } : {}), kind: r.kind, name: r.name }));
    if (has('targetRefs')) spec.targetRefs = refs;
    else if (has('targetRef') && refs.length === 1) {
      spec.targetRef = refs[0];
      notes.push(`wrote targetRefs as targetRef: Istio ${target.text} has only the single targetRef (targetRefs arrived in 1.22)`);
    } else {
      // Leaving it out would apply the plugin to every workload in the namespace: refuse.
      throw new CliError('UNSUPPORTED_FIELD', `Istio ${target.text} cannot target ${refs.length === 1 ? 'a Gateway API resource' : `${refs.length} targets`} (targetRef arrived in 1.20, targetRefs in 1.22)`, {
        hint: 'use wasmPlugin.selector.matchLabels for this Istio version, or target a newer one with --istio-version',
      });
    }
  } else {
    notes.push(`no selector or targetRefs: the plugin applies to every workload in namespace ${wp.namespace}`);
  }

  // The module: an image, or a ConfigMap mounted into the gateway.
  let imageRef: ImageReference | undefined;
  let configMap: ConfigMapDelivery | undefined;
  let pin: PinResult | undefined;
  let secret: ManifestResult['secret'];
  if (delivery === 'configmap') {
    const modulePath = path.resolve(project.root, config.module);
    let module: Uint8Array;
    try {
      module = await readFile(modulePath);
    } catch (error) {
      throw new CliError('NO_MODULE', `cannot read the module ${path.relative(process.cwd(), modulePath) || modulePath}: ${messageOf(error)}`, { hint: 'build it first: istio-wasm build' });
    }
    configMap = configMapDelivery({ name: config.name, namespace: wp.namespace, module, labels: managedLabels(config.name) });
    spec.url = configMap.url;
    if (request.pin) notes.push('--pin does not apply to --delivery configmap (sha256 is ignored for file:// urls)');
    notes.push(`the ConfigMap ${configMap.configMapName} must live in the gateway pod's namespace (${wp.namespace}), and the gateway needs the volume and mount (see the gateway patches)`);
  } else {
    const resolved = resolveImage({ flag: request.image, env: request.env ?? process.env, config: config.image });
    imageRef = resolved.reference;
    spec.url = `oci://${formatReference(imageRef)}`;
    if (request.pin) {
      pin = await pinImage(request, imageRef, notes);
      spec.sha256 = pin.digest.replace(/^sha256:/, '');
    }
    const { loadCredentials } = await import('../oci/auth-files.js');
    // registry/repository, as push reads them: auth.json keys may name a namespace (`ghcr.io/acme`).
    const credentials = await loadCredentials(`${imageRef.registry}/${imageRef.repository}`, {
      ...(request.authfile ? { authfile: request.authfile } : {}),
      ...(request.creds ? { creds: request.creds } : {}),
      ...(request.env ? { env: request.env } : {}),
    });
    if (credentials && pin?.challenge?.scheme === 'none') {
      notes.push(`${imageRef.registry} allows anonymous pulls: no pull Secret written`);
    } else if (credentials?.identityToken) {
      // A Docker identity token is an OAuth2 refresh token for this machine: the istio-agent reads only user:password from the Secret.
      notes.push(`the credentials for ${imageRef.registry} are a Docker identity token, which the istio-agent cannot use: no pull Secret written (pass --creds USER:PASSWORD or a robot account's login)`);
    } else if (credentials) {
      const name = wp.imagePullSecret ?? `${config.name}-pull`;
      secret = { object: pullSecret({ name, namespace: wp.namespace, registry: imageRef.registry, credentials, labels: managedLabels(config.name) }), name, registry: imageRef.registry };
    }
  }

  if (delivery === 'oci' && imageRef) {
    const pinned = spec.sha256 !== undefined || imageRef.digest !== undefined;
    if (wp.imagePullPolicy) spec.imagePullPolicy = wp.imagePullPolicy;
    else if (pinned || !isMutableTag(imageRef.tag)) spec.imagePullPolicy = 'IfNotPresent';
    else {
      spec.imagePullPolicy = 'Always';
      notes.push(`imagePullPolicy Always: the tag "${imageRef.tag ?? 'latest'}" moves and is not pinned (IfNotPresent would keep running proxies on the old module); pin with --pin or push an immutable tag`);
    }
    const secretName = secret?.name ?? wp.imagePullSecret;
    if (secretName) spec.imagePullSecret = secretName;
  } else if (wp.imagePullPolicy || wp.imagePullSecret) {
    notes.push('left out imagePullPolicy/imagePullSecret: they do not apply to a file:// url');
  }

  if (wp.phase) spec.phase = wp.phase;
  if (wp.priority !== undefined) spec.priority = wp.priority;
  if (wp.failStrategy) {
    if (has('failStrategy')) spec.failStrategy = wp.failStrategy;
    else omit('failStrategy', `the plugin fails closed${wp.failStrategy === 'FAIL_OPEN' ? ' (not open, as istio-wasm.yaml asks)' : ''}`);
  }
  if (wp.pluginName) spec.pluginName = wp.pluginName;
  if (wp.pluginConfig && Object.keys(wp.pluginConfig).length > 0) spec.pluginConfig = wp.pluginConfig;
  if (wp.vmConfig?.env && wp.vmConfig.env.length > 0) {
    if (has('vmConfig')) spec.vmConfig = { env: wp.vmConfig.env.map((e) => ({ ...e })) };
    else omit('vmConfig', 'the plugin gets no environment variables');
  }
  if (wp.match && wp.match.length > 0) {
    if (has('match')) spec.match = wp.match;
    else omit('match', 'the plugin runs on all traffic of the selected workloads, not only the matched ports/modes');
  }
  if (wp.type) {
    if (has('type')) spec.type = wp.type;
    else if (wp.type === 'NETWORK') {
      throw new CliError('UNSUPPORTED_FIELD', `Istio ${target.text} has no network (L4) WasmPlugins (type arrived in 1.20)`, { hint: 'target Istio 1.20 or newer' });
    } else omit('type', 'HTTP is what it runs as anyway');
  }

  const wasmPlugin = {
    apiVersion: wasmPluginApiVersion,
    kind: wasmPluginKind,
    metadata: { name: config.name, namespace: wp.namespace, labels: managedLabels(config.name) },
    spec,
  };

  // Validate what we are about to write, with the project's trap context.
  const context = await loadTrapContext({ project, hosts: imageRef ? [imageRef.registry] : [], authfile: request.authfile });
  if (pin?.challenge && imageRef) context.challenges?.set(imageRef.registry, pin.challenge);
  const { errors, warnings } = checkWasmPlugin(wasmPlugin, target, context);
  if (errors.length > 0) {
    throw new CliError('MANIFEST_INVALID', `the WasmPlugin generated from istio-wasm.yaml is not valid for Istio ${target.text}:\n${errors.map((e) => `  ${e.path}: ${e.message}`).join('\n')}`, {
      hint: `fix wasmPlugin in ${path.basename(project.configPath)} or choose another --istio-version; nothing was written`,
    });
  }
  const result: ManifestResult = { wasmPlugin, notes, warnings };
  if (secret) result.secret = secret;
  if (configMap) result.configMap = configMap;
  if (imageRef) result.image = formatReference(imageRef);
  if (pin) result.pin = pin;
  return result;
}

function sameImage(a: string, b: ImageReference): boolean {
  try {
    const ref = parseReference(a);
    return ref.registry === b.registry && ref.repository === b.repository && (ref.tag ?? 'latest') === (b.tag ?? 'latest');
  } catch {
    return false;
  }
}

async function pinImage(request: ManifestRequest, ref: ImageReference, notes: string[]): Promise<PinResult> {
  const { resolveManifestDigest } = await import('../oci/resolve.js');
  const lastPush = await readLastPush(request.project.root);
  const fromLastPush = lastPush && sameImage(lastPush.image, ref) ? lastPush : undefined;
  let resolved: Awaited<ReturnType<typeof resolveManifestDigest>>;
  try {
    resolved = await resolveManifestDigest(ref, {
      ...(request.authfile ? { authfile: request.authfile } : {}),
      ...(request.creds ? { creds: request.creds } : {}),
      ...(request.plainHttp ? { plainHttp: true } : {}),
      ...(request.insecure ? { insecure: true } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    });
  } catch (error) {
    if (request.signal?.aborted) throw error;
    // Only when the registry cannot be reached: a refusal (auth, not found) must not be papered over.
    const unreachable = error instanceof CliError && ['REGISTRY_TIMEOUT', 'REGISTRY_UNREACHABLE', 'REGISTRY_DNS', 'REGISTRY_NETWORK'].includes(error.code);
    if (!fromLastPush || !unreachable) throw error;
    notes.push(
      `could not reach ${ref.registry} (${messageOf(error).split('\n')[0]}); pinned to the digest recorded by the last push${fromLastPush.pushedAt ? ` at ${fromLastPush.pushedAt}` : ''}. The registry's auth challenge is unknown, so the registry-trap check was skipped`,
    );
    return { digest: fromLastPush.digest, source: 'last-push' };
  }
  if (fromLastPush && fromLastPush.digest !== resolved.digest) {
    notes.push(`the registry's ${ref.tag ?? 'latest'} (${resolved.digest}) is not what the last push recorded (${fromLastPush.digest}): someone pushed since; pinned to the registry's`);
  }
  const challenge = resolved.challenge;
  await recordChallenge(request.project.root, ref.registry, challenge).catch(() => undefined);
  const trap = registryTrapVerdict(challenge, request.target, ref.registry);
  return { digest: resolved.digest, source: 'registry', challenge, trap };
}

/** YAML for a set of objects, one document each. */
export function toYaml(objects: Array<Record<string, unknown>>, header?: string): string {
  const body = objects.map((o) => stringify(o, { lineWidth: 0 })).join('---\n');
  return header ? `${header.split('\n').map((l) => `# ${l}`).join('\n')}\n${body}` : body;
}

export interface WrittenFiles {
  wasmPlugin?: string;
  secret?: string;
  configMap?: string;
  injectedPatch?: string;
  classicPatch?: string;
}

function writeAtomic(file: string, text: string, mode?: number): Promise<void> {
  return writeFileAtomic(file, text, mode === undefined ? {} : { mode });
}

/**
 * Writes the WasmPlugin to `output` ('-' = not written; the caller prints it), the Secret to
 * `secretPath` (mode 0600), and the ConfigMap delivery's objects beside the WasmPlugin.
 */
export async function writeManifestFiles(result: ManifestResult, options: { output: string | '-'; secretPath: string; dir: string; target: IstioTarget }): Promise<WrittenFiles> {
  const written: WrittenFiles = {};
  const header = `Generated by istio-wasm manifest for Istio ${options.target.text}; validated against its WasmPlugin CRD and istiod rules.\nRe-run \`istio-wasm manifest\` after changing istio-wasm.yaml instead of editing this file.`;
  if (options.output !== '-') {
    await writeAtomic(options.output, toYaml([result.wasmPlugin], header));
    written.wasmPlugin = options.output;
  }
  if (result.secret) {
    await writeAtomic(options.secretPath, toYaml([result.secret.object], `Pull Secret for ${result.secret.registry}. Holds credentials: keep it out of git (mode 0600).`), 0o600);
    written.secret = options.secretPath;
  }
  if (result.configMap) {
    const cm = result.configMap;
    written.configMap = path.join(options.dir, 'wasm-configmap.yaml');
    await writeAtomic(written.configMap, toYaml([cm.configMap], `The plugin module (${cm.moduleBytes} bytes) as a ConfigMap, mounted into the gateway at ${cm.mountPath}.`));
    written.injectedPatch = path.join(options.dir, 'gateway-patch-injected.yaml');
    await writeAtomic(
      written.injectedPatch,
      toYaml([cm.injectedPatch], `For a gateway Deployment with injected pods (helm gateway chart, Gateway API): adds the volume and mount via annotations.\nkubectl -n <namespace> patch deployment <gateway> --patch-file ${path.basename(written.injectedPatch)}\nThis replaces existing sidecar.istio.io/userVolume(Mount) annotations: merge them by hand if you have any.`),
    );
    written.classicPatch = path.join(options.dir, 'gateway-patch-classic.yaml');
    await writeAtomic(
      written.classicPatch,
      toYaml([cm.classicPatch], `For a classic istio-ingressgateway Deployment (istio-proxy container in its spec): a strategic-merge patch.\nkubectl -n <namespace> patch deployment istio-ingressgateway --patch-file ${path.basename(written.classicPatch)}`),
    );
  }
  return written;
}
