import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

/**
 * `npx create-istio-wasm` installs one package: the build bundles every library the CLI uses
 * (scripts/build.mjs), so the package declares none for npm to install.
 */
describe('package.json', () => {
  const pkg = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as Record<string, Record<string, string> | undefined>;

  it('declares no runtime dependencies: libraries the CLI uses are devDependencies, bundled into dist/', () => {
    expect(pkg.dependencies ?? {}, 'move these to devDependencies; npm run build bundles them').toEqual({});
    expect(pkg.peerDependencies ?? {}).toEqual({});
    expect(pkg.optionalDependencies ?? {}).toEqual({});
  });

  it('ships the bundle, the SDK and the bins, not the sources', () => {
    expect(pkg.files).toEqual(expect.arrayContaining(['bin', 'dist', 'assembly']));
    expect(pkg.files).not.toContain('src');
  });
});
