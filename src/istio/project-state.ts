import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { RegistryChallenge } from './registry-trap.js';
import { writeFileAtomic } from '../util/write-atomic.js';
import { sha256Hex } from '../util/sha256.js';

/**
 * What earlier commands recorded in `<project>/.istio-wasm/`: the last push (written by `push`)
 * and the registry challenges learnt by `manifest --pin` (written here).
 */
export type { LastPush } from '../oci/last-push.js';
export { lastPushPath, readLastPush } from '../oci/last-push.js';

export const stateDirName = '.istio-wasm';

export function challengesPath(root: string): string {
  return path.join(root, stateDirName, 'registry-challenges.json');
}

export interface RecordedChallenge extends RegistryChallenge {
  checkedAt: string;
}

export async function readChallenges(root: string): Promise<Map<string, RecordedChallenge>> {
  const out = new Map<string, RecordedChallenge>();
  try {
    const data = JSON.parse(await readFile(challengesPath(root), 'utf8')) as Record<string, RecordedChallenge>;
    for (const [host, c] of Object.entries(data)) {
      if (c && (c.scheme === 'basic' || c.scheme === 'bearer' || c.scheme === 'none')) out.set(host, c);
    }
  } catch {
    // none recorded yet
  }
  return out;
}

export async function recordChallenge(root: string, host: string, challenge: RegistryChallenge): Promise<void> {
  const all = Object.fromEntries(await readChallenges(root));
  all[host] = { scheme: challenge.scheme, ...(challenge.realm ? { realm: challenge.realm } : {}), ...(challenge.service ? { service: challenge.service } : {}), checkedAt: new Date().toISOString() };
  await mkdir(path.join(root, stateDirName), { recursive: true });
  await writeFileAtomic(challengesPath(root), `${JSON.stringify(all, null, 2)}\n`);
}

export async function sha256File(file: string): Promise<string | undefined> {
  try {
    return sha256Hex(await readFile(file));
  } catch {
    return undefined;
  }
}

/**
 * True the first time `topic` is asked about in this project (then recorded in
 * `.istio-wasm/said.json`): for notes a user should hear once, not on every run.
 */
export async function sayOnce(root: string, topic: string): Promise<boolean> {
  const file = path.join(root, stateDirName, 'said.json');
  let said: Record<string, string> = {};
  try {
    said = JSON.parse(await readFile(file, 'utf8')) as Record<string, string>;
  } catch {
    // nothing said yet
  }
  if (typeof said[topic] === 'string') return false;
  said[topic] = new Date().toISOString();
  await mkdir(path.join(root, stateDirName), { recursive: true });
  await writeFileAtomic(file, `${JSON.stringify(said, null, 2)}\n`).catch(() => undefined);
  return true;
}
