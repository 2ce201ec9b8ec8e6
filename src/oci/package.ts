import { checkModuleBytes } from './extract.js';
import { buildImage, type Variant } from './image.js';
import { writeLayoutArchive, writeLayoutDir } from './layout.js';

/** `package`: the plugin image as an OCI layout directory or an oci-archive tar, no registry involved. */
export interface PackageResult {
  output: string;
  format: 'oci-layout' | 'oci-archive';
  tag: string;
  variant: Variant;
  digest: string;
  moduleSha256: string;
  size: number;
}

export function isArchivePath(output: string): boolean {
  return /\.tar$/i.test(output);
}

export async function packageImage(wasm: Uint8Array, options: { output: string; tag?: string | undefined; variant?: Variant | undefined; rootIds?: string[] }): Promise<PackageResult> {
  checkModuleBytes(wasm, 'the module');
  const image = buildImage(wasm, { ...(options.variant ? { variant: options.variant } : {}), ...(options.rootIds ? { rootIds: options.rootIds } : {}) });
  const tag = options.tag ?? 'latest';
  const archive = isArchivePath(options.output);
  if (archive) await writeLayoutArchive(options.output, image, tag);
  else await writeLayoutDir(options.output, image, tag);
  return {
    output: options.output,
    format: archive ? 'oci-archive' : 'oci-layout',
    tag,
    variant: image.variant,
    digest: image.manifest.descriptor.digest,
    moduleSha256: image.wasmSha256,
    size: image.layers.reduce((n, l) => n + l.descriptor.size, 0),
  };
}
