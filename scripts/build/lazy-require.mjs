// Node built-ins a bundled library requires when it loads but uses only on a rare path, required
// when first used instead. commander loads child_process (and with it net, stream, dgram: a few ms
// of every start) only to run `git-style` executable subcommands, which this CLI does not have.
//
// `const name = require('module');` at the top of the listed file becomes an object that requires
// the module on its first property access; nothing else in the file changes. A listed line that
// is not found fails the build, so a library update cannot silently undo this.
//
// Likewise `node:fs/promises` (eight internal modules, readline's among them, 2-3 ms): imported by
// most of the scaffold's modules, called by none on a built-in template's path. Its functions
// become ones that call `fs.promises.<name>` (which loads it) when first called.
import { readFile } from 'node:fs/promises';
import fs from 'node:fs';
import * as fsPromises from 'node:fs/promises';

const lazy = [{ file: /node_modules\/commander\/lib\/command\.js$/, modules: ['node:child_process'] }];

const lazyFsPromises = 'lazy-fs-promises';

function lazyFsPromisesModule() {
  const lines = ["import fs, { promises } from 'node:fs';"];
  for (const [name, value] of Object.entries(fsPromises)) {
    if (name === 'default') continue;
    // A value node:fs has too (constants) is taken from there, without loading fs/promises.
    const from = value === fs[name] ? 'fs' : 'promises';
    lines.push(typeof value === 'function' ? `export function ${name}(...args) { return promises.${name}(...args); }` : `export const ${name} = ${from}.${name};`);
  }
  lines.push('export default new Proxy({}, { get: (_, key) => promises[key] });');
  return lines.join('\n');
}

export function lazyRequirePlugin() {
  return {
    name: 'lazy-require',
    setup(bundler) {
      bundler.onResolve({ filter: /^(node:)?fs\/promises$/ }, (args) => (args.namespace === lazyFsPromises ? undefined : { path: 'fs/promises', namespace: lazyFsPromises }));
      bundler.onLoad({ filter: /.*/, namespace: lazyFsPromises }, () => ({ contents: lazyFsPromisesModule(), loader: 'js' }));
      for (const { file, modules } of lazy) {
        bundler.onLoad({ filter: file }, async (args) => {
          let contents = await readFile(args.path, 'utf8');
          for (const module of modules) {
            const line = new RegExp(`^const (\\w+) = require\\('${module.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}'\\);$`, 'm');
            const match = line.exec(contents);
            if (!match) throw new Error(`lazy-require: ${args.path} no longer has "const … = require('${module}');"`);
            contents = contents.replace(line, `const ${match[1]} = new Proxy({}, { get: (_, key) => require('${module}')[key] });`);
          }
          return { contents, loader: 'js' };
        });
      }
    },
  };
}
