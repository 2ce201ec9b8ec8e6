import { CancelledError } from '../errors.js';
import type { AuthInfo, ProgressEvent } from './client.js';
import { checkModuleBytes } from './extract.js';
import { blobOf, buildImage, imageBlobs, sha256Hex, type Blob, type BuiltImage, type Variant } from './image.js';
import { cacheKey, readCachedImage, writeCachedImage, type CachedImage } from './image-cache.js';
import type { Descriptor, Manifest } from './media-types.js';
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

interface PushPlan {
  manifest: Blob;
  blobs: Descriptor[];
}

function planFromImage(image: BuiltImage): PushPlan {
  return { manifest: image.manifest, blobs: imageBlobs(image).map((b) => b.descriptor) };
}

function planFromCache(cached: CachedImage): PushPlan | undefined {
  try {
    const manifest = JSON.parse(new TextDecoder().decode(cached.manifest)) as Manifest;
    const seen = new Set<string>();
    const blobs: Descriptor[] = [];
    for (const d of [...(manifest.layers ?? []), ...(manifest.config ? [manifest.config] : [])]) {
      if (seen.has(d.digest)) continue;
      seen.add(d.digest);
      blobs.push(d);
    }
    if (!manifest.mediaType || blobs.length === 0) return undefined;
    return { manifest: blobOf(manifest.mediaType, cached.manifest), blobs };
  } catch {
    return undefined;
  }
}

export async function pushImage(wasm: Uint8Array, ref: ImageReference, options: PushOptions = {}): Promise<PushResult> {
  checkModuleBytes(wasm, 'the module');
  const buildOptions = { ...(options.variant ? { variant: options.variant } : {}), ...(options.rootIds ? { rootIds: options.rootIds } : {}) };
  const wasmSha256 = sha256Hex(wasm);
  const key = cacheKey(wasmSha256, { variant: options.variant ?? 'compat', rootIds: options.rootIds ?? [], epoch: process.env.SOURCE_DATE_EPOCH ?? '' });
  let built: BuiltImage | undefined;
  const build = (): BuiltImage => {
    if (!built) {
      built = buildImage(wasm, { ...buildOptions, wasmSha256 });
      void writeCachedImage(key, { manifest: built.manifest.data, config: built.config.data });
    }
    return built;
  };
  const cached = await readCachedImage(key);
  let plan = (cached && planFromCache(cached)) ?? planFromImage(build());
  const client = await connect(ref, { ...options, client: { ...options.client, actions: 'pull,push' } });
  const tagged: ImageReference = { registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest' };
  const reference = ref.digest && !ref.tag ? ref.digest : tagged.tag!;
  let uploaded = 0;
  let skipped = 0;
  let mounted = 0;
  let bytesUploaded = 0;
  try {
    const missingOf = async (blobs: Descriptor[]) => {
      const present = await Promise.all(blobs.map((d) => client.blobExists(ref.repository, d.digest, 'pull,push')));
      return blobs.filter((_, i) => !present[i]);
    };
    let missing = await missingOf(plan.blobs);
    if (missing.length > 0 && !built) {
      // The cache only knows digests: build the blobs (and trust the build if it differs).
      const image = build();
      if (image.manifest.descriptor.digest !== plan.manifest.descriptor.digest) {
        plan = planFromImage(image);
        missing = await missingOf(plan.blobs);
      }
    }
    skipped = plan.blobs.length - missing.length;
    for (const d of plan.blobs) if (!missing.includes(d)) options.onProgress?.({ phase: 'skip', digest: d.digest, sent: d.size, total: d.size });
    const settled = await Promise.allSettled(
      missing.map(async (descriptor) => {
        const { digest, size } = descriptor;
        if (options.mountFrom && options.mountFrom !== ref.repository && (await client.mountBlob(ref.repository, digest, options.mountFrom))) {
          mounted++;
          options.onProgress?.({ phase: 'mount', digest, sent: size, total: size });
          return;
        }
        const blob = imageBlobs(build()).find((b) => b.descriptor.digest === digest);
        if (!blob) throw new Error(`internal: blob ${digest} not built`);
        await client.uploadBlob(ref.repository, blob, (event) => options.onProgress?.({ ...event, phase: 'upload' }));
        uploaded++;
        bytesUploaded += size;
      }),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    // Re-push of an unchanged image: the tag already names this manifest, nothing to write.
    const manifest = plan.manifest;
    // After an upload the tag cannot already name this manifest: skip the HEAD.
    const current = reference.startsWith('sha256:') || uploaded + mounted > 0 ? undefined : await client.headManifest(ref.repository, reference);
    const manifestUnchanged = current?.digest === manifest.descriptor.digest;
    const digest = manifestUnchanged ? manifest.descriptor.digest : await client.putManifest(ref.repository, reference, manifest.data, manifest.descriptor.mediaType);
    const pushed: ImageReference = reference.startsWith('sha256:') ? { registry: ref.registry, repository: ref.repository, digest } : tagged;
    return {
      image: formatReference(pushed),
      digest,
      url: `oci://${formatReference(pushed)}`,
      wasmSha256: digest.slice('sha256:'.length),
      moduleSha256: wasmSha256,
      variant: options.variant ?? 'compat',
      uploaded,
      skipped,
      mounted,
      bytesUploaded,
      manifestUnchanged,
      challenge: client.knownAuth(),
      warnings: client.warnings,
      requestCounts: client.requestCounts,
    };
  } catch (error) {
    await client.cancelOpenUploads();
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new CancelledError();
    throw error;
  }
}
