// The CLI as CommonJS chunks (dist/cli.cjs and the dist/*.cjs it requires), in two passes.
//
// Why CommonJS: Node answers `require` without starting its ES module loader (measured on Node 20:
// an empty ES module costs 15-20 ms more than an empty CommonJS file, a quarter of `node -e 0`), and
// a CommonJS file can be compiled from V8's code cache (bin/compile-cache.js), which on Node 20 an
// ES module cannot. Why two passes: esbuild splits code only in ES module output, and the command
// modules must stay chunks that load when used. So the first pass bundles and splits as ES modules
// (.cjs names already), the second turns each chunk into CommonJS: `import`/`export` into
// `require`/`module.exports`, `import()` of a chunk into a `require` in a promise (so a chunk loads
// exactly when it did), and the first pass's source maps chained, so stacks still name src/*.ts.
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

export async function buildCliCommonJs(root, options, entryPoints, outdir) {
  const { banner, ...esm } = options; // its createRequire line is for ES modules; CommonJS has require
  const staging = mkdtempSync(path.join(root, 'node_modules', '.cli-esm-'));
  try {
    const first = await build({ ...esm, entryPoints, outdir: staging, outExtension: { '.js': '.cjs' }, metafile: true });
    const chunks = readdirSync(staging).filter((f) => f.endsWith('.cjs')).map((f) => path.join(staging, f));
    const second = await build({
      entryPoints: chunks,
      outdir,
      outExtension: { '.js': '.cjs' },
      format: 'cjs',
      platform: 'node',
      target: options.target,
      bundle: false,
      sourcemap: 'linked',
      sourcesContent: false,
      minifyWhitespace: options.minifyWhitespace,
      minifySyntax: options.minifySyntax,
      legalComments: 'none',
      logLevel: 'warning',
      supported: { 'dynamic-import': false },
      // src/version.ts finds the package root from its module's URL, computed only when asked.
      define: { 'import.meta': '__ciwImportMeta' },
      banner: { js: "var __ciwImportMeta = { get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
      metafile: true,
    });
    return { inputs: first.metafile, outputs: Object.keys(second.metafile.outputs) };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}
