import { chmodSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * Writes a file so that readers see the old content or the new, never a part: a temp file beside
 * it, then a rename. The parent directory is created; `mode` applies before the file appears.
 */
export async function writeFileAtomic(file: string, data: string | Uint8Array, options: { mode?: number; dirMode?: number } = {}): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, ...(options.dirMode === undefined ? {} : { mode: options.dirMode }) });
  const temp = tempName(file);
  try {
    await writeFile(temp, data, options.mode === undefined ? {} : { mode: options.mode });
    if (options.mode !== undefined) await chmod(temp, options.mode);
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * writeFileAtomic without the promise API: for a small file written where loading fs/promises and
 * several trips through the thread pool would cost more than the write (push's record of what it pushed).
 */
export function writeFileAtomicSync(file: string, data: string | Uint8Array, options: { mode?: number; dirMode?: number } = {}): void {
  mkdirSync(path.dirname(file), { recursive: true, ...(options.dirMode === undefined ? {} : { mode: options.dirMode }) });
  const temp = tempName(file);
  try {
    writeFileSync(temp, data, options.mode === undefined ? {} : { mode: options.mode });
    if (options.mode !== undefined) chmodSync(temp, options.mode);
    renameSync(temp, file);
  } catch (error) {
    rmSync(temp, { force: true });
    throw error;
  }
}

/** A temp file beside `file`, unique to this process and call. */
function tempName(file: string): string {
  return `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}
