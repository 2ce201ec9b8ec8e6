import path from 'node:path';
import { CliError } from '../errors.js';
import { gunzip } from './gzip.js';
import { isWasmModule } from './image.js';
import { mediaTypes, type Descriptor, type Manifest } from './media-types.js';
import { readTar } from './tar.js';
import type { Variant } from './image.js';

/**
 * Finding the module in an image exactly as Istio's agent does (pkg/wasm imagefetcher):
 * a Docker v2 manifest takes only the Docker rule; any other manifest tries "compat"
 * (last layer tar+gzip, first entry named plugin.wasm), then the 2-layer wasm variant.
 */
export interface ExtractedModule {
  variant: Variant;
  /** Descriptor of the layer holding the module. */
  layer: Descriptor;
  bytes: Uint8Array;
}

export type BlobReader = (descriptor: Descriptor) => Promise<Uint8Array>;

function moduleFromTarGzip(blob: Uint8Array): Uint8Array {
  let tar: Uint8Array;
  try {
    tar = gunzip(blob);
  } catch (error) {
    throw new Error(`layer is not gzip: ${(error as Error).message}`);
  }
  for (const entry of readTar(tar)) {
    if (entry.type === 'file' && path.posix.basename(entry.name) === 'plugin.wasm') return entry.data.slice();
  }
  throw new Error('no plugin.wasm in the layer');
}

export async function extractModule(manifest: Manifest, readBlob: BlobReader): Promise<ExtractedModule> {
  const layers = manifest.layers ?? [];
  const last = layers[layers.length - 1];
  if (manifest.mediaType === mediaTypes.dockerManifest) {
    if (!last || last.mediaType !== mediaTypes.dockerLayerTarGzip) {
      throw notAPlugin(`its last layer is ${last?.mediaType ?? 'missing'}, not ${mediaTypes.dockerLayerTarGzip}`);
    }
    try {
      return { variant: 'docker', layer: last, bytes: moduleFromTarGzip(await readBlob(last)) };
    } catch (error) {
      if (error instanceof CliError) throw error;
      throw notAPlugin((error as Error).message);
    }
  }
  const problems: string[] = [];
  if (last && last.mediaType === mediaTypes.ociLayerTarGzip) {
    try {
      return { variant: 'compat', layer: last, bytes: moduleFromTarGzip(await readBlob(last)) };
    } catch (error) {
      if (error instanceof CliError) throw error;
      problems.push(`compat: ${(error as Error).message}`);
    }
  } else {
    problems.push(`compat: last layer is ${last?.mediaType ?? 'missing'}, not ${mediaTypes.ociLayerTarGzip}`);
  }
  if (layers.length === 2) {
    const wasmLayer = layers.find((l) => l.mediaType === mediaTypes.wasmContentLayer);
    if (wasmLayer) return { variant: 'wasm', layer: wasmLayer, bytes: await readBlob(wasmLayer) };
    problems.push(`wasm: no ${mediaTypes.wasmContentLayer} layer`);
  } else {
    problems.push(`wasm: ${layers.length} layers, not 2`);
  }
  throw notAPlugin(problems.join('; '));
}

function notAPlugin(why: string): CliError {
  return new CliError('NOT_A_WASM_IMAGE', `the image holds no Wasm plugin Istio can load (${why})`, {
    hint: 'push it with `istio-wasm push` (compat variant), or build it FROM scratch with plugin.wasm in the last layer',
  });
}

/** The check the agent makes after extraction: `\0asm` magic and at least 8 bytes. */
export function checkModuleBytes(bytes: Uint8Array, what: string): void {
  if (!isWasmModule(bytes)) {
    throw new CliError('NOT_WASM', `${what} is not a WebAssembly module (no \\0asm magic)`, {
      hint: 'point --wasm at the built .wasm file (run `istio-wasm build` first)',
    });
  }
}
