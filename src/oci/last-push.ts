import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../util/write-atomic.js';

/** The project's record of its last push, read by `manifest --pin`: `.istio-wasm/last-push.json`. */
export interface LastPush {
  image: string;
  digest: string;
  url: string;
  pushedAt: string;
}

export function lastPushPath(projectRoot: string): string {
  return path.join(projectRoot, '.istio-wasm', 'last-push.json');
}

export async function writeLastPush(projectRoot: string, record: LastPush): Promise<string> {
  const file = lastPushPath(projectRoot);
  await writeFileAtomic(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

export async function readLastPush(projectRoot: string): Promise<LastPush | undefined> {
  try {
    const value = JSON.parse(await readFile(lastPushPath(projectRoot), 'utf8')) as LastPush;
    return typeof value.image === 'string' && typeof value.digest === 'string' ? value : undefined;
  } catch {
    return undefined;
  }
}
