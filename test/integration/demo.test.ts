import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

/** The README's main job (`npm run demo`), as a new user runs it: every step must pass. */
let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await makeTempDir('ciw-demo-');
});
afterAll(async () => tmp.cleanup());

describe('npm run demo', () => {
  it('scaffolds, builds, tests, serves, packages, writes the manifest and the sealos image', async () => {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve) => {
      const child = spawn(process.execPath, [path.join(repoRoot, 'scripts', 'demo.mjs'), tmp.dir], {
        cwd: repoRoot,
        env: { ...process.env, CI: 'true', NO_COLOR: '1' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.on('data', (d: Buffer) => (output += d.toString()));
      child.stderr.on('data', (d: Buffer) => (output += d.toString()));
      const timer = setTimeout(() => child.kill('SIGKILL'), 420_000);
      child.on('close', (c) => {
        clearTimeout(timer);
        resolve({ code: c, output });
      });
    });
    expect(code, output).toBe(0);
    expect(output).toMatch(/demo complete/);
    expect(output).toMatch(/GET \/hello -> 200 x-wasm-plugin=/);
    expect(output).toMatch(/GET \/v2\/secret -> 401/);
    expect(output).toMatch(/GET \/v2\/secret \(with authorization\) -> 200/);
    const project = path.join(tmp.dir, 'demo-plugin');
    for (const file of ['build/plugin.wasm', 'build/oci/index.json', 'deploy/wasmplugin.yaml']) {
      expect(existsSync(path.join(project, file)), file).toBe(true);
    }
  }, 480_000);
});
