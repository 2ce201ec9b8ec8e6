import { CancelledError, CliError } from '../errors.js';
import type { AuthInfo, ProgressEvent } from './client.js';
import { checkModuleBytes } from './extract.js';
import { blobOf, buildImageAsync, digestOf, imageBlobs, sha256Hex, type Blob, type BuiltImage, type Variant } from './image.js';
import { cacheKey, readCachedImage, writeCachedImage, type CachedImage } from './image-cache.js';
import { mediaTypes, type Descriptor, type Manifest } from './media-types.js';
import { formatReference, type ImageReference } from './reference.js';
import type { RegistryClient, UploadBlob } from './client.js';
import { pushedBefore, recordPushed } from './pushed-record.js';
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

/**
 * A cached manifest is used only when it is self-consistent and says what this push would build:
 * the media type of the variant, the config bytes the manifest names, and (wasm variant) the module
 * itself as a layer. Anything else is ignored and the image rebuilt.
 */
function planFromCache(cached: CachedImage, variant: Variant, wasmSha256: string): PushPlan | undefined {
  try {
    const manifest = JSON.parse(new TextDecoder().decode(cached.manifest)) as Manifest;
    const expectedType = variant === 'docker' ? mediaTypes.dockerManifest : mediaTypes.ociManifest;
    if (manifest.mediaType !== expectedType || !manifest.config || manifest.config.digest !== digestOf(cached.config)) return undefined;
    if (variant === 'wasm' && !(manifest.layers ?? []).some((l) => l.digest === `sha256:${wasmSha256}`)) return undefined;
    if (variant !== 'wasm' && (manifest.layers?.length !== 1 || manifest.annotations?.['module.wasm.image/variant'] !== (variant === 'docker' ? undefined : 'compat'))) return undefined;
    const seen = new Set<string>();
    const blobs: Descriptor[] = [];
    for (const d of [...(manifest.layers ?? []), manifest.config]) {
      if (seen.has(d.digest)) continue;
      seen.add(d.digest);
      blobs.push(d);
    }
    return { manifest: blobOf(manifest.mediaType, cached.manifest), blobs };
  } catch {
    return undefined;
  }
}

/** What the registry was asked about a plan's blobs (askRegistry). */
interface Asked {
  missing: Descriptor[];
  /** Upload sessions opened early, by digest, for the missing blobs. */
  sessions: Map<string, Promise<string>>;
  /** The cancellation of the sessions opened for blobs the registry has (never rejects). */
  cancelled: Promise<void>;
}

function cancelSessions(client: RegistryClient, sessions: Iterable<Promise<string>>): Promise<void> {
  return Promise.all([...sessions].map((s) => s.then((location) => client.cancelUpload(location), () => undefined))).then(() => undefined);
}

/**
 * Which blobs the registry lacks: a HEAD each. With `early`, each blob's upload session is opened
 * (POST) alongside its HEAD, so the upload of a missing blob starts one round trip sooner; the
 * sessions of blobs the registry has are cancelled. Early is for a push that expects to upload (a
 * manifest not pushed to this repository from here before); a re-push only asks.
 */
async function askRegistry(client: RegistryClient, repository: string, blobs: Descriptor[], early: boolean): Promise<Asked> {
  const sessions = new Map<string, Promise<string>>();
  if (early) {
    for (const d of blobs) {
      const session = client.openUpload(repository, d.digest);
      session.catch(() => {}); // a missing blob's upload awaits it; a present blob's is cancelled
      sessions.set(d.digest, session);
    }
  }
  let present: boolean[];
  try {
    present = await Promise.all(blobs.map((d) => client.blobExists(repository, d.digest, 'pull,push')));
  } catch (error) {
    await cancelSessions(client, sessions.values());
    throw error;
  }
  const unused: Array<Promise<string>> = [];
  blobs.forEach((d, i) => {
    const session = sessions.get(d.digest);
    if (present[i] && session) {
      unused.push(session);
      sessions.delete(d.digest);
    }
  });
  return { missing: blobs.filter((_, i) => !present[i]), sessions, cancelled: cancelSessions(client, unused) };
}

/**
 * Whether the tag already names the plan's manifest. The registry then holds its blobs too: it
 * refuses a manifest whose blobs it lacks, and keeps the blobs of a manifest it keeps (as oras
 * copies skip what is under a manifest the target has).
 */
async function tagNames(currentManifest: Promise<{ digest: string } | undefined>, plan: PushPlan): Promise<boolean> {
  return (await currentManifest)?.digest === plan.manifest.descriptor.digest;
}

