import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

/**
 * The package as npm publishes it: `npm pack` of this checkout (built by `npm test`), installed
 * into an empty directory, then `npx create-istio-wasm` and the generated project's own `npm test`
 * (which installs assemblyscript and vitest from the registry, and this tarball). Nothing here
 * reaches back into the checkout: the tarball must hold all the CLI needs.
 */
const env = { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0', npm_config_audit: 'false', npm_config_fund: 'false' };
let tmp: Awaited<ReturnType<typeof makeTempDir>>;
let tarball: string;
let empty: string;

interface Ran {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A command to its end (killed after `timeout` ms), without blocking the test worker. */
function run(command: string, args: string[], cwd: string, timeout = 300_000): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeout);
    child.on('error', reject);
    child.on('close', (status) => {
      clearTimeout(timer);
      resolve({ status, stdout, stderr });
    });
  });
}

const output = (r: Ran) => `${r.stdout}\n${r.stderr}`.replace(/\u001b\[[0-9;]*m/g, '');

beforeAll(async () => {
  tmp = await makeTempDir('ciw-packed-');
  // --ignore-scripts: `npm test` has built dist/; a prepack rebuild would swap it under other tests.
  const packed = await run('npm', ['pack', '--ignore-scripts', '--json', '--pack-destination', tmp.dir], repoRoot);
  expect(packed.status, output(packed)).toBe(0);
  tarball = path.join(tmp.dir, (JSON.parse(packed.stdout) as Array<{ filename: string }>)[0]!.filename);
  empty = path.join(tmp.dir, 'empty');
  mkdirSync(empty);
  writeFileSync(path.join(empty, 'package.json'), '{ "name": "empty", "private": true }\n');
}, 120_000);
afterAll(async () => tmp?.cleanup());

describe('the packed package', () => {
  it('installs as one package with no dependencies, carrying no sources or template folders', async () => {
    const r = await run('npm', ['install', '--offline', '--no-save', tarball], empty);
    expect(r.status, output(r)).toBe(0);
    expect(readdirSync(path.join(empty, 'node_modules')).filter((n) => !n.startsWith('.'))).toEqual(['create-istio-wasm']);
    const installed = path.join(empty, 'node_modules', 'create-istio-wasm');
    const pkg = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8')) as { dependencies?: Record<string, string> };
    expect(pkg.dependencies ?? {}).toEqual({});
    expect(existsSync(path.join(installed, 'src'))).toBe(false);
    expect(existsSync(path.join(installed, 'templates'))).toBe(false);
    // The CLI's chunks and their maps are two files (npm installs file by file), not a file each.
    expect(existsSync(path.join(installed, 'dist', 'cli.chunks'))).toBe(true);
    expect(existsSync(path.join(installed, 'dist', 'cli.chunks.map'))).toBe(true);
    expect(readdirSync(path.join(installed, 'dist')).filter((n) => n.endsWith('.cjs') || n.endsWith('.cjs.map'))).toEqual([]);
  }, 120_000);

  it('npx create-istio-wasm scaffolds a project whose npm test passes', async () => {
    const created = await run('npx', ['create-istio-wasm', 'my-plugin', '--yes', '--no-git', '--cli-spec', `file:${tarball}`], empty, 600_000);
    expect(created.status, output(created)).toBe(0);
    const project = path.join(empty, 'my-plugin');
    expect(existsSync(path.join(project, 'node_modules', 'assemblyscript'))).toBe(true);
    const tested = await run('npm', ['test'], project, 300_000);
    expect(tested.status, output(tested)).toBe(0);
    expect(output(tested)).toMatch(/Tests\s+\d+ passed/);
  }, 900_000);

  it('a --verbose stack names the TypeScript file and line', async () => {
    const r = await run('npx', ['istio-wasm', 'inspect', 'missing.wasm', '--verbose'], empty);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/src\/commands\/inspect\.ts:\d+:\d+/);
  });
});
