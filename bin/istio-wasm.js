#!/usr/bin/env node
// CommonJS (bin/package.json), so `--version` answers before Node starts its ES module loader.
if (process.argv.length === 3 && ['--version', '-v'].includes(process.argv[2])) process.stdout.write(`${require('../package.json').version}\n`);
else {
  if (process.argv.includes('--verbose') || process.env.DEBUG) process.setSourceMapsEnabled(true);
  import('../dist/cli.js').then(({ main }) => main(process.argv, 'istio-wasm'));
}
