// Node built-ins a bundled library requires when it loads but uses only on a rare path, required
// when first used instead. commander loads child_process (and with it net, stream, dgram: a few ms
// of every start) only to run `git-style` executable subcommands, which this CLI does not have.
//
// `const name = require('module');` at the top of the listed file becomes an object that requires
// the module on its first property access; nothing else in the file changes. A listed line that
// is not found fails the build, so a library update cannot silently undo this.
import { readFile } from 'node:fs/promises';

const lazy = [{ file: /node_modules\/commander\/lib\/command\.js$/, modules: ['node:child_process'] }];

export function lazyRequirePlugin() {
  return {
    name: 'lazy-require',
    setup(bundler) {
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
