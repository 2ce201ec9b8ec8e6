import type { Blob, BuiltImage } from '../oci/image.js';

/**
 * The distribution registry's filesystem storage (what `sealos build` writes to `<context>/registry/`
 * for the images it collects, and what `sealos run` syncs into the cluster registry):
 *
 *   docker/registry/v2/blobs/sha256/<2 hex>/<hex>/data                    the blob bytes
 *   docker/registry/v2/repositories/<name>/_layers/sha256/<hex>/link      every layer and the config
 *   …/_manifests/revisions/sha256/<hex>/link                               the manifest
 *   …/_manifests/tags/<tag>/current/link                                   what the tag names now
 *   …/_manifests/tags/<tag>/index/sha256/<hex>/link                        every manifest the tag named
 *
 * Each link file holds `sha256:<hex>` with no newline. The blobs are the image's bytes exactly, so a
 * registry serving this tree answers the same manifest digest as the registry the image was pushed to.
 */
export const registryTreeRoot = 'docker/registry/v2';

export interface TreeFile {
  /** Path relative to the tree's root (the `registry/` directory of the context). */
  path: string;
  data: Uint8Array;
}

const encoder = new TextEncoder();

function hexOf(digest: string): string {
  const [algorithm, hex] = digest.split(':');
  if (algorithm !== 'sha256' || !hex || !/^[a-f0-9]{64}$/.test(hex)) throw new Error(`not a sha256 digest: ${digest}`);
  return hex;
}

function link(digest: string): Uint8Array {
  return encoder.encode(`sha256:${hexOf(digest)}`);
}

export function blobPath(digest: string): string {
  const hex = hexOf(digest);
  return `${registryTreeRoot}/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`;
}

/** Every file of the tree holding `image` as `repository:tag`, in a stable order. */
export function registryTreeFiles(image: BuiltImage, repository: string, tag: string): TreeFile[] {
  const seen = new Set<string>();
  const blobs: Blob[] = [];
  for (const blob of [...image.layers, image.config, image.manifest]) {
    if (seen.has(blob.descriptor.digest)) continue;
    seen.add(blob.descriptor.digest);
    blobs.push(blob);
  }
  const files: TreeFile[] = blobs.map((b) => ({ path: blobPath(b.descriptor.digest), data: b.data }));
  const repo = `${registryTreeRoot}/repositories/${repository}`;
  const layerDigests = new Set<string>([...image.layers.map((l) => l.descriptor.digest), image.config.descriptor.digest]);
  for (const digest of layerDigests) files.push({ path: `${repo}/_layers/sha256/${hexOf(digest)}/link`, data: link(digest) });
  const manifestDigest = image.manifest.descriptor.digest;
  files.push({ path: `${repo}/_manifests/revisions/sha256/${hexOf(manifestDigest)}/link`, data: link(manifestDigest) });
  files.push({ path: `${repo}/_manifests/tags/${tag}/current/link`, data: link(manifestDigest) });
  files.push({ path: `${repo}/_manifests/tags/${tag}/index/sha256/${hexOf(manifestDigest)}/link`, data: link(manifestDigest) });
  return files;
}
