import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

// The AssemblyScript template's own tests (templates/assemblyscript/test) against its example plugin,
// built with asc and the SDK's flags, in a project laid out as a generated one would be.
const template = path.join(repoRoot, 'templates', 'assemblyscript');
const ready = existsSync(path.join(template, 'assembly', 'index.ts')) && existsSync(path.join(repoRoot, 'assembly', 'asc-flags.json'));
let tmp: { dir: string; cleanup: () => Promise<void> } | undefined;

beforeAll(async () => {
  if (!ready) return;
  if (!existsSync(path.join(repoRoot, 'dist', 'testing', 'index.js'))) execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'ignore' });
  tmp = await makeTempDir('ciw-as-');
  const dir = tmp.dir;
  cpSync(path.join(template, 'assembly'), path.join(dir, 'assembly'), { recursive: true });
  cpSync(path.join(template, 'test'), path.join(dir, 'test'), { recursive: true });
  cpSync(path.join(template, 'vitest.config.ts'), path.join(dir, 'vitest.config.ts'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'as-plugin', private: true, type: 'module' }));
  writeFileSync(
    path.join(dir, 'istio-wasm.yaml'),
    ['name: as-plugin', 'language: assemblyscript', 'module: build/plugin.wasm', 'image: 127.0.0.1:5000/wasm/as-plugin:v0.1.0', 'istio: { version: "1.27" }', 'wasmPlugin: { namespace: default }', ''].join('\n'),
  );
  mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(repoRoot, path.join(dir, 'node_modules', 'create-istio-wasm'));
  symlinkSync(path.join(repoRoot, 'node_modules', 'vitest'), path.join(dir, 'node_modules', 'vitest'));
  symlinkSync(path.join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs'), path.join(dir, 'node_modules', '.bin', 'vitest'));
  const flags = JSON.parse(readFileSync(path.join(repoRoot, 'assembly', 'asc-flags.json'), 'utf8')) as string[];
  mkdirSync(path.join(dir, 'build'));
  execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'assemblyscript', 'bin', 'asc.js'), 'assembly/index.ts', '-o', 'build/plugin.wasm', ...flags], { cwd: dir, stdio: 'pipe' });
}, 180_000);

afterAll(async () => tmp?.cleanup());

describe.skipIf(!ready)('the AssemblyScript template tests its example plugin', () => {
  it('passes the template\'s own vitest suite', () => {
    const dir = tmp?.dir ?? '';
    const out = execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs'), 'run'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
    expect(out).toMatch(/Tests\s+8 passed/);
  }, 120_000);

  it('`istio-wasm test` runs the same suite, passing extra args to vitest', async () => {
    const r = await runCli(['test', '-t', '401'], { cwd: tmp?.dir ?? '' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/tests passed/);
  }, 120_000);
});
