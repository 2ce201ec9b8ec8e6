import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { versions } from '../../src/versions.js';
import { repoRoot, runCli } from '../helpers/cli.js';
import { hasRegistry, startRegistry, type StartedRegistry } from '../helpers/registry.js';
import { makeTempDir } from '../helpers/tmp.js';
import { makeGitRepo } from '../helpers/git-repo.js';
import { echoHandler, startServe, startServer } from '../helpers/serve.js';
import { toolchainEnv } from '../helpers/toolchains.js';

/**
 * `istio-wasm init` in plugin projects create-istio-wasm did not make: an AssemblyScript project and
 * a Rust crate with the seed's own Makefile. Each is adopted, adopted again (nothing changes), then
 * built, tested on the local host, pushed to a real registry and given a pinned manifest.
 */
let tmp: { dir: string; cleanup: () => Promise<void> };
let registry: StartedRegistry;

async function writeTree(dir: string, files: Record<string, string>): Promise<void> {
  for (const [file, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(dir, file)), { recursive: true });
    await writeFile(path.join(dir, file), text);
  }
}

/** Every file (path → contents) outside node_modules, target and build. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      if (['node_modules', 'target', 'build', '.istio-wasm'].includes(name)) continue;
      const full = path.join(current, name);
      if (statSync(full).isDirectory()) walk(full);
      else out[path.relative(dir, full)] = readFileSync(full, 'latin1');
    }
  };
  walk(dir);
  return out;
}

function npmInstall(dir: string): void {
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: dir, encoding: 'utf8', timeout: 300_000 });
  if (r.status !== 0) throw new Error(`npm install failed in ${dir}:\n${r.stdout}\n${r.stderr}`);
}

const asPlugin = `// Stamps every response with x-stamp: the plugin's root id.
import { Action, HttpContext, RootContext, registerRootContext } from "create-istio-wasm/assembly";
export * from "create-istio-wasm/assembly/dispatch";

class StampRoot extends RootContext {
  createHttpContext(contextId: u32): HttpContext | null {
    return new Stamp(contextId, this);
  }
}

class Stamp extends HttpContext {
  constructor(contextId: u32, public stampRoot: StampRoot) {
    super(contextId, stampRoot);
  }

  onHttpResponseHeaders(numHeaders: u32, endOfStream: bool): Action {
    this.setHttpResponseHeader("x-stamp", this.stampRoot.rootId);
    return Action.Continue;
  }
}

registerRootContext((contextId: u32) => new StampRoot(contextId));
`;

const rustPlugin = `use proxy_wasm::traits::*;
use proxy_wasm::types::*;

proxy_wasm::main! {{
    proxy_wasm::set_log_level(LogLevel::Info);
    proxy_wasm::set_root_context(|_| -> Box<dyn RootContext> { Box::new(StampRoot) });
}}

struct StampRoot;

impl Context for StampRoot {}

impl RootContext for StampRoot {
    fn get_type(&self) -> Option<ContextType> {
        Some(ContextType::HttpContext)
    }

    fn create_http_context(&self, _context_id: u32) -> Option<Box<dyn HttpContext>> {
        Some(Box::new(Stamp))
    }
}

struct Stamp;

impl Context for Stamp {}

impl HttpContext for Stamp {
    fn on_http_response_headers(&mut self, _num_headers: usize, _end_of_stream: bool) -> Action {
        self.set_http_response_header("x-stamp", Some("rust"));
        Action::Continue
    }
}
`;

/** The seed template's Makefile: init must leave it as it is. */
const seedMakefile = 'build:\n\tcargo build --target wasm32-wasi --release\n\ndocker-build:\n\tdocker build -t $(REPO)/$(IMG) .\n';

beforeAll(async () => {
  tmp = await makeTempDir('ciw-init-');
  registry = await startRegistry();
}, 60_000);
afterAll(async () => {
  await registry?.stop();
  await tmp?.cleanup();
});

interface InitJson {
  name: string;
  language: string;
  module: string;
  image: string;
  detected?: { evidence: string; toolchainOutput: string };
  added: string[];
  leftAlone: Array<{ path: string; reason: string }>;
}

