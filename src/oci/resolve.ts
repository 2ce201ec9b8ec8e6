import { CliError } from '../errors.js';
import type { RegistryClient } from './client.js';
import { parseManifest } from './layout.js';
import { isIndexMediaType, mediaTypes, type Descriptor, type Manifest } from './media-types.js';
import { manifestReference, type ImageReference } from './reference.js';
import { connect, type RemoteOptions } from './session.js';

/**
 * Resolving a reference to the manifest Istio's agent would use: an index resolves to its first
 * linux/amd64 child (a child without a platform counts as linux/amd64), and the WasmPlugin
 * `sha256` is that child's digest, not the index's.
 */
export interface ResolvedManifest {
  manifest: Manifest;
  bytes: Uint8Array;
  digest: string;
  mediaType: string;
  /** Set when the reference named an index. */
  indexDigest?: string;
}

export function selectPlatformChild(index: Manifest): Descriptor | undefined {
  return (index.manifests ?? []).find((m) => !m.platform || (m.platform.os === 'linux' && m.platform.architecture === 'amd64'));
}

export async function fetchManifest(client: RegistryClient, ref: ImageReference): Promise<ResolvedManifest> {
  const first = await client.getManifest(ref.repository, manifestReference(ref));
  const manifest = parseManifest(first.bytes, `the manifest of ${ref.registry}/${ref.repository}`);
  const mediaType = manifest.mediaType ?? first.mediaType;
  if (!isIndexMediaType(mediaType) && !Array.isArray(manifest.manifests)) {
    return { manifest, bytes: first.bytes, digest: first.digest, mediaType: mediaType || mediaTypes.ociManifest };
  }
  const child = selectPlatformChild(manifest);
  if (!child) {
    throw new CliError('NO_AMD64_IMAGE', `the image index ${first.digest} has no linux/amd64 image`, {
      hint: 'Istio\'s agent picks the linux/amd64 child of an index; push a single manifest instead',
    });
  }
  const resolved = await client.getManifest(ref.repository, child.digest);
  const childManifest = parseManifest(resolved.bytes, `the manifest ${child.digest}`);
  return {
    manifest: childManifest,
    bytes: resolved.bytes,
    digest: resolved.digest,
    mediaType: childManifest.mediaType ?? resolved.mediaType ?? child.mediaType,
    indexDigest: first.digest,
  };
}

/** The manifest digest a WasmPlugin's `sha256` must hold for this reference, and the registry's auth challenge. */
export async function resolveManifestDigest(
  ref: ImageReference,
  options: { authfile?: string; creds?: string; plainHttp?: boolean; insecure?: boolean; signal?: AbortSignal } & Pick<RemoteOptions, 'log' | 'credentials'>,
): Promise<{ digest: string; mediaType: string; challenge: { scheme: 'basic' | 'bearer' | 'none'; realm?: string; service?: string } }> {
  const client = await connect(ref, options);
  const auth = await client.authInfo();
  const resolved = await fetchManifest(client, ref);
  const challenge: { scheme: 'basic' | 'bearer' | 'none'; realm?: string; service?: string } = { scheme: auth.scheme };
  if (auth.realm !== undefined) challenge.realm = auth.realm;
  if (auth.service !== undefined) challenge.service = auth.service;
  return { digest: resolved.digest, mediaType: resolved.mediaType, challenge };
}
