// `await import('some-commonjs-library')` in a bundle, as Node answers it: with named exports.
//
// Node gives a dynamic import of a CommonJS module its named exports (`const { parse } = await
// import('yaml')`). esbuild, when it splits code, turns such an import into a chunk that exports
// only `default`, so the names come back undefined. This plugin puts a small ES module in between
// that exports each name the library's module.exports has, read by loading the library here.
// ES module libraries are left alone.
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const namespace = 'cjs-dynamic-import';
const identifier = /^[A-Za-z_$][\w$]*$/;

/** Whether Node loads this file as CommonJS (its extension, else the nearest package.json's type). */
function isCommonJs(file) {
  if (file.endsWith('.cjs')) return true;
  if (file.endsWith('.mjs')) return false;
  for (let dir = path.dirname(file); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (existsSync(pkg)) return JSON.parse(readFileSync(pkg, 'utf8')).type !== 'module';
  }
  return true;
}

export function cjsDynamicImportPlugin() {
  return {
    name: namespace,
    setup(bundler) {
      bundler.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.kind !== 'dynamic-import' || args.path.startsWith('node:') || args.pluginData === namespace) return undefined;
        // Resolved as esbuild would (this plugin steps aside for that inner call).
        const resolved = await bundler.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: namespace });
        if (resolved.errors.length > 0 || resolved.external || !isCommonJs(resolved.path)) return undefined;
        return { path: resolved.path, namespace };
      });
      bundler.onLoad({ filter: /.*/, namespace }, (args) => {
        const exported = createRequire(args.path)(args.path);
        const names = Object.keys(exported ?? {}).filter((n) => identifier.test(n) && n !== 'default' && n !== '__esModule');
        const from = JSON.stringify(args.path);
        const lines = [`import * as library from ${from};`, 'export default library.default;'];
        if (names.length > 0) lines.push(`export const { ${names.join(', ')} } = library;`);
        return { contents: lines.join('\n'), loader: 'js', resolveDir: path.dirname(args.path) };
      });
    },
  };
}
