import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';
import { makeTempDir, requireToolInCi } from '../helpers/tmp.js';

function has(tool: string): boolean {
  return spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
}

let tmp: { dir: string; cleanup: () => Promise<void> };
let project: string;

/** A real generated AssemblyScript project: npm install from the registry, linked to this checkout. */
beforeAll(async () => {
  requireToolInCi('wabt (wasm-validate, wasm-objdump)', has('wasm-validate') && has('wasm-objdump'));
  tmp = await makeTempDir('ciw-as-');
  const r = await runCli(['auth-plugin', '--yes', '--no-git'], { cwd: tmp.dir, bin: 'create-istio-wasm', timeoutMs: 300_000 });
  if (r.code !== 0) throw new Error(`scaffold failed:\n${r.stderr}`);
  project = path.join(tmp.dir, 'auth-plugin');
}, 300_000);
afterAll(async () => tmp?.cleanup());

describe('a generated AssemblyScript project', () => {
  it('depends on this checkout, unpublished', () => {
    const pkg = JSON.parse(readFileSync(path.join(project, 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
    expect(pkg.devDependencies['create-istio-wasm']).toBe(`file:${repoRoot}`);
  });

  it('builds to a module that wabt validates, importing only Proxy-Wasm host functions', async () => {
    const r = await runCli(['build', '--json'], { cwd: project });
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const built = JSON.parse(r.stdout) as { module: string; size: number; sha256: string; abiVersion: string };
    expect(built.module).toBe('build/plugin.wasm');
    expect(built.abiVersion).toBe('0.2.1');
    const wasm = path.join(project, 'build', 'plugin.wasm');
    expect(readFileSync(wasm).length).toBe(built.size);

    execFileSync('wasm-validate', ['--enable-all', wasm]);
    const dump = execFileSync('wasm-objdump', ['-x', '-j', 'Import', wasm], { encoding: 'utf8' });
    const imports = [...dump.matchAll(/<- (\S+)\.(\S+)$/gm)].map((m) => `${m[1]}.${m[2]}`);
    expect(imports.length).toBeGreaterThan(0);
    expect(imports.every((i) => i.startsWith('env.proxy_'))).toBe(true);
    const exportsDump = execFileSync('wasm-objdump', ['-x', '-j', 'Export', wasm], { encoding: 'utf8' });
    expect(exportsDump).toMatch(/-> "proxy_abi_version_0_2_1"/);
    expect(exportsDump).toMatch(/-> "proxy_on_memory_allocate"/);

    const inspected = await runCli(['inspect', 'build/plugin.wasm', '--json'], { cwd: project });
    expect(inspected.code).toBe(0);
    const report = JSON.parse(inspected.stdout) as { abiVersion: string; imports: Array<{ module: string; name: string }>; problems: string[]; size: number };
    expect(report.problems).toEqual([]);
    expect(report.size).toBe(built.size);
    expect(report.imports.map((i) => `${i.module}.${i.name}`).sort()).toEqual([...imports].sort());
  });

  it('runs its own tests with npm test', () => {
    const r = spawnSync('npm', ['test'], { cwd: project, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 180_000 });
    expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(`${r.stdout}${r.stderr}`.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/Tests\s+\d+ passed/);
  });

  it('the test example in its README runs as written', async () => {
    const { writeFile, rm } = await import('node:fs/promises');
    const readme = readFileSync(path.join(project, 'README.md'), 'utf8');
    const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
    expect(block).toContain("from 'create-istio-wasm/testing'");
    const file = path.join(project, 'test', 'readme-example.test.ts');
    await writeFile(file, block ?? '');
    try {
      const r = spawnSync('npx', ['--no-install', 'vitest', 'run', 'test/readme-example.test.ts'], {
        cwd: project, encoding: 'utf8', env: { ...process.env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 120_000,
      });
      expect(r.status, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(`${r.stdout}${r.stderr}`.replace(/\u001b\[[0-9;]*m/g, '')).toMatch(/Tests\s+1 passed/);
    } finally {
      await rm(file, { force: true });
    }
  });

  it('a build that fails to compile reports the compiler error and keeps the old module', async () => {
    const { writeFile, readFile } = await import('node:fs/promises');
    const source = path.join(project, 'assembly', 'index.ts');
    const original = await readFile(source, 'utf8');
    const before = readFileSync(path.join(project, 'build', 'plugin.wasm'));
    await writeFile(source, `${original}\nlet broken: i32 = "text";\n`);
    try {
      const r = await runCli(['build'], { cwd: project });
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(/failed with exit code/);
      expect(r.stderr).toMatch(/TS2322|not assignable/);
      expect(readFileSync(path.join(project, 'build', 'plugin.wasm'))).toEqual(before);
    } finally {
      await writeFile(source, original);
    }
  });
});

describe('build outside a project and with missing tools', () => {
  it('says where istio-wasm.yaml is expected', async () => {
    const r = await runCli(['build'], { cwd: tmp.dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no istio-wasm\.yaml found/);
  });

  it('names the missing toolchain for a Rust project and points to --docker', async () => {
    const r = await runCli(['rusty', '--template', 'rust', '--yes', '--no-install', '--no-git'], { cwd: tmp.dir, bin: 'create-istio-wasm' });
    expect(r.code).toBe(0);
    const b = await runCli(['build'], { cwd: path.join(tmp.dir, 'rusty'), env: { PATH: '/nonexistent' } });
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/cargo/);
    expect(b.stderr).toMatch(/--docker/);
  });

  it('--docker without an engine says so', async () => {
    const b = await runCli(['build', '--docker'], { cwd: path.join(tmp.dir, 'rusty'), env: { PATH: '/nonexistent', DOCKER_HOST: 'unix:///nonexistent.sock' } });
    expect(b.code).toBe(1);
    expect(b.stderr).toMatch(/no container engine/);
  });
});
