import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

/**
 * The root of this package (where package.json, templates/ and assembly/ live). import.meta.dirname
 * where the module has one (Node, and the CLI's CommonJS chunks: no URL to build and parse at
 * every start), else from its URL.
 */
export const packageRoot = path.resolve(import.meta.dirname ?? path.dirname(fileURLToPath(import.meta.url)), '..');

let cached: { name: string; version: string } | undefined;

export function packageInfo(): { name: string; version: string } {
  cached ??= JSON.parse(readFileSync(path.join(packageRoot, 'package.json'), 'utf8')) as { name: string; version: string };
  return cached;
}
