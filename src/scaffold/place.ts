import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from '../errors.js';
import type { RenderedFile } from './render.js';

/** What the target directory looks like before anything is written. */
export function checkTarget(target: string, overwrite: boolean): { exists: boolean } {
  if (!existsSync(target)) return { exists: false };
  if (!statSync(target).isDirectory()) {
    throw new CliError('TARGET_NOT_DIRECTORY', `${target} exists and is not a directory`, { hint: 'choose another project directory' });
  }
  const entries = readdirSync(target).filter((e) => e !== '.git');
  if (entries.length > 0 && !overwrite) {
    throw new CliError('TARGET_NOT_EMPTY', `${target} is not empty (${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}); nothing was written`, {
      hint: 'choose a new directory, or pass --overwrite to replace the files the template writes (other files and .git are kept)',
    });
  }
  return { exists: true };
}

/** A placed project that can still be undone (Ctrl-C or a failed later step). */
export interface Placement {
  rollback(): Promise<void>;
  /** Forget the undo information (the backup of overwritten files). */
  commit(): Promise<void>;
}

function createdParents(dir: string): string[] {
  const created: string[] = [];
  let current = dir;
  while (!existsSync(current)) {
    created.unshift(current);
    current = path.dirname(current);
  }
  for (const d of created) mkdirSync(d);
  return created;
}

/**
 * The files written into the (new, empty) staging directory: each directory made once, each file
 * created with one call. Synchronous: a few dozen small files are written faster than the thread
 * pool would hand them back.
 */
function writeStaged(staging: string, files: RenderedFile[]): void {
  const made = new Set<string>([staging]);
  for (const file of files) {
    const dest = path.join(staging, file.path);
    const dir = path.dirname(dest);
    if (!made.has(dir)) {
      mkdirSync(dir, { recursive: true });
      for (let d = dir; !made.has(d); d = path.dirname(d)) made.add(d);
    }
    writeFileSync(dest, file.contents);
    if (file.executable) chmodSync(dest, 0o755);
  }
}

/**
 * Writes the files into a staging directory beside the target, then moves them into place: a
 * rename of the whole directory for a new target, or file by file (backing up what is replaced)
 * for an existing one. Either way, `rollback` restores what was there.
 */
export async function placeFiles(target: string, files: RenderedFile[], targetExists: boolean): Promise<Placement> {
  const parent = path.dirname(target);
  // Synchronous, as the writes are: each call through the thread pool costs a wake-up (more on a busy machine).
  const madeParents = createdParents(parent);
  const staging = mkdtempSync(path.join(parent, `.${path.basename(target)}-create-istio-wasm-`));
  try {
    writeStaged(staging, files);
  } catch (error) {
    await rm(staging, { recursive: true, force: true });
    for (const d of madeParents.reverse()) await rm(d, { recursive: true, force: true });
    throw error;
  }

  if (!targetExists) {
    renameSync(staging, target);
    return {
      rollback: async () => {
        await rm(target, { recursive: true, force: true });
        for (const d of [...madeParents].reverse()) await rm(d, { recursive: true, force: true });
      },
      commit: async () => {},
    };
  }

  const backup = path.join(staging, '.backup');
  const replaced: string[] = [];
  const added: string[] = [];
  const createdDirs: string[] = [];
  const rollback = async () => {
    for (const rel of added) await rm(path.join(target, rel), { force: true });
    for (const rel of replaced) await rename(path.join(backup, rel), path.join(target, rel));
    for (const d of createdDirs.reverse()) await rm(d, { recursive: true, force: true });
    await rm(staging, { recursive: true, force: true });
  };
  try {
    for (const file of files) {
      const dest = path.join(target, file.path);
      const dirs = createdParents(path.dirname(dest));
      createdDirs.push(...dirs);
      if (existsSync(dest)) {
        await mkdir(path.dirname(path.join(backup, file.path)), { recursive: true });
        await rename(dest, path.join(backup, file.path));
        replaced.push(file.path);
      } else {
        added.push(file.path);
      }
      await rename(path.join(staging, file.path), dest);
    }
  } catch (error) {
    await rollback();
    throw error;
  }
  return { rollback, commit: () => rm(staging, { recursive: true, force: true }) };
}
