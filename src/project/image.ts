import { CliError } from '../errors.js';
import { parseReference, ReferenceError, formatReference, type ImageReference } from '../oci/reference.js';

/**
 * The image a command works on: the flag, else the seed's REPO/IMG environment
 * (`REPO=sealos.hub:5000 IMG=wasm/wasm-auth:latest`), else istio-wasm.yaml. Values are trimmed,
 * so a Makefile default with a trailing blank cannot produce a broken reference.
 */
export function imageFromEnv(env: NodeJS.ProcessEnv): string | undefined {
  const repo = env.REPO?.trim().replace(/\/+$/, '');
  const img = env.IMG?.trim().replace(/^\/+/, '');
  if (img && repo) return `${repo}/${img}`;
  if (img) return img;
  return undefined;
}

export function resolveImage(options: { flag?: string | undefined; env?: NodeJS.ProcessEnv; config?: string | undefined }): { reference: ImageReference; text: string; source: 'flag' | 'env' | 'config' } {
  const fromEnv = imageFromEnv(options.env ?? process.env);
  const [text, source] = options.flag
    ? [options.flag, 'flag' as const]
    : fromEnv
      ? [fromEnv, 'env' as const]
      : options.config
        ? [options.config, 'config' as const]
        : [undefined, 'config' as const];
  if (!text) {
    throw new CliError('NO_IMAGE', 'no image reference given', {
      hint: 'pass an image (registry/repo:tag), set REPO and IMG, or set image: in istio-wasm.yaml',
    });
  }
  return { reference: checkedReference(text, source === 'env' ? 'REPO/IMG' : source === 'flag' ? 'the image argument' : 'image in istio-wasm.yaml'), text: text.trim(), source };
}

export function checkedReference(text: string, what: string): ImageReference {
  try {
    return parseReference(text);
  } catch (error) {
    if (error instanceof ReferenceError) {
      throw new CliError('BAD_IMAGE', `${what} "${text.trim()}" is not a valid image reference: ${error.message}`, {
        hint: 'use registry[:port]/repository:tag, e.g. 127.0.0.1:5000/wasm/my-plugin:v0.1.0',
      });
    }
    throw error;
  }
}

export { formatReference };
