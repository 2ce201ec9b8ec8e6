// One internal module of the package (not an export), bundled as `npm run build` bundles the CLI,
// for a benchmark that drives it in-process: `await loadSource('src/serve/index.ts')`.
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build } from 'esbuild';
import { bundleOptions } from '../scripts/build/bundle-options.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export async function loadSource(file) {
  const outdir = mkdtempSync(path.join(os.tmpdir(), 'ciw-bench-source-'));
  process.on('exit', () => rmSync(outdir, { recursive: true, force: true }));
  await build({ ...bundleOptions(root), entryPoints: { entry: path.join(root, file) }, outdir });
  return import(pathToFileURL(path.join(outdir, 'entry.js')).href);
}
