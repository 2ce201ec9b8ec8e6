#!/usr/bin/env node
// `npm run build`: the package as a few bundled files, so `npx create-istio-wasm` installs one
// package and starts without resolving hundreds of modules.
//
// Conventions (nothing here names a library or a command):
// - entry points: src/cli.ts (the bins load dist/cli.chunks) and every `exports` subpath of
//   package.json that points into dist/: `"./X"` → dist/X.js, built from src/X/index.ts or src/X.ts;
// - the CLI is CommonJS chunks kept in one file (dist/cli.chunks, build/cli-commonjs.mjs says why),
//   the library entries ES modules (dist/*.js), each build split into chunks of its own;
// - every runtime library is bundled (the published package declares no dependencies); only Node's
//   built-ins stay imports. Dynamic `import()` stays a separate chunk, loaded only when reached;
// - the built-in templates are data in the bundle, `*.hbs` compiled to plain functions
//   (build/builtin-templates.mjs, build/template-functions.mjs);
// - `await import('a-commonjs-library')` keeps its named exports, as in Node (build/cjs-dynamic-import.mjs);
// - one flat dist/ (entries and chunks side by side), so code finds the package root at `..`;
// - every bin's `--help` pages in dist/help.json, answered by the bins without loading the CLI
//   (build/help-pages.mjs);
// - source maps (stacks name the TypeScript file with `--verbose`; the CLI's in one file), declarations for the
//   library entries under dist/types/, and the licences of the bundled libraries in
//   dist/THIRD-PARTY-LICENSES.md.
import { existsSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import ts from 'typescript';
import { bundleOptions } from './build/bundle-options.mjs';
import { buildCliCommonJs } from './build/cli-commonjs.mjs';
import { writeHelpPages } from './build/help-pages.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const dist = path.join(root, 'dist');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

/** `{ name → source file }`: cli plus each `exports` subpath that points into dist/. */
function entryPoints() {
  const entries = { cli: path.join(root, 'src', 'cli.ts') };
  for (const [subpath, target] of Object.entries(pkg.exports ?? {})) {
    const file = typeof target === 'string' ? target : target.default ?? target.import;
    if (subpath === '.' || typeof file !== 'string' || !file.startsWith('./dist/')) continue;
    const name = subpath.slice(2);
    if (file !== `./dist/${name}.js`) throw new Error(`build: exports["${subpath}"] must point at ./dist/${name}.js (found ${file})`);
    const source = [path.join(root, 'src', name, 'index.ts'), path.join(root, 'src', `${name}.ts`)].find((f) => existsSync(f));
    if (!source) throw new Error(`build: exports["${subpath}"] has no source: expected src/${name}/index.ts or src/${name}.ts`);
    entries[name] = source;
  }
  return entries;
}

const entries = entryPoints();
const { cli, ...libraries } = entries;
const options = bundleOptions(root);
const result = await build({ ...options, entryPoints: libraries, outdir: dist, metafile: true });
const cliBuild = await buildCliCommonJs(root, options, { cli }, dist);

// Files of an earlier build go only after the new ones are written: a CLI started meanwhile (a
// test, a watch) finds dist/cli.chunks at every moment.
const written = new Set([...Object.keys(result.metafile.outputs), ...cliBuild.outputs].map((f) => path.resolve(root, f)));
written.add(path.join(dist, 'help.json'));
for (const name of readdirSync(dist)) {
  const file = path.join(dist, name);
  if (name !== 'types' && !written.has(file)) rmSync(file, { recursive: true, force: true });
}
rmSync(path.join(dist, 'types'), { recursive: true, force: true });
writeFileSync(path.join(dist, 'THIRD-PARTY-LICENSES.md'), thirdPartyLicenses([result.metafile, cliBuild.inputs]));
await writeHelpPages(dist, Object.keys(pkg.bin));
emitDeclarations(Object.values(libraries));

/** The licence of every library the bundle contains (their licences ask that it ships with them). */
function thirdPartyLicenses(metafiles) {
  const packages = new Map();
  for (const input of metafiles.flatMap((m) => Object.keys(m.inputs))) {
    if (/^[\w-]+:/.test(input)) continue; // a plugin's module (its library is an input too)
    const m = /^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//.exec(input);
    if (m) packages.set(m[1], true);
  }
  const sections = [];
  for (const dir of [...packages.keys()].sort()) {
    const full = path.join(root, dir);
    const info = JSON.parse(readFileSync(path.join(full, 'package.json'), 'utf8'));
    const file = ['LICENSE', 'LICENSE.md', 'LICENSE.txt', 'license', 'license.md', 'LICENCE'].map((f) => path.join(full, f)).find((f) => existsSync(f));
    const text = file ? readFileSync(file, 'utf8').trim() : `${info.license ?? 'see the package'} (no licence file in the package)`;
    sections.push(`## ${info.name}@${info.version} (${info.license ?? 'unknown'})\n\n${text}\n`);
  }
  return `# Libraries bundled into create-istio-wasm\n\n${sections.join('\n')}`;
}

/** Type declarations of the library entries (dist/types/<area>/…), for projects importing them. */
function emitDeclarations(files) {
  if (files.length === 0) return;
  const config = ts.readConfigFile(path.join(root, 'tsconfig.json'), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config.config, ts.sys, root);
  const program = ts.createProgram(files, {
    ...options,
    rootDir: path.join(root, 'src'),
    outDir: undefined,
    declarationDir: path.join(dist, 'types'),
    declaration: true,
    emitDeclarationOnly: true,
    noEmit: false,
    sourceMap: false,
    declarationMap: false,
  });
  // Types are checked by `npm run typecheck`; here only what stops a declaration from being written.
  const errors = program.emit().diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length > 0) {
    process.stderr.write(ts.formatDiagnosticsWithColorAndContext(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => root, getNewLine: () => '\n' }));
    process.exit(1);
  }
}
