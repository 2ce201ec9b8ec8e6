// The CLI as CommonJS chunks (cli.cjs and the chunks it requires), in two passes, kept in one file,
// dist/cli.chunks, with their source maps in dist/cli.chunks.map (bin/load-cli.js reads them).
//
// Why CommonJS: Node answers `require` without starting its ES module loader (measured on Node 20:
// an empty ES module costs 15-20 ms more than an empty CommonJS file, a quarter of `node -e 0`), and
// a CommonJS file can be compiled from V8's code cache (bin/compile-cache.js), which on Node 20 an
// ES module cannot. Why two passes: esbuild splits code only in ES module output, and the command
// modules must stay chunks that load when used. So the first pass bundles and splits as ES modules
// (.cjs names already), the second turns each chunk into CommonJS: `import`/`export` into
// `require`/`module.exports`, `import()` of a chunk into a `require` in a promise (so a chunk loads
// exactly when it did), and the first pass's source maps chained, so stacks still name src/*.ts.
// Why one file: npm installs a package file by file (each chunk and each map was a file, ~300 in
// all, most of an `npx create-istio-wasm` install's time), and a start opened each chunk it loaded.
import { mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
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
      // src/version.ts finds the package root from the module's directory (its URL is computed only when asked).
      define: { 'import.meta': '__ciwImportMeta' },
      banner: { js: "var __ciwImportMeta = { dirname: __dirname, filename: __filename, get url() { return require('node:url').pathToFileURL(__filename).href; } };" },
      metafile: true,
      write: false,
    });
    return { inputs: first.metafile, outputs: writeChunks(outdir, second.outputFiles) };
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

/**
 * dist/cli.chunks: a line of JSON, `{ "name.cjs": [offset, length] }` (bytes after that line), then
 * each chunk's source without its sourceMappingURL comment; dist/cli.chunks.map: `{ "name.cjs": map }`.
 */
function writeChunks(outdir, outputFiles) {
  const byName = new Map(outputFiles.map((f) => [path.basename(f.path), f]));
  const table = {};
  const sources = [];
  const maps = {};
  let offset = 0;
  for (const name of [...byName.keys()].filter((n) => n.endsWith('.cjs')).sort()) {
    const source = Buffer.from(byName.get(name).text.replace(/\n\/\/# sourceMappingURL=\S+\s*$/, '\n'));
    table[name] = [offset, source.length];
    offset += source.length;
    sources.push(source);
    const map = byName.get(`${name}.map`);
    if (map) maps[name] = JSON.parse(map.text);
  }
  if (!table['cli.cjs']) throw new Error('build: the CLI build wrote no cli.cjs');
  const file = path.join(outdir, 'cli.chunks');
  // Renamed into place: a CLI starting meanwhile (a test, a watch) reads a whole file, old or new.
  const replace = (target, contents) => {
    writeFileSync(`${target}.${process.pid}`, contents);
    renameSync(`${target}.${process.pid}`, target);
  };
  replace(`${file}.map`, JSON.stringify(maps));
  replace(file, Buffer.concat([Buffer.from(`${JSON.stringify(table)}\n`), ...sources]));
  return [file, `${file}.map`];
}
