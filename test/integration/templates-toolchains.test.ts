import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot, runCli } from '../helpers/cli.js';
import { echoHandler, startServe, startServer } from '../helpers/serve.js';
import { makeTempDir } from '../helpers/tmp.js';
import { toolchainCache, toolchainEnv } from '../helpers/toolchains.js';

/**
 * Every reference template built with its real toolchain, as a user runs it: scaffold with the
 * built CLI (npm install included) → `istio-wasm build` → `inspect` (no problems) → the project's
 * own `npm test` (build + its 10 tests on the local host) → `serve` in front of a real upstream,
 * answering 200 and 401 as the example plugin promises.
 *
 * Rust: cargo and rustc 1.85 with the wasm32-wasip1 std, from the trixie root scripts/toolchains.sh
 * caches (crates from the registry). Go: the machine's go >= 1.24 (the SDK from the module proxy).
 * C++: em++ 3.1.69 from the same root, the template's Makefile.build unchanged; the C++ SDK is on no
 * registry, so plugin.cc is swapped for the same plugin written against the raw ABI
 * (test/fixtures/cpp-raw-abi) with a stand-in for the SDK's three files.
 */
const minutes = 60_000;
const rawAbi = path.join(repoRoot, 'test', 'fixtures', 'cpp-raw-abi');

interface Case {
  template: 'rust' | 'go' | 'cpp';
  /** After scaffolding: what makes it buildable here. */
  prepare?: (project: string) => void;
  env: () => NodeJS.ProcessEnv;
  /** What the build must say it used. */
  tool: RegExp;
  imports: RegExp;
}

const cases: Case[] = [
  {
    template: 'rust',
    // One target dir for every run on this machine: the crates compile once.
    env: () => toolchainEnv({ CARGO_TARGET_DIR: path.join(toolchainCache, 'cargo-target') }),
    tool: /Compiling proxy-wasm|Finished/,
    imports: /^(env\.proxy_|wasi_snapshot_preview1\.)/,
  },
  {
    template: 'go',
    env: () => toolchainEnv(),
    tool: /using go 1\.(2[4-9]|[3-9]\d)/,
    imports: /^(env\.proxy_|wasi_snapshot_preview1\.)/,
  },
  {
    template: 'cpp',
    prepare: (project) => copyFileSync(path.join(rawAbi, 'plugin.cc'), path.join(project, 'plugin.cc')),
    env: () => toolchainEnv({ PROXY_WASM_CPP_SDK: path.join(rawAbi, 'sdk') }),
    tool: /em\+\+ .*-sSTANDALONE_WASM/,
    imports: /^env\.(proxy_|emscripten_notify_memory_growth$)/,
  },
];

describe.each(cases)('the $template template with its real toolchain', (c) => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let project: string;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    env = c.env();
    tmp = await makeTempDir(`ciw-${c.template}-`);
    const r = await runCli(['real-plugin', '--template', c.template, '--yes', '--no-git'], { cwd: tmp.dir, bin: 'create-istio-wasm', env, timeoutMs: 5 * minutes });
    if (r.code !== 0) throw new Error(`scaffold failed:\n${r.stderr}`);
    project = path.join(tmp.dir, 'real-plugin');
    c.prepare?.(project);
  }, 6 * minutes);
  afterAll(async () => tmp?.cleanup());

  it('builds with istio-wasm build, and inspect finds no problem', async () => {
    // --verbose shows the toolchain's own output (and, for Go, the step naming the compiler).
    const r = await runCli(['build', '--verbose'], { cwd: project, env, timeoutMs: 15 * minutes });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(c.tool);
    const line = /^build\/plugin\.wasm {2}(\d+) bytes {2}sha256:[0-9a-f]{64} {2}ABI (0\.2\.[01])$/m.exec(r.stdout);
    expect(line, r.stdout).not.toBeNull();
    const built = { size: Number(line![1]) };
    expect(readFileSync(path.join(project, 'build', 'plugin.wasm')).subarray(0, 4).toString('hex')).toBe('0061736d');

    const inspected = await runCli(['inspect', 'build/plugin.wasm', '--json'], { cwd: project, env });
    expect(inspected.code, inspected.stderr).toBe(0);
    const report = JSON.parse(inspected.stdout) as { problems: string[]; size: number; imports: Array<{ module: string; name: string }> };
    expect(report.problems).toEqual([]);
    expect(report.size).toBe(built.size);
    const imports = report.imports.map((i) => `${i.module}.${i.name}`);
    expect(imports.length).toBeGreaterThan(0);
    for (const i of imports) expect(i).toMatch(c.imports);
    if (c.template === 'cpp') expect(imports).toContain('env.emscripten_notify_memory_growth');
  }, 16 * minutes);

  it("runs the project's own npm test (build, then its tests on the local host)", () => {
    const r = spawnSync('npm', ['test'], { cwd: project, encoding: 'utf8', env: { ...env, CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' }, timeout: 10 * minutes });
    const out = `${r.stdout}${r.stderr}`.replace(/\u001b\[[0-9;]*m/g, '');
    expect(r.status, out).toBe(0);
    expect(out).toMatch(/Tests\s+10 passed/);
  }, 11 * minutes);

  it('serves in front of a real upstream: 200 on a public path, 401 on the protected one', async () => {
    expect(existsSync(path.join(project, 'build', 'plugin.wasm'))).toBe(true);
    const upstream = await startServer(echoHandler());
    const serve = await startServe(['--upstream', upstream.url], { cwd: project });
    try {
      const ok = await fetch(`${serve.url}/public`);
      expect(ok.status).toBe(200);
      expect(ok.headers.get('x-wasm-plugin')).toBe('real-plugin');
      const seen = (await ok.json()) as { headers: Record<string, string> };
      expect(seen.headers['x-wasm-plugin-request']).toBe('real-plugin');
      const refused = await fetch(`${serve.url}/v2/items`);
      expect(refused.status).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer');
      expect(await refused.text()).toBe('unauthorized: missing authorization header\n');
      const allowed = await fetch(`${serve.url}/v2/items`, { headers: { authorization: 'Bearer t' } });
      expect(allowed.status).toBe(200);
    } finally {
      expect(await serve.stop()).toBe(0);
      await upstream.close();
    }
  }, 2 * minutes);
});
