import { CliError } from '../errors.js';
import { checkedReference } from '../project/image.js';
import { formatReference, type ImageReference } from '../oci/reference.js';

/**
 * The reference of the application cluster image. It is never the wasm image's own: the seed's
 * `sealos-push` tagged both with the same name, so the cluster image overwrote the plugin image in
 * the registry. Default: the wasm repository with `-cluster` appended, same registry and tag
 * (wasm/wasm-auth:v1 -> wasm/wasm-auth-cluster:v1).
 */
export const clusterRepositorySuffix = '-cluster';

export function defaultClusterReference(wasm: ImageReference): ImageReference {
  const ref: ImageReference = { registry: wasm.registry, repository: `${wasm.repository}${clusterRepositorySuffix}`, tag: wasm.tag ?? 'latest' };
  return ref;
}

function sameImage(a: ImageReference, b: ImageReference): boolean {
  return a.registry === b.registry && a.repository === b.repository && (a.tag ?? 'latest') === (b.tag ?? 'latest');
}

/** The cluster image reference from `--cluster-image`, else the default; refused when it names the wasm image. */
export function clusterReference(wasm: ImageReference, flag?: string): ImageReference {
  const ref = flag ? checkedReference(flag, '--cluster-image') : defaultClusterReference(wasm);
  if (ref.digest && !ref.tag) {
    throw new CliError('BAD_CLUSTER_IMAGE', `--cluster-image ${flag ?? ''} names a digest; the cluster image is pushed, so it needs a tag`, { hint: 'use registry/repository:tag', exitCode: 2 });
  }
  if (sameImage(ref, wasm)) {
    throw new CliError('CLUSTER_IMAGE_IS_WASM_IMAGE', `the cluster image ${formatReference(ref)} is the wasm image's own reference: pushing it would overwrite the plugin image`, {
      hint: `leave --cluster-image out (default ${formatReference(defaultClusterReference(wasm))}) or name another repository or tag`,
      exitCode: 2,
    });
  }
  return ref;
}
