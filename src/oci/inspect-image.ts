import { existsSync } from 'node:fs';
import { CliError } from '../errors.js';
import { checkedReference } from '../project/image.js';
import type { Variant } from './image.js';
import type { Descriptor } from './media-types.js';
import { pullModule, readLayoutModule, type PulledModule } from './pull.js';
import { connect } from './session.js';
import { inspectWasm, type WasmInspection } from '../wasm/inspect.js';

/**
 * `istio-wasm inspect <image>`: a remote image (or an OCI layout / oci-archive) — its variant,
 * manifest digest (the WasmPlugin `sha256`), layers, config, and the module inside, checked as
 * `inspect <file.wasm>` checks it.
 */
export interface ImageInspection {
  reference: string;
  source: 'registry' | 'layout';
  variant: Variant;
  /** Manifest digest: the WasmPlugin `sha256` is this without "sha256:". */
  digest: string;
  indexDigest?: string;
  mediaType: string;
  layers: Array<Pick<Descriptor, 'mediaType' | 'digest' | 'size' | 'annotations'>>;
  config: unknown;
  annotations?: Record<string, string>;
  /** The module inside, checked as `inspect <file.wasm>` checks it. */
  module: WasmInspection;
}

/** `PATH` or `PATH:TAG` when PATH exists on disk. */
function layoutInput(input: string): { path: string; tag?: string } | undefined {
  if (existsSync(input)) return { path: input };
  const colon = input.lastIndexOf(':');
  if (colon > 0 && existsSync(input.slice(0, colon))) return { path: input.slice(0, colon), tag: input.slice(colon + 1) };
  return undefined;
}

export async function inspectImage(
  input: string,
  options: { authfile?: string; creds?: string; plainHttp?: boolean; insecure?: boolean; signal?: AbortSignal },
): Promise<ImageInspection> {
  const local = layoutInput(input);
  let pulled: PulledModule;
  let config: unknown;
  let source: ImageInspection['source'];
  if (local) {
    const fromLayout = await readLayoutModule(local.path, local.tag);
    pulled = fromLayout;
    config = fromLayout.config;
    source = 'layout';
  } else {
    const ref = checkedReference(input, 'the image');
    pulled = await pullModule(ref, options);
    source = 'registry';
    const configDescriptor = pulled.manifest.config;
    if (configDescriptor && configDescriptor.size <= 1024 * 1024) {
      const client = await connect(ref, options);
      try {
        config = JSON.parse(new TextDecoder().decode(await client.getBlob(ref.repository, configDescriptor)));
      } catch (error) {
        if (error instanceof CliError && error.code === 'AUTH_FAILED') throw error;
        config = undefined;
      }
    }
  }
  const out: ImageInspection = {
    reference: pulled.reference,
    source,
    variant: pulled.variant,
    digest: pulled.digest,
    mediaType: pulled.mediaType,
    layers: (pulled.manifest.layers ?? []).map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size, ...(l.annotations ? { annotations: l.annotations } : {}) })),
    config,
    module: inspectWasm(pulled.bytes),
  };
  if (pulled.indexDigest) out.indexDigest = pulled.indexDigest;
  if (pulled.manifest.annotations) out.annotations = pulled.manifest.annotations;
  return out;
}
