import { extractModule, checkModuleBytes, type ExtractedModule } from './extract.js';
import { openLayout, parseManifest, selectLayoutManifest } from './layout.js';
import { fetchManifest, selectPlatformChild } from './resolve.js';
import { formatReference, type ImageReference } from './reference.js';
import { connect, type RemoteOptions } from './session.js';
import type { Descriptor, Manifest } from './media-types.js';
import { isIndexMediaType } from './media-types.js';
import { CliError } from '../errors.js';

/** Pulling the module out of an image exactly as Istio's agent would. */
export interface PulledModule extends ExtractedModule {
  reference: string;
  digest: string;
  mediaType: string;
  manifest: Manifest;
  config?: unknown;
  indexDigest?: string;
  warnings: string[];
}

export async function pullModule(ref: ImageReference, options: RemoteOptions = {}): Promise<PulledModule> {
  const client = await connect(ref, options);
  const resolved = await fetchManifest(client, ref);
  const extracted = await extractModule(resolved.manifest, (d: Descriptor) => client.getBlob(ref.repository, d));
  checkModuleBytes(extracted.bytes, `the module in ${formatReference(ref)}`);
  const out: PulledModule = {
    ...extracted,
    reference: formatReference(ref),
    digest: resolved.digest,
    mediaType: resolved.mediaType,
    manifest: resolved.manifest,
    warnings: client.warnings,
  };
  if (resolved.indexDigest) out.indexDigest = resolved.indexDigest;
  return out;
}

/** The same from an OCI layout directory or oci-archive (`PATH[:TAG]`). */
export async function readLayoutModule(layoutPath: string, tag?: string): Promise<PulledModule & { config: unknown }> {
  const layout = await openLayout(layoutPath);
  let descriptor = selectLayoutManifest(layout, tag);
  let manifest = parseManifest(await layout.readBlob(descriptor.digest), `manifest ${descriptor.digest}`);
  let indexDigest: string | undefined;
  if (isIndexMediaType(manifest.mediaType ?? descriptor.mediaType)) {
    const child = selectPlatformChild(manifest);
    if (!child) throw new CliError('NO_AMD64_IMAGE', `the image index ${descriptor.digest} has no linux/amd64 image`);
    indexDigest = descriptor.digest;
    descriptor = child;
    manifest = parseManifest(await layout.readBlob(child.digest), `manifest ${child.digest}`);
  }
  const extracted = await extractModule(manifest, (d) => layout.readBlob(d.digest));
  checkModuleBytes(extracted.bytes, `the module in ${layoutPath}`);
  let config: unknown;
  if (manifest.config) {
    try {
      config = JSON.parse(new TextDecoder().decode(await layout.readBlob(manifest.config.digest)));
    } catch {
      config = undefined;
    }
  }
  const out: PulledModule & { config: unknown } = {
    ...extracted,
    reference: tag ? `${layoutPath}:${tag}` : layoutPath,
    digest: descriptor.digest,
    mediaType: manifest.mediaType ?? descriptor.mediaType,
    manifest,
    config,
    warnings: [],
  };
  if (indexDigest) out.indexDigest = indexDigest;
  return out;
}
