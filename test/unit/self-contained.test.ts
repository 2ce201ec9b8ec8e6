import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

/**
 * A fresh clone with nothing beside it must build and pass its tests: no code, test, script or
 * benchmark may reach for a directory outside the project (the design notes that sit beside a
 * developer's checkout are not part of it). Data the tests compare against lives in test/fixtures/.
 */
const outside = ['..', 'shared'].join('/');

function* files(dir: string): Generator<string> {
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === '__snapshots__') continue;
    const file = path.join(dir, name);
    if (statSync(file).isDirectory()) yield* files(file);
    else if (/\.(ts|mts|js|mjs|cjs|sh|json|go)$/.test(name)) yield file;
  }
}

describe('the project is self-contained', () => {
  it('nothing in src/, test/, scripts/ or bench/ reads the directory beside the project', () => {
    const offenders: string[] = [];
    for (const top of ['src', 'test', 'scripts', 'bench', 'bin', '.ci']) {
      let exists = true;
      try { statSync(path.join(repoRoot, top)); } catch { exists = false; }
      if (!exists) continue;
      for (const file of files(path.join(repoRoot, top))) {
        if (readFileSync(file, 'utf8').includes(outside)) offenders.push(path.relative(repoRoot, file));
      }
    }
    expect(offenders).toEqual([]);
  });
});
