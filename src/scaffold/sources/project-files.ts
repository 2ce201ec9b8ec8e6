import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { RenderedFile } from '../render.js';
import type { ProjectFiles } from './detect-language.js';

const readLimit = 1 << 20;

/**
 * A directory as ProjectFiles. `suffixes` also finds a file stored under a template suffix
 * (`Cargo.toml.hbs`, `Cargo.toml.liquid`), for looking at a template before it is rendered.
 */
export function directoryFiles(dir: string, suffixes: string[] = ['']): ProjectFiles & { exists(relative: string): boolean } {
  const readOne = (file: string): string | undefined => {
    try {
      const stats = statSync(file);
      return stats.isFile() && stats.size <= readLimit ? readFileSync(file, 'utf8') : undefined;
    } catch {
      return undefined;
    }
  };
  return {
    read: (relative) => {
      for (const suffix of suffixes) {
        const text = readOne(path.join(dir, `${relative}${suffix}`));
        if (text !== undefined) return text;
      }
      return undefined;
    },
    rootFiles: () => {
      try {
        return readdirSync(dir, { withFileTypes: true }).filter((e) => e.isFile()).map((e) => e.name.replace(/\.(hbs|liquid)$/, ''));
      } catch {
        return [];
      }
    },
    exists: (relative) => {
      try {
        statSync(path.join(dir, relative));
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** Files rendered in memory as ProjectFiles. */
export function memoryFiles(files: RenderedFile[]): ProjectFiles & { exists(relative: string): boolean } {
  const byPath = new Map(files.map((f) => [f.path, f]));
  const dirs = new Set(files.flatMap((f) => f.path.split('/').slice(0, -1).map((_p, i, all) => all.slice(0, i + 1).join('/'))));
  return {
    read: (relative) => byPath.get(relative)?.contents.toString('utf8'),
    rootFiles: () => files.filter((f) => !f.path.includes('/')).map((f) => f.path),
    exists: (relative) => byPath.has(relative) || dirs.has(relative),
  };
}