const generatedFiles = [
  '.dockerignore', '.github/workflows/ci.yml', '.gitignore', 'Dockerfile', 'Sealfile', 'deploy/Kubefile', 'deploy/images/shim/wasmImage',
  'deploy/manifests/README.md', 'deploy/wasmplugin.yaml', 'istio-wasm.yaml', 'test/plugin.test.ts', 'vitest.config.ts',
];

/** init twice (the second run changes nothing), then build → test → push → manifest --pin. */
async function adoptAndShip(project: string, name: string, env: NodeJS.ProcessEnv): Promise<InitJson> {
  const image = `${registry.host}/wasm/${name}:v1`;
  const first = await runCli(['init', '--yes', '--json', '--image', image], { cwd: project, env });
  expect(first.stderr).not.toMatch(/error/);
  expect(first.code).toBe(0);
  const adopted = JSON.parse(first.stdout) as InitJson;
  expect(adopted).toMatchObject({ name, module: 'build/plugin.wasm', image });

  const before = snapshot(project);
  const again = await runCli(['init', '--yes', '--json'], { cwd: project, env });
  expect(again.code).toBe(0);
  expect((JSON.parse(again.stdout) as InitJson).added).toEqual([]);
  expect(snapshot(project)).toEqual(before);

  const build = await runCli(['build', '--json'], { cwd: project, env, timeoutMs: 600_000 });
  expect(build.stderr).not.toMatch(/error/);
  expect(build.code).toBe(0);
  expect(JSON.parse(build.stdout)).toMatchObject({ module: 'build/plugin.wasm' });

  const test = spawnSync(process.execPath, [path.join(repoRoot, 'bin', 'istio-wasm.js'), 'test'], { cwd: project, encoding: 'utf8', env: { ...env, CI: 'true', NO_COLOR: '1' }, timeout: 180_000 });
  expect(test.status, `${test.stdout}\n${test.stderr}`).toBe(0);
  expect(`${test.stdout}${test.stderr}`).toMatch(/Tests\s+2 passed/);

  const push = await runCli(['push', '--json'], { cwd: project, env });
  expect(push.stderr).not.toMatch(/error/);
  expect(push.code).toBe(0);
  const pushed = JSON.parse(push.stdout) as { image: string; digest: string };
  expect(pushed.digest).toMatch(/^sha256:[0-9a-f]{64}$/);

  const manifest = await runCli(['manifest', '--pin'], { cwd: project, env });
  expect(manifest.stderr).not.toMatch(/error/);
  expect(manifest.code).toBe(0);
  const written = readFileSync(path.join(project, 'deploy', 'wasmplugin.yaml'), 'utf8');
  expect(written).toContain(`url: oci://${image}`);
  expect(written).toContain(`sha256: ${pushed.digest.slice('sha256:'.length)}`);
  expect(written).toContain(`pluginName: ${name}`);
  return adopted;
}

