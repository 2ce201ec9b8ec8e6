import path from 'node:path';
import { CliError } from '../errors.js';
import type { Project } from '../project/load.js';
import { resolveImage } from '../project/image.js';
import { buildImage, type BuiltImage } from '../oci/image.js';
import { formatReference, type ImageReference } from '../oci/reference.js';
import { readModuleFile } from '../oci/module-file.js';
import type { RemoteOptions } from '../oci/session.js';
import { parseIstioVersion, type IstioTarget } from '../istio/versions.js';
import type { RegistryChallenge } from '../istio/registry-trap.js';
import { clusterReference } from './cluster-reference.js';
import { chooseDelivery, knownChallenge, type ChallengeSource, type DeliveryChoice } from './delivery.js';
import { clusterContext, type ClusterContext } from './context.js';
import { buildClusterImage, writeClusterImage, writeContextDir } from './cluster-image.js';

/**
 * `istio-wasm sealos build|push`: the application cluster image for `sealos run`, made from the
 * project's module and istio-wasm.yaml by this tool's own OCI code (no sealos, no Docker engine).
 */
export interface SealosRequest extends RemoteOptions {
  project: Project;
  cwd: string;
  image?: string | undefined;
  env?: NodeJS.ProcessEnv;
  clusterImage?: string | undefined;
  istioVersion?: string | undefined;
  clusterRegistry?: string | undefined;
  registryIp?: string | undefined;
}

export interface PreparedClusterImage {
  target: IstioTarget;
  wasmRef: ImageReference & { tag: string };
  clusterRef: ImageReference & { tag: string };
  wasmImage: BuiltImage;
  moduleFile: string;
  challenge: RegistryChallenge | undefined;
  challengeSource: ChallengeSource;
  context: ClusterContext;
  image: BuiltImage;
  contextDir: string;
}

export const contextDirName = path.join('build', 'sealos', 'context');
export const defaultLayoutDir = path.join('build', 'sealos', 'cluster-image');

function withTag(ref: ImageReference, what: string): ImageReference & { tag: string } {
  if (!ref.tag && ref.digest) {
    throw new CliError('IMAGE_NEEDS_TAG', `${what} ${formatReference(ref)} has a digest but no tag; the cluster registry stores the plugin under a tag`, { hint: 'use registry/repository:tag', exitCode: 2 });
  }
  const { digest: _digest, ...rest } = ref;
  void _digest;
  return { ...rest, tag: ref.tag ?? 'latest' };
}

/** The wasm image's challenge: given (push), asked (a 3 s probe), recorded by `manifest --pin`, or known (sealos.hub). */
async function learnChallenge(request: SealosRequest, ref: ImageReference, given?: RegistryChallenge): Promise<{ challenge: RegistryChallenge | undefined; source: ChallengeSource }> {
  if (given) return { challenge: given, source: 'push' };
  try {
    const { RegistryClient } = await import('../oci/client.js');
    const client = new RegistryClient(ref.registry, { plainHttp: request.plainHttp, insecure: request.insecure, signal: request.signal, timeoutMs: 3_000, retries: 0 });
    const auth = await client.ping();
    return { challenge: { scheme: auth.scheme, realm: auth.realm, service: auth.service }, source: 'probe' };
  } catch (error) {
    if (request.signal?.aborted) throw error;
  }
  const { readChallenges } = await import('../istio/project-state.js');
  const recorded = (await readChallenges(request.project.root)).get(ref.registry);
  if (recorded) return { challenge: { scheme: recorded.scheme, realm: recorded.realm, service: recorded.service }, source: 'recorded' };
  const known = knownChallenge(ref.registry);
  if (known) return { challenge: known, source: 'known-host' };
  return { challenge: undefined, source: 'unknown' };
}

export async function prepareClusterImage(request: SealosRequest, pushed?: { challenge: RegistryChallenge; digest: string }): Promise<PreparedClusterImage> {
  const { project } = request;
  const target = parseIstioVersion(request.istioVersion ?? project.config.istio.version);
  const resolved = resolveImage({ flag: request.image, env: request.env ?? process.env, config: project.config.image });
  const wasmRef = withTag(resolved.reference, 'the wasm image');
  const clusterRef = withTag(clusterReference(wasmRef, request.clusterImage), 'the cluster image');
  const { file, bytes } = await readModuleFile(undefined, project, request.cwd);
  const wasmImage = buildImage(bytes, { variant: 'compat' });
  if (pushed && pushed.digest !== wasmImage.manifest.descriptor.digest) {
    throw new CliError('DIGEST_MISMATCH', `the pushed wasm image is ${pushed.digest}, but the image rebuilt for registry/ is ${wasmImage.manifest.descriptor.digest}`, {
      hint: 'SOURCE_DATE_EPOCH or the module changed during the push; run it again',
    });
  }
  const { challenge, source } = await learnChallenge(request, wasmRef, pushed?.challenge);
  const delivery: DeliveryChoice = chooseDelivery({ target, registry: wasmRef.registry, challenge, source });
  const context = await clusterContext({
    project,
    target,
    wasmRef,
    wasmImage,
    challenge,
    delivery,
    clusterRegistry: request.clusterRegistry,
    registryIp: request.registryIp,
    authfile: request.authfile,
    creds: request.creds,
  });
  const image = buildClusterImage(context);
  const contextDir = path.join(project.root, contextDirName);
  await writeContextDir(contextDir, context.files);
  return { target, wasmRef, clusterRef, wasmImage, moduleFile: file, challenge, challengeSource: source, context, image, contextDir };
}

export interface SealosBuildResult {
  prepared: PreparedClusterImage;
  output: string;
  format: 'oci' | 'oci-archive';
}

/** Builds the cluster image into an OCI layout directory or oci-archive. */
export async function buildSealosImage(request: SealosRequest & { output?: string | undefined }): Promise<SealosBuildResult> {
  const prepared = await prepareClusterImage(request);
  const output = path.resolve(request.cwd, request.output ?? path.join(request.project.root, defaultLayoutDir));
  const format = await writeClusterImage(output, prepared.image, prepared.clusterRef.tag);
  return { prepared, output, format };
}

export { clusterReference, defaultClusterReference } from './cluster-reference.js';
export { chooseDelivery } from './delivery.js';
export { registryTreeFiles } from './registry-tree.js';