/**
 * Whether a push expects the registry to lack the plan's blobs: a manifest not pushed to this
 * repository from here before, and no cross-repository mount to try first (pushed-record.ts).
 */
function expectsUpload(ref: ImageReference, plan: PushPlan, options: { mountFrom?: string | undefined }): boolean {
  return !options.mountFrom && !pushedBefore(ref.registry, ref.repository, plan.manifest.descriptor.digest);
}

const nothingMissing: Asked = { missing: [], sessions: new Map(), cancelled: Promise.resolve() };

interface Sent {
  uploaded: number;
  skipped: number;
  mounted: number;
  bytesUploaded: number;
  digest: string;
  manifestUnchanged: boolean;
}

/** Blobs the registry lacks (mounted or uploaded, in parallel), then the manifest unless the tag already names it. */
async function sendImage(
  client: RegistryClient,
  ref: ImageReference,
  reference: string,
  plan: PushPlan,
  missing: Descriptor[],
  sessions: Map<string, Promise<string>>,
  currentManifest: Promise<{ digest: string } | undefined>,
  blobOfDigest: (digest: string) => Promise<UploadBlob | undefined>,
  options: PushOptions,
): Promise<Sent> {
  let uploaded = 0;
  let mounted = 0;
  let bytesUploaded = 0;
  const skipped = plan.blobs.length - missing.length;
  for (const d of plan.blobs) if (!missing.includes(d)) options.onProgress?.({ phase: 'skip', digest: d.digest, sent: d.size, total: d.size });
    const settled = await Promise.allSettled(
      missing.map(async (descriptor) => {
        const { digest, size } = descriptor;
        if (options.mountFrom && options.mountFrom !== ref.repository && (await client.mountBlob(ref.repository, digest, options.mountFrom))) {
          mounted++;
          options.onProgress?.({ phase: 'mount', digest, sent: size, total: size });
          return;
        }
        // Read (or built) while the upload session opens.
        const blob = blobOfDigest(digest).then((b) => {
          if (!b) throw new Error(`internal: blob ${digest} not built`);
          return b;
        });
        await client.uploadBlob(ref.repository, descriptor, blob, (event) => options.onProgress?.({ ...event, phase: 'upload' }), sessions.get(digest));
        uploaded++;
        bytesUploaded += size;
      }),
    );
    const failed = settled.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    // Re-push of an unchanged image: the tag already names this manifest, nothing to write.
    const manifest = plan.manifest;
    // After an upload the tag cannot already name this manifest.
    const current = uploaded + mounted > 0 ? undefined : await currentManifest;
    const manifestUnchanged = current?.digest === manifest.descriptor.digest;
    const digest = manifestUnchanged ? manifest.descriptor.digest : await client.putManifest(ref.repository, reference, manifest.data, manifest.descriptor.mediaType);
  return { uploaded, skipped, mounted, bytesUploaded, digest, manifestUnchanged };
}

