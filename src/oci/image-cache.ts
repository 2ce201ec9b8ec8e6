import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { sha256Hex } from './image.js';

/**
 * A small cache of built images' manifest and config, keyed by the module's sha256 and the build
 * options, so a re-push of an unchanged module only hashes it and sends HEAD requests (no tar, no
 * gzip). Layers are rebuilt when the registry lacks a blob. Losing the cache only costs time.
 */
export interface CachedImage {
  manifest: Uint8Array;
  config: Uint8Array;
}

function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'istio-wasm', 'images');
}

export function cacheKey(wasmSha256: string, options: Record<string, unknown>): string {
  return sha256Hex(new TextEncoder().encode(JSON.stringify({ v: 1, wasmSha256, ...options })));
}

export async function readCachedImage(key: string): Promise<CachedImage | undefined> {
  try {
    const value = JSON.parse(await readFile(path.join(cacheDir(), `${key}.json`), 'utf8')) as { manifest: string; config: string };
    return { manifest: new Uint8Array(Buffer.from(value.manifest, 'base64')), config: new Uint8Array(Buffer.from(value.config, 'base64')) };
  } catch {
    return undefined;
  }
}

export async function writeCachedImage(key: string, image: CachedImage): Promise<void> {
  try {
    const dir = cacheDir();
    await mkdir(dir, { recursive: true });
    const file = path.join(dir, `${key}.json`);
    const temp = `${file}.tmp-${process.pid}`;
    await writeFile(temp, JSON.stringify({ manifest: Buffer.from(image.manifest).toString('base64'), config: Buffer.from(image.config).toString('base64') }));
    await rename(temp, file);
  } catch {
    // a cache that cannot be written is no cache
  }
}
