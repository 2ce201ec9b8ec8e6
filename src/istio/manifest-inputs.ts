import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError, messageOf } from '../errors.js';
import type { Project } from '../project/load.js';
import { resolveImage } from '../project/image.js';
import type { Credentials } from '../oci/auth-files.js';
import type { LastPush } from '../oci/last-push.js';
import { parseReference, type ImageReference } from '../oci/reference.js';
import { configMapDelivery, type ConfigMapDelivery } from './configmap-delivery.js';
import { registryTrapVerdict, type RegistryChallenge, type TrapVerdict } from './registry-trap.js';
import { readChallenges, readLastPush, recordChallenge } from './project-state.js';
import type { TrapContext } from './traps.js';
import { sha256Hex } from '../util/sha256.js';
import type { IstioTarget } from './versions.js';

/**
 * Everything a manifest is made from, gathered once: the image, its credentials (the auth files
 * are read once), the registry's digest and challenge (one round trip), the last push, the module
 * (for the ConfigMap delivery) and the trap context validation reads. Every kind is rendered from
 * these; nothing downstream looks any of it up again.
 */
export type Delivery = 'oci' | 'configmap';

export interface ManifestRequest {
  project: Project;
  target: IstioTarget;
  image?: string | undefined;
  env?: NodeJS.ProcessEnv;
  pin?: boolean;
  /** A manifest digest already known (the image built for a cluster image): pinned without asking the registry. */
  digest?: string | undefined;
  /** The registry's challenge when already known (learnt by a push), for the pull Secret and the trap check. */
  challenge?: RegistryChallenge | undefined;
  delivery?: Delivery;
  authfile?: string | undefined;
  creds?: string | undefined;
  plainHttp?: boolean | undefined;
  insecure?: boolean | undefined;
  signal?: AbortSignal | undefined;
}

export interface PinResult {
  digest: string;
  source: 'registry' | 'last-push' | 'built';
  challenge?: RegistryChallenge;
  trap?: TrapVerdict;
}

export interface ManifestInputs {
  project: Project;
  target: IstioTarget;
  delivery: Delivery;
  /** The image pulled by the oci delivery. */
  image?: ImageReference;
  /** Credentials found for the image (undefined: anonymous). */
  credentials?: Credentials;
  /** The registry's auth challenge, from the pin or as given. */
  challenge?: RegistryChallenge;
  pin?: PinResult;
  lastPush?: LastPush;
  configMap?: ConfigMapDelivery;
  /** What validation needs for its run-time warnings. */
  trapContext: TrapContext;
  notes: string[];
}

export const managedLabels = (name: string): Record<string, string> => ({ 'app.kubernetes.io/name': name, 'app.kubernetes.io/managed-by': 'istio-wasm' });

export async function gatherManifestInputs(request: ManifestRequest): Promise<ManifestInputs> {
  const { project, target } = request;
  const config = project.config;
  const delivery = request.delivery ?? 'oci';
  const notes: string[] = [];
  const lastPush = await readLastPush(project.root);
  const trapContext: TrapContext = { manifestDigests: new Map(), moduleDigests: new Map(), challenges: await readChallenges(project.root), credentialHosts: new Map() };
  if (lastPush) trapContext.manifestDigests?.set(lastPush.digest.replace(/^sha256:/, ''), `the last push (${lastPush.image})`);
  const modulePath = path.resolve(project.root, config.module);
  const moduleName = path.relative(project.root, modulePath) || modulePath;
  let module: Uint8Array | undefined;
  try {
    module = await readFile(modulePath);
    trapContext.moduleDigests?.set(sha256Hex(module), moduleName);
  } catch (error) {
    if (delivery === 'configmap') {
      throw new CliError('NO_MODULE', `cannot read the module ${path.relative(process.cwd(), modulePath) || modulePath}: ${messageOf(error)}`, { hint: 'build it first: istio-wasm build' });
    }
  }
  const inputs: ManifestInputs = { project, target, delivery, trapContext, notes };
  if (lastPush) inputs.lastPush = lastPush;

  if (delivery === 'configmap') {
    inputs.configMap = configMapDelivery({ name: config.name, namespace: config.wasmPlugin.namespace, module: module as Uint8Array, labels: managedLabels(config.name) });
    if (request.pin) notes.push('--pin does not apply to --delivery configmap (sha256 is ignored for file:// urls)');
    return inputs;
  }

  const ref = resolveImage({ flag: request.image, env: request.env ?? process.env, config: config.image }).reference;
  inputs.image = ref;
  const { loadCredentials } = await import('../oci/auth-files.js');
  // registry/repository, as push reads them: auth.json keys may name a namespace (`ghcr.io/acme`).
  const credentials = await loadCredentials(`${ref.registry}/${ref.repository}`, {
    ...(request.authfile ? { authfile: request.authfile } : {}),
    ...(request.creds ? { creds: request.creds } : {}),
    ...(request.env ? { env: request.env } : {}),
  });
  if (credentials) {
    inputs.credentials = credentials;
    trapContext.credentialHosts?.set(ref.registry, request.authfile ?? (request.creds ? '--creds' : 'your registry auth files'));
  }
  if (request.challenge) inputs.challenge = request.challenge;
  if (request.digest) {
    inputs.pin = { digest: request.digest, source: 'built', ...(request.challenge ? { challenge: request.challenge } : {}) };
  } else if (request.pin) {
    inputs.pin = await pinImage(request, ref, credentials, lastPush, notes);
    if (inputs.pin.challenge) inputs.challenge = inputs.pin.challenge;
  }
  if (inputs.challenge) trapContext.challenges?.set(ref.registry, inputs.challenge);
  return inputs;
}

function sameImage(a: string, b: ImageReference): boolean {
  try {
    const ref = parseReference(a);
    return ref.registry === b.registry && ref.repository === b.repository && (ref.tag ?? 'latest') === (b.tag ?? 'latest');
  } catch {
    return false;
  }
}

async function pinImage(request: ManifestRequest, ref: ImageReference, credentials: Credentials | undefined, lastPush: LastPush | undefined, notes: string[]): Promise<PinResult> {
  const { resolveManifestDigest } = await import('../oci/resolve.js');
  const fromLastPush = lastPush && sameImage(lastPush.image, ref) ? lastPush : undefined;
  let resolved: Awaited<ReturnType<typeof resolveManifestDigest>>;
  try {
    resolved = await resolveManifestDigest(ref, {
      credentials: credentials ?? null,
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
