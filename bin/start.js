// What both bins do first. CommonJS (bin/package.json), so what is answered here is answered before
// Node starts its ES module loader: a lone `--version`, and `[command…] --help` from the pages the
// build stored (dist/help.json, made by scripts/build/help-pages.mjs from commander's own output).
// Everything else loads the CLI (CommonJS chunks kept in one file, compiled from V8's code cache:
// load-cli.js).
const { readFileSync } = require('node:fs');
const path = require('node:path');

module.exports = function start(entry) {
  const args = process.argv.slice(2);
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
    process.stdout.write(`${require('../package.json').version}\n`);
    return;
  }
  const help = storedHelp(entry, args);
  if (help !== undefined) {
    // `istio-wasm --help | head` closes stdout early: the reader's choice, not an error.
    process.stdout.on('error', () => {});
    process.stdout.write(help);
    return;
  }
  const sourceMaps = args.includes('--verbose') || Boolean(process.env.DEBUG);
  // The chunks a run loads depend on the command: each command's are compiled together (load-cli.js).
  const command = entry === 'istio-wasm' ? args.find((a) => !a.startsWith('-')) : undefined;
  const session = command === undefined ? entry : `${entry}-${command}`;
  require('./load-cli.js')(path.join(__dirname, '..', 'dist'), { sourceMaps, session }).main(process.argv, entry);
};

/**
 * The stored page of `[command…] --help` (or `-h`), when commander would lay it out as stored:
 * 80 columns off a terminal (commander's default), or a terminal wide enough that nothing wraps.
 * Anything else (a narrower terminal, options before --help, an unknown command) is undefined, and
 * the CLI answers it.
 */
function storedHelp(entry, args) {
  const last = args[args.length - 1];
  if (last !== '--help' && last !== '-h') return undefined;
  const command = args.slice(0, -1);
  if (command.some((a) => a.startsWith('-'))) return undefined;
  let page;
  try {
    page = JSON.parse(readFileSync(path.join(__dirname, '..', 'dist', 'help.json'), 'utf8'))[entry]?.[command.join(' ')];
  } catch {
    return undefined;
  }
  if (!page) return undefined;
  const width = (process.stdout.isTTY ? process.stdout.columns : undefined) ?? 80;
  if (width === 80) return page.narrow;
  return width >= page.wideFrom ? page.wide : undefined;
}
