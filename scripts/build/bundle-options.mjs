// The esbuild options of the package's bundle, shared by `npm run build` (scripts/build.mjs) and
// benchmarks that load one internal module as the package would run it (bench/load-source.mjs).
import { builtinTemplatesPlugin } from './builtin-templates.mjs';
import { cjsDynamicImportPlugin } from './cjs-dynamic-import.mjs';
import { lazyRequirePlugin } from './lazy-require.mjs';

export function bundleOptions(root) {
  return {
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: '[name]-[hash]',
    sourcemap: 'linked',
    sourcesContent: false,
    minifyWhitespace: true,
    minifySyntax: true,
    // Libraries and our errors name themselves with constructor.name (commander's CommanderError).
    keepNames: true,
    legalComments: 'none',
    logLevel: 'warning',
    plugins: [builtinTemplatesPlugin(root), cjsDynamicImportPlugin(), lazyRequirePlugin()],
    // Bundled CommonJS libraries call require() for Node's built-ins.
    banner: { js: "import { createRequire as __ciwCreateRequire } from 'node:module'; const require = __ciwCreateRequire(import.meta.url);" },
  };
}
