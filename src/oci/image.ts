import { createTar } from './tar.js';
import { gzipReproducible, gzipReproducibleAsync } from './gzip.js';
import { mediaTypes, type Descriptor } from './media-types.js';
import { sha256Hex } from '../util/sha256.js';

/**
 * Building a plugin image in memory. Three variants, all read by Istio's agent:
 * - `compat` (default): OCI manifest, OCI config, one tar+gzip layer with `plugin.wasm` first;
 * - `wasm`: solo.io's 2-layer format (wasm config + raw module);
 * - `docker`: Docker v2 manifest with one rootfs tar.gzip layer.
 * Reproducible: fixed tar headers, mtime and gzip header; `created` is the epoch unless
 * SOURCE_DATE_EPOCH says otherwise.
 */
export const variants = ['compat', 'wasm', 'docker'] as const;
export type Variant = (typeof variants)[number];

export interface Blob {
  descriptor: Descriptor;
  data: Uint8Array;
}

export interface BuiltImage {
  variant: Variant;
  manifest: Blob;
  config: Blob;
  layers: Blob[];
  /** sha256 of the module itself (what a http(s) url's `sha256` would be). */
  wasmSha256: string;
}

export interface BuildOptions {
  variant?: Variant;
  /** Root ids written into the wasm variant's config. */
  rootIds?: string[];
  /** Seconds since the epoch for `created` and tar mtimes (default SOURCE_DATE_EPOCH or 0). */
  epoch?: number;
  /** The module's sha256 when the caller already has it (saves hashing it twice). */
  wasmSha256?: string;
}

export { sha256Hex };

export function digestOf(data: Uint8Array): string {
  return `sha256:${sha256Hex(data)}`;
}

const encoder = new TextEncoder();

export function blobOf(mediaType: string, data: Uint8Array, annotations?: Record<string, string>): Blob {
  const descriptor: Descriptor = { mediaType, digest: digestOf(data), size: data.length };
  if (annotations) descriptor.annotations = annotations;
  return { descriptor, data };
}

function defaultEpoch(): number {
  const fromEnv = Number(process.env.SOURCE_DATE_EPOCH);
  return Number.isInteger(fromEnv) && fromEnv >= 0 ? fromEnv : 0;
}

export function isWasmModule(bytes: Uint8Array): boolean {
  return bytes.length >= 8 && bytes[0] === 0x00 && bytes[1] === 0x61 && bytes[2] === 0x73 && bytes[3] === 0x6d;
}

/** The same image as buildImage; the layer is compressed in parallel while the tar is hashed. */
export async function buildImageAsync(wasm: Uint8Array, options: BuildOptions = {}): Promise<BuiltImage> {
  if ((options.variant ?? 'compat') === 'wasm') return buildImage(wasm, options);
  const tar = createTar([{ name: 'plugin.wasm', data: wasm, mtime: options.epoch ?? defaultEpoch() }]);
  const gzipped = gzipReproducibleAsync(tar);
  const diffId = digestOf(tar);
  return buildImage(wasm, options, { tar, diffId, gzipped: await gzipped });
}

export function buildImage(wasm: Uint8Array, options: BuildOptions = {}, layer?: { tar: Uint8Array; diffId: string; gzipped: Uint8Array }): BuiltImage {
  const variant = options.variant ?? 'compat';
  const epoch = options.epoch ?? defaultEpoch();
  const created = new Date(epoch * 1000).toISOString().replace('.000Z', 'Z');
  const wasmSha256 = options.wasmSha256 ?? sha256Hex(wasm);
  if (variant === 'wasm') {
    const configJson = {
      type: 'envoy_proxy',
      abiVersions: ['v0.2.1'],
      config: { root_ids: options.rootIds ?? [] },
    };
    const config = blobOf(mediaTypes.wasmConfig, encoder.encode(JSON.stringify(configJson)), {
      'org.opencontainers.image.title': 'runtime-config.json',
    });
    const module = blobOf(mediaTypes.wasmContentLayer, wasm, { 'org.opencontainers.image.title': 'filter.wasm' });
    const { annotations: _ignored, ...configDescriptor } = config.descriptor;
    void _ignored;
    const manifestJson = {
      schemaVersion: 2,
      mediaType: mediaTypes.ociManifest,
      config: configDescriptor,
      layers: [config.descriptor, module.descriptor],
      annotations: { 'module.wasm.image/variant': 'wasm' },
    };
    return { variant, manifest: blobOf(mediaTypes.ociManifest, encoder.encode(JSON.stringify(manifestJson))), config, layers: [config, module], wasmSha256 };
  }
  const tar = layer?.tar ?? createTar([{ name: 'plugin.wasm', data: wasm, mtime: epoch }]);
  const docker = variant === 'docker';
  const layerBlob = blobOf(docker ? mediaTypes.dockerLayerTarGzip : mediaTypes.ociLayerTarGzip, layer?.gzipped ?? gzipReproducible(tar));
  const configJson = {
    created,
    architecture: 'amd64',
    os: 'linux',
    config: {},
    rootfs: { type: 'layers', diff_ids: [layer?.diffId ?? digestOf(tar)] },
    history: [{ created, created_by: 'istio-wasm package (plugin.wasm)' }],
  };
  const config = blobOf(docker ? mediaTypes.dockerConfig : mediaTypes.ociConfig, encoder.encode(JSON.stringify(configJson)));
  const manifestJson: Record<string, unknown> = {
    schemaVersion: 2,
    mediaType: docker ? mediaTypes.dockerManifest : mediaTypes.ociManifest,
    config: config.descriptor,
    layers: [layerBlob.descriptor],
  };
  if (!docker) manifestJson.annotations = { 'module.wasm.image/variant': 'compat' };
  const manifestType = docker ? mediaTypes.dockerManifest : mediaTypes.ociManifest;
  return { variant, manifest: blobOf(manifestType, encoder.encode(JSON.stringify(manifestJson))), config, layers: [layerBlob], wasmSha256 };
}

/** Every blob of the image except the manifest, without duplicates (the wasm config is also a layer). */
export function imageBlobs(image: BuiltImage): Blob[] {
  const seen = new Set<string>();
  const out: Blob[] = [];
  for (const blob of [...image.layers, image.config]) {
    if (seen.has(blob.descriptor.digest)) continue;
    seen.add(blob.descriptor.digest);
    out.push(blob);
  }
  return out;
}
