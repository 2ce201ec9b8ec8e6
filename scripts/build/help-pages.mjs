// The bins' `--help` pages, stored at build time in dist/help.json, so `istio-wasm --help` and
// `istio-wasm push --help` print without Node loading the CLI (bin/start.js reads them).
//
// The pages are commander's own output (src/help-pages.ts, from the bundle just built), for every
// bin of package.json and every command path, in the two layouts bin/start.js can use: 80 columns
// (commander's width off a terminal) and unwrapped, with the width from which a terminal shows the
// unwrapped one unchanged (its longest line).
import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

const narrowWidth = 80;
const unwrapped = 1_000_000;

export async function writeHelpPages(dist, bins) {
  // Loaded as the bins load it (without writing a code cache).
  const { helpPages } = createRequire(import.meta.url)(path.join(root, 'bin', 'load-cli.js'))(dist, { cache: false });
  const out = {};
  for (const entry of bins) {
    const narrow = await helpPages(entry, narrowWidth);
    const wide = await helpPages(entry, unwrapped);
    out[entry] = {};
    for (const [command, text] of Object.entries(narrow)) {
      const full = wide[command];
      out[entry][command] = { narrow: text, wide: full, wideFrom: Math.max(...full.split('\n').map((line) => line.length)) };
    }
  }
  writeFileSync(path.join(dist, 'help.json'), JSON.stringify(out));
}
