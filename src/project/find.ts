import { existsSync } from 'node:fs';
import path from 'node:path';
import { configFileName } from './schema.js';

/**
 * Walks up from `from` to the nearest directory with istio-wasm.yaml. Kept apart from the loader
 * so that commands can ask "is there a project here?" without loading the YAML parser.
 */
export function findProjectRoot(from: string): string | undefined {
  let dir = path.resolve(from);
  for (;;) {
    if (existsSync(path.join(dir, configFileName))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return undefined;
    dir = parent;
  }
}
