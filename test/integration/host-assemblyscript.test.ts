import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';
import { echoHandler, startServe, startServer } from '../helpers/serve.js';

// The AssemblyScript template's own tests (templates/assemblyscript/test) against its example plugin,
// built with asc and the SDK's flags, in a project laid out as a generated one would be.
const template = path.join(repoRoot, 'templates', 'assemblyscript');
let tmp: { dir: string; cleanup: () => Promise<void> } | undefined;

beforeAll(async () => {
  if (!existsSync(path.join(repoRoot, 'dist', 'testing.js'))) execFileSync('npm', ['run', 'build'], { cwd: repoRoot, stdio: 'ignore' });
  tmp = await makeTempDir('ciw-as-');
  const dir = tmp.dir;
  cpSync(path.join(template, 'assembly'), path.join(dir, 'assembly'), { recursive: true });
  cpSync(path.join(template, 'test'), path.join(dir, 'test'), { recursive: true });
  cpSync(path.join(template, 'vitest.config.ts'), path.join(dir, 'vitest.config.ts'));
  writeFileSync(path.join(dir, 'package.json'), JSON.stringify({ name: 'as-plugin', private: true, type: 'module' }));
  writeFileSync(
    path.join(dir, 'istio-wasm.yaml'),
    ['name: as-plugin', 'language: assemblyscript', 'module: build/plugin.wasm', 'image: 127.0.0.1:5000/wasm/as-plugin:v0.1.0', 'istio: { version: "1.27" }', 'wasmPlugin: { namespace: default, pluginName: as-plugin }', ''].join('\n'),
  );
  mkdirSync(path.join(dir, 'node_modules', '.bin'), { recursive: true });
  symlinkSync(repoRoot, path.join(dir, 'node_modules', 'create-istio-wasm'));
  symlinkSync(path.join(repoRoot, 'node_modules', 'vitest'), path.join(dir, 'node_modules', 'vitest'));
  symlinkSync(path.join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs'), path.join(dir, 'node_modules', '.bin', 'vitest'));
  symlinkSync(path.join(repoRoot, 'node_modules', 'assemblyscript'), path.join(dir, 'node_modules', 'assemblyscript'));
  symlinkSync(path.join(repoRoot, 'node_modules', 'assemblyscript', 'bin', 'asc.js'), path.join(dir, 'node_modules', '.bin', 'asc'));
  const flags = JSON.parse(readFileSync(path.join(repoRoot, 'assembly', 'asc-flags.json'), 'utf8')) as string[];
  mkdirSync(path.join(dir, 'build'));
  execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'assemblyscript', 'bin', 'asc.js'), 'assembly/index.ts', '-o', 'build/plugin.wasm', ...flags], { cwd: dir, stdio: 'pipe' });
}, 180_000);

afterAll(async () => tmp?.cleanup());

describe('the AssemblyScript template tests its example plugin', () => {
  it('passes the template\'s own vitest suite', () => {
    const dir = tmp?.dir ?? '';
    const out = execFileSync(process.execPath, [path.join(repoRoot, 'node_modules', 'vitest', 'vitest.mjs'), 'run'], { cwd: dir, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1' } });
    expect(out).toMatch(/Tests\s+8 passed/);
  }, 120_000);

  it('`istio-wasm test` runs the same suite, passing extra args to vitest', async () => {
    const r = await runCli(['test', '-t', '401'], { cwd: tmp?.dir ?? '' });
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/tests passed/);
    expect(r.stdout + r.stderr).toMatch(/Tests\s+1 passed \| 7 skipped/);
  }, 120_000);

  it('`istio-wasm serve --watch` rebuilds and reloads the plugin on a source change, keeping the listener', async () => {
    const dir = tmp?.dir ?? '';
    const upstream = await startServer(echoHandler());
    const serve = await startServe(['--watch', '--upstream', upstream.url], { cwd: dir });
    const source = path.join(dir, 'assembly', 'index.ts');
    const original = readFileSync(source, 'utf8');
    try {
      expect((await fetch(`${serve.url}/x`)).headers.get('x-wasm-plugin')).toBe('as-plugin');
      writeFileSync(source, original.replace('responseHeader: string = "x-wasm-plugin"', 'responseHeader: string = "x-rebuilt"'));
      let header: string | null = null;
      for (const end = Date.now() + 90_000; Date.now() < end && header === null; ) {
        await new Promise((r) => setTimeout(r, 500));
        header = (await fetch(`${serve.url}/x`)).headers.get('x-rebuilt');
      }
      expect(header).toBe('as-plugin');
      expect(serve.stderr()).toMatch(/assembly\/index\.ts changed: rebuilding/);
      expect(serve.stderr()).toMatch(/reloaded the plugin/);
    } finally {
      writeFileSync(source, original);
      expect(await serve.stop()).toBe(0);
      await upstream.close();
    }
  }, 150_000);
});
