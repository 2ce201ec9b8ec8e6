import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { CliError, messageOf } from '../errors.js';
import { blobOf, digestOf, type BuiltImage } from '../oci/image.js';
import { gzipReproducible } from '../oci/gzip.js';
import { mediaTypes } from '../oci/media-types.js';
import { createTar, type TarEntry } from '../oci/tar.js';
import { writeLayoutArchive, writeLayoutDir } from '../oci/layout.js';
import type { ClusterContext, ContextFile } from './context.js';

/**
 * The application cluster image, built as `sealos build` (buildah) would build the Kubefile:
 * `FROM scratch`, one tar+gzip layer holding the COPY'd directories, an OCI config carrying the CMD,
 * ENV and LABELs. Reproducible (fixed tar headers, `created` from SOURCE_DATE_EPOCH or the epoch).
 */
const encoder = new TextEncoder();

function epochSeconds(): number {
  const fromEnv = Number(process.env.SOURCE_DATE_EPOCH);
  return Number.isInteger(fromEnv) && fromEnv >= 0 ? fromEnv : 0;
}

/** Tar entries for the files, with every parent directory before its children, sorted. */
export function layerEntries(files: readonly ContextFile[], mtime: number): TarEntry[] {
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.path.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/'));
  }
  const entries: TarEntry[] = [...dirs].map((name) => ({ name, mtime }));
  for (const f of files) entries.push({ name: f.path, data: f.data, mtime });
  return entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export function buildClusterImage(context: ClusterContext, options: { epoch?: number; architecture?: string } = {}): BuiltImage {
  const epoch = options.epoch ?? epochSeconds();
  const created = new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
  const tar = createTar(layerEntries(context.files.filter((f) => f.inImage), epoch));
  const layer = blobOf(mediaTypes.ociLayerTarGzip, gzipReproducible(tar));
  const configJson = {
    created,
    architecture: options.architecture ?? 'amd64',
    os: 'linux',
    config: {
      Env: context.env.map(([k, v]) => `${k}=${v}`),
      Cmd: context.cmd,
      Labels: context.labels,
    },
    rootfs: { type: 'layers', diff_ids: [digestOf(tar)] },
    history: [{ created, created_by: 'istio-wasm sealos build (Kubefile: FROM scratch, COPY manifests registry)' }],
  };
  const config = blobOf(mediaTypes.ociConfig, encoder.encode(JSON.stringify(configJson)));
  const manifestJson = { schemaVersion: 2, mediaType: mediaTypes.ociManifest, config: config.descriptor, layers: [layer.descriptor] };
  const manifest = blobOf(mediaTypes.ociManifest, encoder.encode(JSON.stringify(manifestJson)));
  // BuiltImage's variant names the wasm image formats; a cluster image is an ordinary OCI image.
  return { variant: 'compat', manifest, config, layers: [layer], wasmSha256: '' };
}

/** Writes the context to `dir` (emptied first): what `sealos build -f Kubefile <dir>` builds. */
export async function writeContextDir(dir: string, files: readonly ContextFile[]): Promise<void> {
  try {
    await rm(dir, { recursive: true, force: true });
    for (const f of files) {
      const target = path.join(dir, ...f.path.split('/'));
      await mkdir(path.dirname(target), { recursive: true });
      await writeFile(target, f.data);
    }
  } catch (error) {
    throw new CliError('CONTEXT_WRITE_FAILED', `cannot write the cluster image context ${dir}: ${messageOf(error)}`, { hint: 'check the path and its permissions' });
  }
}

/** An OCI layout directory, or an oci-archive when `output` ends in .tar. */
export async function writeClusterImage(output: string, image: BuiltImage, tag: string): Promise<'oci' | 'oci-archive'> {
  if (output.endsWith('.tar')) {
    await writeLayoutArchive(output, image, tag);
    return 'oci-archive';
  }
  await writeLayoutDir(output, image, tag);
  return 'oci';
}