describe.runIf(hasRegistry() || process.env.CI)('istio-wasm init', () => {
  it('adopts an existing AssemblyScript project: its package.json kept, the rest added; build, test, push, manifest work', async () => {
    const project = path.join(tmp.dir, 'header-stamp');
    await writeTree(project, {
      'package.json': `${JSON.stringify({
        name: 'header-stamp', private: true, type: 'module',
        scripts: { asbuild: 'asc assembly/index.ts -o out.wasm' },
        devDependencies: { assemblyscript: versions.assemblyscript, 'create-istio-wasm': `file:${repoRoot}`, vitest: versions.vitest },
      }, null, 2)}\n`,
      'assembly/index.ts': asPlugin,
    });
    npmInstall(project);
    const adopted = await adoptAndShip(project, 'header-stamp', process.env);
    expect(adopted.language).toBe('assemblyscript');
    expect(adopted.detected?.evidence).toBe('package.json: depends on assemblyscript');
    expect(adopted.added.sort()).toEqual([...generatedFiles, 'Makefile'].sort());
    expect(adopted.leftAlone).toEqual([{ path: 'package.json', reason: 'exists: kept as it is' }]);
  }, 900_000);

  it('adopts a Rust crate with the seed Makefile: the Makefile left alone, the module built for wasm32-wasip1', async () => {
    const project = path.join(tmp.dir, 'rust-stamp');
    await writeTree(project, {
      'Cargo.toml': `[package]\nname = "rust-stamp"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\ncrate-type = ["cdylib"]\n\n[dependencies]\nproxy-wasm = "${versions.proxyWasmRust}"\n\n[profile.release]\nopt-level = "s"\nlto = true\npanic = "abort"\n`,
      'src/lib.rs': rustPlugin,
      'Makefile': seedMakefile,
    });
    const env = toolchainEnv();
    const dry = await runCli(['init', '--yes', '--dry-run', '--json'], { cwd: project, env });
    expect(dry.code).toBe(0);
    expect((JSON.parse(dry.stdout) as InitJson).added).toContain('package.json');
    expect(readdirSync(project).sort()).toEqual(['Cargo.toml', 'Makefile', 'src']);

    const init = await runCli(['init', '--yes', '--json', '--image', `${registry.host}/wasm/rust-stamp:v1`], { cwd: project, env });
    expect(init.code).toBe(0);
    const adopted = JSON.parse(init.stdout) as InitJson;
    expect(adopted.detected).toEqual({ language: 'rust', evidence: 'Cargo.toml: crate-type = ["cdylib"]', toolchainOutput: 'target/wasm32-wasip1/release/rust_stamp.wasm' });
    expect(adopted.added.sort()).toEqual([...generatedFiles, 'package.json'].sort());
    expect(adopted.leftAlone.map((k) => k.path)).toEqual(['Makefile']);
    expect(readFileSync(path.join(project, 'Makefile'), 'utf8')).toBe(seedMakefile);
    npmInstall(project);
    await adoptAndShip(project, 'rust-stamp', env);
  }, 1_200_000);

  it('a project from a cargo-generate Rust template (the seed\'s shape) builds for wasm32-wasip1 whatever its Makefile says, and serves', async () => {
    const url = await makeGitRepo(path.join(tmp.dir, 'seed-template'), {
      'Cargo.toml': '[package]\nname = "{{project-name}}"\nversion = "0.1.0"\nauthors = ["{{authors}}"]\nedition = "2021"\n\n[lib]\ncrate-type = ["cdylib"]\n\n'
        + `[dependencies]\nproxy-wasm = "${versions.proxyWasmRust}"\n\n[profile.release]\nopt-level = "s"\nlto = true\npanic = "abort"\n`,
      'src/lib.rs': rustPlugin,
      'Makefile': seedMakefile,
    });
    const env = toolchainEnv();
    const created = await runCli(['seed-auth', '--template', url, '--yes', '--no-install', '--no-git', '--image', `${registry.host}/wasm/seed-auth:v1`], { cwd: tmp.dir, bin: 'create-istio-wasm', env });
    expect(created.code).toBe(0);
    // proxy_wasm::main! {{ … }} is not Liquid: the file is copied as it is, and said so.
    expect(created.stderr).toMatch(/warning: src\/lib\.rs copied byte for byte, not rendered/);
    const project = path.join(tmp.dir, 'seed-auth');
    expect(readFileSync(path.join(project, 'src', 'lib.rs'), 'utf8')).toBe(rustPlugin);
    expect(readFileSync(path.join(project, 'Makefile'), 'utf8')).toBe(seedMakefile);

    const init = await runCli(['init', '--yes', '--json'], { cwd: project, env });
    expect(init.code).toBe(0);
    expect((JSON.parse(init.stdout) as InitJson).added).toEqual([]);

    const build = await runCli(['build', '--json'], { cwd: project, env, timeoutMs: 600_000 });
    expect(build.stderr).not.toMatch(/error/);
    expect(build.code).toBe(0);
    expect(readdirSync(path.join(project, 'target'))).toContain('wasm32-wasip1');

    const upstream = await startServer(echoHandler());
    const serve = await startServe(['--upstream', upstream.url], { cwd: project });
    try {
      const response = await fetch(`${serve.url}/hello`);
      expect(response.status).toBe(200);
      expect(response.headers.get('x-stamp')).toBe('rust');
      expect((await response.json() as { url: string }).url).toBe('/hello');
    } finally {
      expect(await serve.stop()).not.toBeNull();
      await upstream.close();
    }
  }, 900_000);
});
