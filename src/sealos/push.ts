import { pushBuiltImage, pushImage, type PushResult } from '../oci/push.js';
import { readModuleFile } from '../oci/module-file.js';
import { resolveImage } from '../project/image.js';
import { writeLastPush } from '../oci/last-push.js';
import { parseIstioVersion } from '../istio/versions.js';
import { clusterReference } from './cluster-reference.js';
import { prepareClusterImage, type PreparedClusterImage, type SealosRequest } from './index.js';

/**
 * `istio-wasm sealos push`: the wasm image first (src/oci's push, which also learns the registry's
 * challenge), then the cluster image pinned to the digest just pushed, to its own reference.
 */
export interface SealosPushResult {
  wasm: PushResult;
  prepared: PreparedClusterImage;
  cluster: PushResult;
}

function remoteOf(request: SealosRequest) {
  return { authfile: request.authfile, creds: request.creds, plainHttp: request.plainHttp, insecure: request.insecure, signal: request.signal, log: request.log };
}

/** Pushes the project's module as the compat image (recorded as the last push), then prepares the cluster image pinned to it. */
export async function pushWasmAndPrepare(request: SealosRequest, hooks: { onWasmPushed?: (wasm: PushResult) => void } = {}): Promise<{ wasm: PushResult; prepared: PreparedClusterImage }> {
  const { project } = request;
  const { reference } = resolveImage({ flag: request.image, env: request.env ?? process.env, config: project.config.image });
  const { bytes } = await readModuleFile(undefined, project, request.cwd);
  const tagged = { ...reference, tag: reference.tag ?? 'latest' };
  // What prepareClusterImage would refuse is refused before anything reaches the registry.
  parseIstioVersion(request.istioVersion ?? project.config.istio.version);
  clusterReference(tagged, request.clusterImage);
  const wasm = await pushImage(bytes, tagged, { ...remoteOf(request), variant: 'compat' });
  await writeLastPush(project.root, { image: wasm.image, digest: wasm.digest, url: wasm.url, pushedAt: new Date().toISOString() });
  hooks.onWasmPushed?.(wasm);
  const prepared = await prepareClusterImage({ ...request, image: wasm.image }, { challenge: { scheme: wasm.challenge.scheme, realm: wasm.challenge.realm, service: wasm.challenge.service }, digest: wasm.digest });
  return { wasm, prepared };
}

export async function pushSealosImage(request: SealosRequest, hooks: { onWasmPushed?: (wasm: PushResult) => void } = {}): Promise<SealosPushResult> {
  const { wasm, prepared } = await pushWasmAndPrepare(request, hooks);
  const cluster = await pushBuiltImage(prepared.image, prepared.clusterRef, remoteOf(request));
  return { wasm, prepared, cluster };
}
