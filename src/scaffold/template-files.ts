import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { manifestFileName } from './manifest.js';
import type { TemplateFunction } from './template-functions.js';

/** A file of a template as stored: path inside the template (`/`-separated), bytes and mode. */
export interface TemplateFile {
  path: string;
  contents: Buffer;
  executable: boolean;
  /** A built-in `*.hbs` file's template as a plain function, compiled when the package was built. */
  render?: TemplateFunction;
}

const skipped = new Set([manifestFileName, '.DS_Store']);

/**
 * Files of a template directory, relative and sorted; `.git` and `node_modules` anywhere are left
 * out, and so are the root-level names in `skip` (by default template.json and .DS_Store).
 */
export async function listFiles(dir: string, skip: ReadonlySet<string> = skipped, base = dir): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    if (skip.has(entry.name) && dir === base) continue;
    if (entry.name === '.git' || entry.name === 'node_modules') continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await listFiles(full, skip, base)));
    else if (entry.isFile()) files.push(path.relative(base, full));
  }
  return files.sort();
}

/** Every file of a template directory with its bytes and mode (see listFiles for what is left out). */
export async function readTemplateFiles(dir: string, skip: ReadonlySet<string> = skipped): Promise<TemplateFile[]> {
  const out: TemplateFile[] = [];
  for (const relative of await listFiles(dir, skip)) {
    const full = path.join(dir, relative);
    const [contents, { mode }] = await Promise.all([readFile(full), stat(full)]);
    out.push({ path: relative.split(path.sep).join('/'), contents, executable: (mode & 0o111) !== 0 });
  }
  return out;
}
