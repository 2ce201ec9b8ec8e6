import { CancelledError } from '../errors.js';
import { imageBlobs, type BuiltImage } from '../oci/image.js';
import { formatReference, type ImageReference } from '../oci/reference.js';
import { connect, type RemoteOptions } from '../oci/session.js';

/** Pushes an image already built in memory (blobs first, the manifest last), with src/oci's client. */
export interface PushedImage {
  image: string;
  digest: string;
  uploaded: number;
  skipped: number;
  warnings: string[];
}

export async function pushBuiltImage(image: BuiltImage, ref: ImageReference & { tag: string }, options: RemoteOptions & { mountFrom?: string | undefined } = {}): Promise<PushedImage> {
  const client = await connect(ref, { ...options, client: { ...options.client, actions: 'pull,push' } });
  let uploaded = 0;
  let skipped = 0;
  try {
    await client.ping();
    for (const blob of imageBlobs(image)) {
      if (await client.blobExists(ref.repository, blob.descriptor.digest, 'pull,push')) {
        skipped++;
        continue;
      }
      if (options.mountFrom && options.mountFrom !== ref.repository && (await client.mountBlob(ref.repository, blob.descriptor.digest, options.mountFrom))) {
        skipped++;
        continue;
      }
      await client.uploadBlob(ref.repository, blob);
      uploaded++;
    }
    const digest = await client.putManifest(ref.repository, ref.tag, image.manifest.data, image.manifest.descriptor.mediaType);
    return { image: formatReference({ registry: ref.registry, repository: ref.repository, tag: ref.tag }), digest, uploaded, skipped, warnings: client.warnings };
  } catch (error) {
    await client.cancelOpenUploads();
    if (options.signal?.aborted) throw options.signal.reason instanceof Error ? options.signal.reason : new CancelledError();
    throw error;
  }
}
