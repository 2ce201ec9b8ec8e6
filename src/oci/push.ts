import { CancelledError } from '../errors.js';
import type { AuthInfo, ProgressEvent } from './client.js';
import { checkModuleBytes } from './extract.js';
import { buildImage, imageBlobs, type Variant } from './image.js';
import { formatReference, type ImageReference } from './reference.js';
import { connect, type RemoteOptions } from './session.js';

/**
 * Pushing a plugin image: blobs first (HEAD to skip, optional cross-repo mount, upload), the
 * manifest last, so an interrupted push leaves no tag. Ctrl-C cancels open upload sessions.
 */
export interface PushOptions extends RemoteOptions {
  variant?: Variant;
  rootIds?: string[];
  /** A repository on the same registry that may already hold the blobs (cross-repo mount). */
  mountFrom?: string | undefined;
  onProgress?: (event: ProgressEvent & { phase: 'upload' | 'skip' | 'mount' }) => void;
}

export interface PushResult {
  /** The pushed reference (registry/repository:tag). */
  image: string;
  /** Manifest digest (sha256:…). */
  digest: string;
  /** The WasmPlugin `url`. */
  url: string;
  /** The WasmPlugin `sha256`: the manifest digest without "sha256:". */
  wasmSha256: string;
  /** sha256 of the module bytes themselves. */
  moduleSha256: string;
  variant: Variant;
  uploaded: number;
  skipped: number;
  mounted: number;
  bytesUploaded: number;
  manifestUnchanged: boolean;
  challenge: AuthInfo;
  warnings: string[];
  requestCounts: Record<string, number>;
}

export async function pushImage(wasm: Uint8Array, ref: ImageReference, options: PushOptions = {}): Promise<PushResult> {
  checkModuleBytes(wasm, 'the module');
  const image = buildImage(wasm, { ...(options.variant ? { variant: options.variant } : {}), ...(options.rootIds ? { rootIds: options.rootIds } : {}) });
  const client = await connect(ref, { ...options, client: { ...options.client, actions: 'pull,push' } });
  const tagged: ImageReference = { registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest' };
  const reference = ref.digest && !ref.tag ? ref.digest : tagged.tag!;
  let uploaded = 0;
  let skipped = 0;
  let mounted = 0;
  let bytesUploaded = 0;
  try {
    const challenge = await client.ping();
    const blobs = imageBlobs(image);
    const settled = await Promise.allSettled(
      blobs.map(async (blob) => {
        const { digest, size } = blob.descriptor;
        if (await client.blobExists(ref.repository, digest, 'pull,push')) {
          skipped++;
          options.onProgress?.({ phase: 'skip', digest, sent: size, total: size });
          return;
        }
        if (options.mountFrom && options.mountFrom !== ref.repository && (await client.mountBlob(ref.repository, digest, options.mountFrom))) {
          mounted++;
          options.onProgress?.({ phase: 'mount', digest, sent: size, total: size });
          return;
        }
        await client.uploadBlob(ref.repository, blob, (event) => options.onProgress?.({ ...event, phase: 'upload' }));
        uploaded++;
        bytesUploaded += size;
      }),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    // Re-push of an unchanged image: the tag already names this manifest, nothing to write.
    const current = reference.startsWith('sha256:') ? undefined : await client.headManifest(ref.repository, reference);
    const manifestUnchanged = current?.digest === image.manifest.descriptor.digest;
    const digest = manifestUnchanged ? image.manifest.descriptor.digest : await client.putManifest(ref.repository, reference, image.manifest.data, image.manifest.descriptor.mediaType);
    const pushed: ImageReference = reference.startsWith('sha256:') ? { registry: ref.registry, repository: ref.repository, digest } : tagged;
    return {
      image: formatReference(pushed),
      digest,
      url: `oci://${formatReference(pushed)}`,
      wasmSha256: digest.slice('sha256:'.length),
      moduleSha256: image.wasmSha256,
      variant: image.variant,
      uploaded,
      skipped,
      mounted,
      bytesUploaded,
      manifestUnchanged,
      challenge,
      warnings: client.warnings,
      requestCounts: client.requestCounts,
    };
  } catch (error) {
    await client.cancelOpenUploads();
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new CancelledError();
    throw error;
  }
}
