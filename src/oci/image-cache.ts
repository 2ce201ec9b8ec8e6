import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipLevel, pieceSize } from './gzip.js';
import { sha256Hex } from './image.js';
import { writeFileAtomic } from '../util/write-atomic.js';

/**
 * A small cache of built images' manifest and config, keyed by the module's sha256 and the build
 * options, so a re-push of an unchanged module only hashes it and sends HEAD requests (no tar, no
 * gzip). Layers are rebuilt when the registry lacks a blob. Losing the cache only costs time.
 */
export interface CachedImage {
  manifest: Uint8Array;
  config: Uint8Array;
}

/** Where push keeps what it learnt (built images here, pushed manifests in ./pushed/). */
export function imageCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME || path.join(env.HOME || os.homedir(), '.cache');
  return path.join(base, 'istio-wasm');
}

function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(imageCacheRoot(env), 'images');
}

/**
 * Bump when the bytes buildImage makes for the same module change (tar, gzip, config, manifest).
 * The key also holds the gzip parameters and zlib's version: a manifest built by another
 * compressor would still be a valid image, but not the one this build reproduces.
 */
export const imageFormatVersion = 2;

export function cacheKey(wasmSha256: string, options: Record<string, unknown>): string {
  const format = { v: imageFormatVersion, gzip: [gzipLevel, pieceSize], zlib: process.versions.zlib };
  return sha256Hex(new TextEncoder().encode(JSON.stringify({ ...format, wasmSha256, ...options })));
}

export async function readCachedImage(key: string): Promise<CachedImage | undefined> {
  try {
    // Synchronous, as the auth files are: a small file read before the first request.
    const value = JSON.parse(readFileSync(path.join(cacheDir(), `${key}.json`), 'utf8')) as { manifest: string; config: string };
    return { manifest: new Uint8Array(Buffer.from(value.manifest, 'base64')), config: new Uint8Array(Buffer.from(value.config, 'base64')) };
  } catch {
    return undefined;
  }
}

export async function writeCachedImage(key: string, image: CachedImage): Promise<void> {
  try {
    const file = path.join(cacheDir(), `${key}.json`);
    await writeFileAtomic(file, JSON.stringify({ manifest: Buffer.from(image.manifest).toString('base64'), config: Buffer.from(image.config).toString('base64') }));
  } catch {
    // a cache that cannot be written is no cache
  }
}