export async function pushImage(wasm: Uint8Array, ref: ImageReference, options: PushOptions = {}): Promise<PushResult> {
  checkModuleBytes(wasm, 'the module');
  const variant = options.variant ?? 'compat';
  const buildOptions = { variant, ...(options.rootIds ? { rootIds: options.rootIds } : {}) };
  const client = await connect(ref, { ...options, client: { ...options.client, actions: 'pull,push' } });
  const tagged: ImageReference = { registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest' };
  const reference = ref.digest && !ref.tag ? ref.digest : tagged.tag!;
  // What the tag names now, asked first: it opens the connection (and fetches a token) while the
  // module is hashed, and for a re-push its answer is the only one needed. The request goes out
  // before hashing holds the thread (a turn of the event loop: the connect completes on loopback).
  const currentManifest = reference.startsWith('sha256:') ? Promise.resolve(undefined) : client.headManifest(ref.repository, reference).catch(() => undefined);
  await new Promise((resolve) => setImmediate(resolve));
  const wasmSha256 = sha256Hex(wasm);
  const key = cacheKey(wasmSha256, { variant, rootIds: options.rootIds ?? [], epoch: process.env.SOURCE_DATE_EPOCH ?? '' });
  let built: Promise<BuiltImage> | undefined;
  const build = (): Promise<BuiltImage> => {
    built ??= buildImageAsync(wasm, { ...buildOptions, wasmSha256 }).then((image) => {
      void writeCachedImage(key, { manifest: image.manifest.data, config: image.config.data });
      return image;
    });
    return built;
  };
  const cached = await readCachedImage(key);
  const fromCache = cached ? planFromCache(cached, variant, wasmSha256) : undefined;
  let uploaded = 0;
  let skipped = 0;
  let mounted = 0;
  let bytesUploaded = 0;
  // Sessions opened early and not (yet) used: cancelled when the push ends, whatever the outcome.
  const pendingCancels: Array<Promise<void>> = [];
  try {
    const ask = async (candidate: PushPlan) => {
      const asked = await askRegistry(client, ref.repository, candidate.blobs, expectsUpload(ref, candidate, options));
      pendingCancels.push(asked.cancelled);
      return asked;
    };
    let plan: PushPlan;
    let asked: Asked;
    if (fromCache) {
      plan = fromCache;
      // Built before: most likely a re-push, and a tag naming this manifest already answers it.
      asked = (await tagNames(currentManifest, plan)) ? nothingMissing : await ask(plan);
      if (asked.missing.length > 0) {
        // The cache only knows digests: build the blobs (and trust the build if it differs).
        const image = await build();
        if (image.manifest.descriptor.digest !== plan.manifest.descriptor.digest) {
          pendingCancels.push(cancelSessions(client, asked.sessions.values()));
          plan = planFromImage(image);
          asked = await ask(plan);
        }
      }
    } else {
      plan = planFromImage(await build());
      asked = await ask(plan);
    }
    const sent = await sendImage(client, ref, reference, plan, asked.missing, asked.sessions, currentManifest, async (digest) => imageBlobs(await build()).find((blob) => blob.descriptor.digest === digest), options);
    ({ uploaded, skipped, mounted, bytesUploaded } = sent);
    const { digest, manifestUnchanged } = sent;
    await Promise.all(pendingCancels);
    recordPushed(ref.registry, ref.repository, digest);
    const pushed: ImageReference = reference.startsWith('sha256:') ? { registry: ref.registry, repository: ref.repository, digest } : tagged;
    return {
      image: formatReference(pushed),
      digest,
      url: `oci://${formatReference(pushed)}`,
      wasmSha256: digest.slice('sha256:'.length),
      moduleSha256: wasmSha256,
      variant,
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
    await Promise.all([client.cancelOpenUploads(), ...pendingCancels]);
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new CancelledError();
    throw error;
  }
}

/** What a pushed image's result carries besides the transfer counts. */
interface PlanFacts {
  variant: Variant;
  moduleSha256: string;
}

/**
 * Pushes a planned image whose blobs can be produced by digest: HEADs for every blob alongside the
 * manifest HEAD, the missing blobs mounted or uploaded in parallel, the manifest last.
 */
async function pushPlan(
  ref: ImageReference,
  plan: PushPlan,
  blobOfDigest: (digest: string) => Promise<UploadBlob | undefined>,
  facts: PlanFacts,
  options: PushOptions,
): Promise<PushResult> {
  const client = await connect(ref, { ...options, client: { ...options.client, actions: 'pull,push' } });
  const tagged: ImageReference = { registry: ref.registry, repository: ref.repository, tag: ref.tag ?? 'latest' };
  const reference = ref.digest && !ref.tag ? ref.digest : tagged.tag!;
  let asked: Asked | undefined;
  try {
    const currentManifest = reference.startsWith('sha256:') ? Promise.resolve(undefined) : client.headManifest(ref.repository, reference).catch(() => undefined);
    const early = expectsUpload(ref, plan, options);
    // Pushed from here before: most likely a re-push, and a tag naming this manifest already answers it.
    const asking = !early && !options.mountFrom && (await tagNames(currentManifest, plan)) ? Promise.resolve(nothingMissing) : askRegistry(client, ref.repository, plan.blobs, early);
    // Expecting to upload, the blobs are read while the registry is asked, as their sessions open.
    const produced = new Map<string, Promise<UploadBlob | undefined>>();
    const produce = (digest: string) => {
      let blob = produced.get(digest);
      if (!blob) {
        blob = blobOfDigest(digest);
        blob.catch(() => {}); // a blob the registry has is not needed
        produced.set(digest, blob);
      }
      return blob;
    };
    if (early) for (const d of plan.blobs) void produce(d.digest);
    asked = await asking;
    const sent = await sendImage(client, ref, reference, plan, asked.missing, asked.sessions, currentManifest, produce, options);
    await asked.cancelled;
    recordPushed(ref.registry, ref.repository, sent.digest);
    const pushed: ImageReference = reference.startsWith('sha256:') ? { registry: ref.registry, repository: ref.repository, digest: sent.digest } : tagged;
    return {
      image: formatReference(pushed),
      digest: sent.digest,
      url: `oci://${formatReference(pushed)}`,
      wasmSha256: sent.digest.slice('sha256:'.length),
      moduleSha256: facts.moduleSha256,
      variant: facts.variant,
      uploaded: sent.uploaded,
      skipped: sent.skipped,
      mounted: sent.mounted,
      bytesUploaded: sent.bytesUploaded,
      manifestUnchanged: sent.manifestUnchanged,
      challenge: client.knownAuth(),
      warnings: client.warnings,
      requestCounts: client.requestCounts,
    };
  } catch (error) {
    await Promise.all([client.cancelOpenUploads(), asked?.cancelled]);
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new CancelledError();
    throw error;
  }
}

/** Pushes an image already built in memory (e.g. a sealos cluster image), with the same client and order. */
export function pushBuiltImage(image: BuiltImage, ref: ImageReference, options: PushOptions = {}): Promise<PushResult> {
  const blobs = imageBlobs(image);
  const plan = planFromImage(image);
  return pushPlan(ref, plan, async (digest) => blobs.find((b) => b.descriptor.digest === digest), { variant: 'compat', moduleSha256: '' }, options);
}

/**
 * Pushes an image from an OCI layout directory or oci-archive (what `istio-wasm package` writes, or
 * any single-manifest layout): the image named `tag` there, else its only image. Blobs are read
 * only when the registry lacks them, and checked against their digests as they are sent.
 */
export async function pushLayout(input: string, tag: string | undefined, ref: ImageReference, options: PushOptions = {}): Promise<PushResult> {
  const { openLayout } = await import('./layout.js');
  const { isIndexMediaType } = await import('./media-types.js');
  const layout = await openLayout(input);
  const named = tag ? layout.index.manifests.filter((m) => m.annotations?.['org.opencontainers.image.ref.name'] === tag) : layout.index.manifests;
  if (named.length !== 1) {
    throw new CliError('LAYOUT_INVALID', tag ? `the layout ${input} has no image tagged ${tag}` : `the layout ${input} holds ${named.length} images; say which with DIR:TAG`, {
      hint: 'list them with `skopeo inspect --raw oci:DIR`, or package one with `istio-wasm package --output DIR --tag TAG`',
    });
  }
  const mismatch = (descriptor: Descriptor) => () => new CliError('DIGEST_MISMATCH', `blob ${descriptor.digest} in ${input} does not match its digest`, { hint: 'the layout was altered; package it again' });
  const readChecked = async (descriptor: Descriptor): Promise<Uint8Array> => {
    const data = await layout.readBlob(descriptor.digest);
    if (digestOf(data) !== descriptor.digest) throw mismatch(descriptor)();
    return data;
  };
  const manifestDescriptor = named[0]!;
  if (isIndexMediaType(manifestDescriptor.mediaType)) throw new CliError('LAYOUT_INVALID', `the image in ${input} is an index; Istio plugins are single manifests`, { hint: 'package the plugin with `istio-wasm package`' });
  const manifestBytes = await readChecked(manifestDescriptor);
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes)) as Manifest;
  const mediaType = manifest.mediaType ?? manifestDescriptor.mediaType;
  const seen = new Set<string>();
  const blobs: Descriptor[] = [];
  for (const d of [...(manifest.layers ?? []), ...(manifest.config ? [manifest.config] : [])]) {
    if (seen.has(d.digest)) continue;
    seen.add(d.digest);
    blobs.push(d);
  }
  const plan: PushPlan = { manifest: blobOf(mediaType, manifestBytes), blobs };
  const variant: Variant = mediaType === mediaTypes.dockerManifest ? 'docker' : (manifest.layers ?? []).some((l) => l.mediaType === mediaTypes.wasmContentLayer) ? 'wasm' : 'compat';
  const moduleSha256 = variant === 'wasm' ? ((manifest.layers ?? []).find((l) => l.mediaType === mediaTypes.wasmContentLayer)?.digest.slice(7) ?? '') : '';
  // A blob the registry lacks is checked against its digest while it is sent (uploadBlob), not read twice.
  return pushPlan(ref, plan, async (digest) => {
    const descriptor = blobs.find((d) => d.digest === digest);
    return descriptor ? { descriptor, data: await layout.readBlob(descriptor.digest), mismatch: mismatch(descriptor) } : undefined;
  }, { variant, moduleSha256 }, options);
}
