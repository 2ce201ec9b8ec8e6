import { readFileSync } from 'node:fs';
import path from 'node:path';
import { imageCacheRoot } from './image-cache.js';
import { sha256Hex } from '../util/sha256.js';
import { writeFileAtomicSync } from '../util/write-atomic.js';

/**
 * The manifests this machine pushed to a repository (the last few, one small file per repository
 * in the cache). A push of a manifest not recorded there expects the registry to lack its blobs and
 * opens their upload sessions while it asks; a re-push of a recorded one asks what the tag names
 * first, and only that when it names the manifest. Only a hint: a lost or stale record costs a
 * round trip, or a session opened and cancelled.
 */
const kept = 32;

function recordFile(registry: string, repository: string): string {
  return path.join(imageCacheRoot(), 'pushed', `${sha256Hex(`${registry}/${repository}`).slice(0, 32)}.json`);
}

function read(file: string): string[] {
  try {
    // Synchronous, as the auth files are: a small file read before the first request.
    const value = JSON.parse(readFileSync(file, 'utf8')) as { manifests?: unknown };
    return Array.isArray(value.manifests) ? value.manifests.filter((d): d is string => typeof d === 'string') : [];
  } catch {
    return [];
  }
}

export function pushedBefore(registry: string, repository: string, manifestDigest: string): boolean {
  return read(recordFile(registry, repository)).includes(manifestDigest);
}

/** Synchronous (a few hundred bytes, after the manifest is in): see writeFileAtomicSync. */
export function recordPushed(registry: string, repository: string, manifestDigest: string): void {
  const file = recordFile(registry, repository);
  const manifests = read(file);
  if (manifests.at(-1) === manifestDigest) return;
  const next = [...manifests.filter((d) => d !== manifestDigest), manifestDigest].slice(-kept);
  try {
    writeFileAtomicSync(file, JSON.stringify({ manifests: next }));
  } catch {
    // a record that cannot be written only costs the next push a cancelled session
  }
}
