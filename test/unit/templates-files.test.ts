import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mergeLayers, outputPath, renderDirectory } from '../../src/scaffold/render.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import type { TemplateManifest } from '../../src/scaffold/manifest.js';
import type { RenderContext } from '../../src/scaffold/render-context.js';
import { versions } from '../../src/versions.js';
import { makeTempDir, requireToolInCi } from '../helpers/tmp.js';

const templatesDir = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'templates');

/** A realistic context, as the scaffolder builds it. */
const context: RenderContext = {
  name: 'wasm-auth',
  snakeName: 'wasm_auth',
  pascalName: 'WasmAuth',
  crateName: 'wasm_auth',
  goModule: 'wasm-auth',
  language: 'rust',
  module: 'build/plugin.wasm',
  image: 'sealos.hub:5000/wasm/wasm-auth:v1',
  imageRepository: 'sealos.hub:5000/wasm/wasm-auth',
  imageTag: 'v1',
  registry: 'sealos.hub:5000',
  namespace: 'istio-system',
  istioVersion: '1.30',
  selectorLabels: { istio: 'ingressgateway' },
  kind: 'WasmPlugin',
  phase: 'AUTHN',
  trafficExtensionPhase: 'AUTHN',
  priority: 10,
  failStrategy: 'FAIL_CLOSE',
  imagePullPolicy: 'IfNotPresent',
  pluginConfig: { protectedPrefix: '/v2' },
  pluginConfigJson: '{"protectedPrefix":"/v2"}',
  pluginConfigPretty: '{\n  "protectedPrefix": "/v2"\n}',
  cliSpec: 'file:../create-istio-wasm-0.1.0.tgz',
  cliVersion: '0.1.0',
  versions,
};

interface Rendered {
  dir: string;
  manifest: TemplateManifest;
  /** Relative paths of every written file. */
  files: string[];
  /** Relative paths of the files that went through Handlebars. */
  renderedFiles: string[];
}

async function hbsSources(root: string, rel = ''): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(path.join(root, rel), { withFileTypes: true })) {
    const source = path.join(rel, entry.name);
    if (entry.isDirectory()) out.push(...(await hbsSources(root, source)));
    else if (entry.name.endsWith('.hbs')) out.push(outputPath(source));
  }
  return out;
}

/** Renders a template with the scaffolder's own renderer: its layers (not _shared), then its files. */
async function renderTemplate(name: string, out: string): Promise<Rendered> {
  const root = path.join(templatesDir, name);
  const manifest = JSON.parse(await readFile(path.join(root, 'template.json'), 'utf8')) as TemplateManifest;
  const ctx = { ...context, language: manifest.language };
  const layers = [];
  for (const layer of manifest.layers ?? []) layers.push(await renderDirectory(path.join(templatesDir, layer), ctx, layer));
  layers.push(await renderDirectory(root, ctx, name));
  const files = mergeLayers(...layers);
  for (const file of files) {
    await mkdir(path.dirname(path.join(out, file.path)), { recursive: true });
    await writeFile(path.join(out, file.path), file.contents);
  }
  const renderedFiles = [await hbsSources(root), ...(await Promise.all((manifest.layers ?? []).map((l) => hbsSources(path.join(templatesDir, l)))))].flat();
  return { dir: out, manifest, files: files.map((f) => f.path).sort(), renderedFiles };
}

/** Enough TOML for Cargo.toml and rust-toolchain.toml: tables, strings, booleans, numbers, arrays, inline tables. */
function parseMiniToml(text: string): Record<string, Record<string, unknown>> {
  const doc: Record<string, Record<string, unknown>> = { '': {} };
  let table = doc['']!;
  const lines = text.split(/\r?\n/);
  lines.forEach((raw, index) => {
    const line = raw.replace(/\s+#.*$/, '').trim();
    if (line === '' || line.startsWith('#')) return;
    const header = /^\[([A-Za-z0-9_.-]+)\]$/.exec(line);
    if (header) {
      const name = header[1]!;
      if (doc[name]) throw new Error(`line ${index + 1}: table [${name}] defined twice`);
      table = doc[name] = {};
      return;
    }
    const pair = /^([A-Za-z0-9_-]+)\s*=\s*(.+)$/.exec(line);
    if (!pair) throw new Error(`line ${index + 1}: not TOML: ${raw}`);
    const [value, rest] = parseValue(pair[2]!, index + 1);
    if (rest.trim() !== '') throw new Error(`line ${index + 1}: trailing text: ${rest}`);
    if (pair[1]! in table) throw new Error(`line ${index + 1}: key ${pair[1]} defined twice`);
    table[pair[1]!] = value;
  });
  return doc;

  function parseValue(source: string, line: number): [unknown, string] {
    const s = source.trimStart();
    if (s.startsWith('"')) {
      const m = /^"((?:[^"\\]|\\.)*)"/.exec(s);
      if (!m) throw new Error(`line ${line}: bad string`);
      return [JSON.parse(`"${m[1]}"`), s.slice(m[0].length)];
    }
    if (s.startsWith('true')) return [true, s.slice(4)];
    if (s.startsWith('false')) return [false, s.slice(5)];
    const num = /^[+-]?\d+(\.\d+)?/.exec(s);
    if (num) return [Number(num[0]), s.slice(num[0].length)];
    if (s.startsWith('[')) {
      const items: unknown[] = [];
      let rest = s.slice(1).trimStart();
      while (!rest.startsWith(']')) {
        const [item, after] = parseValue(rest, line);
        items.push(item);
        rest = after.trimStart();
        if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
        else if (!rest.startsWith(']')) throw new Error(`line ${line}: bad array`);
      }
      return [items, rest.slice(1)];
    }
    if (s.startsWith('{')) {
      const inline: Record<string, unknown> = {};
      let rest = s.slice(1).trimStart();
      while (!rest.startsWith('}')) {
        const key = /^([A-Za-z0-9_-]+)\s*=/.exec(rest);
        if (!key) throw new Error(`line ${line}: bad inline table`);
        const [item, after] = parseValue(rest.slice(key[0].length), line);
        inline[key[1]!] = item;
        rest = after.trimStart();
        if (rest.startsWith(',')) rest = rest.slice(1).trimStart();
        else if (!rest.startsWith('}')) throw new Error(`line ${line}: bad inline table`);
      }
      return [inline, rest.slice(1)];
    }
    throw new Error(`line ${line}: unsupported value: ${s}`);
  }
}

/** FROM lines of a Dockerfile: image and stage name. */
function dockerStages(dockerfile: string): Array<{ image: string; name?: string }> {
  return dockerfile
    .split(/\r?\n/)
    .filter((line) => /^FROM\s/i.test(line))
    .map((line) => {
      const m = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?\s*$/i.exec(line.trim());
      if (!m) throw new Error(`bad FROM line: ${line}`);
      return m[2] ? { image: m[1]!, name: m[2] } : { image: m[1]! };
    });
}

const languages = {
  rust: { dockerImage: versions.rustToolchainImage, sources: ['src/lib.rs', 'Cargo.toml', 'rust-toolchain.toml'] },
  go: { dockerImage: versions.goImage, sources: ['main.go', 'go.mod'] },
  cpp: { dockerImage: versions.emscriptenImage, sources: ['plugin.cc', 'plugin_config.h', 'root_id.h', 'Makefile.build'] },
} as const;

const common = [
  '.dockerignore',
  '.github/workflows/ci.yml',
  '.gitignore',
  'Dockerfile',
  'README.md',
  'package.json',
  'test/plugin.test.ts',
  'vitest.config.ts',
];

describe.each(Object.entries(languages))('template %s', (name, spec) => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let rendered: Rendered;
  const read = (file: string) => readFile(path.join(rendered.dir, file), 'utf8');

  beforeAll(async () => {
    tmp = await makeTempDir(`ciw-tpl-${name}-`);
    rendered = await renderTemplate(name, tmp.dir);
  });
  afterAll(async () => {
    await tmp.cleanup();
  });

  it('has a manifest the scaffolder accepts', () => {
    expect(rendered.manifest).toMatchObject({ name, language: name, module: 'build/plugin.wasm', packageJson: true, variables: [] });
    expect(rendered.manifest.description.length).toBeGreaterThan(10);
  });

  it('writes exactly the expected files, and none the scaffolder owns', () => {
    expect(rendered.files).toEqual([...common, ...spec.sources].sort());
    for (const owned of ['Makefile', 'Sealfile', 'istio-wasm.yaml']) expect(rendered.files).not.toContain(owned);
    expect(rendered.files.some((f) => f.startsWith('deploy/'))).toBe(false);
  });

  it('leaves nothing unrendered and no machine paths', async () => {
    for (const file of rendered.renderedFiles) {
      const text = await read(file);
      expect(text, file).not.toMatch(/\{\{|\}\}/);
      expect(text, file).not.toContain('undefined');
      expect(text, file).not.toContain('[object Object]');
    }
    for (const file of rendered.files) {
      expect(await read(file), file).not.toMatch(/\/work\/|\/root\/|\/home\/\w+/);
    }
  });

  it('has a Dockerfile: toolchain builder stage, then FROM scratch with /plugin.wasm', async () => {
    const dockerfile = await read('Dockerfile');
    const stages = dockerStages(dockerfile);
    expect(stages.length).toBeGreaterThanOrEqual(2);
    expect(stages[0]).toEqual({ image: spec.dockerImage, name: 'build' });
    expect(stages.at(-1)).toEqual({ image: 'scratch' });
    const lastStage = dockerfile.slice(dockerfile.lastIndexOf('FROM scratch'));
    expect(lastStage).toMatch(/^COPY --from=build \S+ \/plugin\.wasm$/m);
    expect(lastStage.split('\n').filter((l) => /^(RUN|COPY|ADD|CMD|ENTRYPOINT)\b/.test(l))).toHaveLength(1);
    expect(dockerfile).not.toMatch(/wasm32-wasi(?!p)/);
  });

  it('has a package.json whose scripts call istio-wasm', async () => {
    const pkg = JSON.parse(await read('package.json')) as {
      name: string;
      private: boolean;
      type: string;
      scripts: Record<string, string>;
      devDependencies: Record<string, string>;
    };
    expect(pkg.name).toBe(context.name);
    expect(pkg.private).toBe(true);
    expect(pkg.type).toBe('module');
    for (const script of ['build', 'test', 'serve', 'push', 'manifest', 'deploy']) {
      expect(pkg.scripts[script], script).toMatch(/^istio-wasm /);
    }
    expect(pkg.devDependencies).toEqual({ 'create-istio-wasm': context.cliSpec, vitest: versions.vitest });
  });

  it('has a CI workflow that parses as YAML and keeps ${{ }} expressions', async () => {
    const text = await read('.github/workflows/ci.yml');
    const workflow = parseYaml(text) as { on: unknown; jobs: Record<string, { steps: Array<Record<string, unknown>> }> };
    expect(workflow.on).toBeDefined();
    const steps = Object.values(workflow.jobs).flatMap((job) => job.steps);
    expect(steps.length).toBeGreaterThan(3);
    expect(text).toContain('${{ github.sha }}');
    const runs = steps.map((s) => String(s.run ?? '')).join('\n');
    expect(runs).toContain('npm run build');
    expect(runs).toContain('npm test');
  });

  it('has tests against create-istio-wasm/testing and ignores build output in git', async () => {
    expect(await read('test/plugin.test.ts')).toContain("from 'create-istio-wasm/testing'");
    const gitignore = (await read('.gitignore')).split('\n');
    expect(gitignore).toContain('/build/');
    expect(gitignore).toContain('/node_modules/');
  });

  it('documents the plugin in its README', async () => {
    const readme = await read('README.md');
    expect(readme.startsWith(`# ${context.name}\n`)).toBe(true);
    expect(readme).toContain(context.image);
    expect(readme).toContain('istio-wasm build --docker');
    for (const key of ['protectedPrefix', 'credentialHeader', 'authCluster', 'authPath', 'authAuthority', 'responseHeader']) {
      expect(readme).toContain(key);
    }
  });
});

describe('rust template files', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await makeTempDir('ciw-tpl-rust-files-');
    await renderTemplate('rust', tmp.dir);
  });
  afterAll(async () => tmp.cleanup());

  it('Cargo.toml is TOML for a cdylib on the proxy-wasm crate', async () => {
    const cargo = parseMiniToml(await readFile(path.join(tmp.dir, 'Cargo.toml'), 'utf8'));
    expect(cargo.package).toMatchObject({ name: context.snakeName, edition: '2021' });
    expect(cargo.lib).toMatchObject({ 'crate-type': ['cdylib'] });
    expect(cargo.dependencies).toMatchObject({ 'proxy-wasm': versions.proxyWasmRust, serde: { version: '1', features: ['derive'] }, serde_json: '1' });
    expect(versions.proxyWasmRust).toMatch(/^0\.2\.\d+$/);
    expect(cargo['profile.release']).toMatchObject({ 'opt-level': 's', lto: true, strip: true, panic: 'abort' });
  });

  it('rust-toolchain.toml asks for the wasm32-wasip1 target', async () => {
    const toolchain = parseMiniToml(await readFile(path.join(tmp.dir, 'rust-toolchain.toml'), 'utf8'));
    expect(toolchain.toolchain).toMatchObject({ channel: 'stable', targets: ['wasm32-wasip1'] });
  });

  it('the Dockerfile and CI build for wasm32-wasip1', async () => {
    const dockerfile = await readFile(path.join(tmp.dir, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('rustup target add wasm32-wasip1');
    expect(dockerfile).toContain('cargo build --target wasm32-wasip1 --release');
    expect(await readFile(path.join(tmp.dir, '.github/workflows/ci.yml'), 'utf8')).toContain('--target wasm32-wasip1');
  });

  it('src/lib.rs uses the proxy-wasm 0.2 API the example needs', async () => {
    const lib = await readFile(path.join(tmp.dir, 'src/lib.rs'), 'utf8');
    for (const api of [
      'proxy_wasm::main!',
      'set_root_context',
      'fn on_configure',
      'get_plugin_configuration',
      'fn create_http_context',
      'fn on_http_request_headers(&mut self, _num_headers: usize, _end_of_stream: bool)',
      'set_http_request_header("x-wasm-plugin-request"',
      'send_http_response(',
      'dispatch_http_call(',
      'fn on_http_call_response',
      'resume_http_request()',
      'add_http_response_header(',
      '"plugin_root_id"',
    ]) {
      expect(lib, api).toContain(api);
    }
  });
});

describe('go template files', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await makeTempDir('ciw-tpl-go-files-');
    await renderTemplate('go', tmp.dir);
  });
  afterAll(async () => tmp.cleanup());

  it('go.mod has module, go and require lines', async () => {
    const lines = (await readFile(path.join(tmp.dir, 'go.mod'), 'utf8')).split('\n').filter((l) => l.trim() && !l.trim().startsWith('//'));
    expect(lines[0]).toBe(`module ${context.name}`);
    expect(lines).toContain(`go ${versions.goVersion}`);
    const require = lines.find((l) => l.startsWith('require '));
    expect(require).toMatch(/^require github\.com\/proxy-wasm\/proxy-wasm-go-sdk v0\.0\.0-\d{14}-[0-9a-f]{12}$/);
    expect(lines).toHaveLength(3);
  });

  it('main.go uses the Go SDK entry point and builds for wasip1', async () => {
    const main = await readFile(path.join(tmp.dir, 'main.go'), 'utf8');
    expect(main).toMatch(/^package main$/m);
    expect(main).toContain('"github.com/proxy-wasm/proxy-wasm-go-sdk/proxywasm"');
    expect(main).toContain('proxywasm.SetVMContext(');
    for (const api of ['GetPluginConfiguration', 'DispatchHttpCall', 'SendHttpResponse', 'ResumeHttpRequest', 'AddHttpResponseHeader', 'ReplaceHttpRequestHeader']) {
      expect(main, api).toContain(`proxywasm.${api}(`);
    }
    const dockerfile = await readFile(path.join(tmp.dir, 'Dockerfile'), 'utf8');
    expect(dockerfile).toContain('GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared');
  });
});

describe('cpp template files', () => {
  let tmp: { dir: string; cleanup: () => Promise<void> };
  beforeAll(async () => {
    tmp = await makeTempDir('ciw-tpl-cpp-files-');
    await renderTemplate('cpp', tmp.dir);
  });
  afterAll(async () => tmp.cleanup());

  it('Makefile.build has the targets and the SDK link options', async () => {
    const make = await readFile(path.join(tmp.dir, 'Makefile.build'), 'utf8');
    const targets = [...make.matchAll(/^([A-Za-z$()_.-]+):(?!=)/gm)].map((m) => m[1]);
    expect(targets).toEqual(expect.arrayContaining(['all', '$(OUT)', 'check-sdk', 'clean', '.PHONY']));
    for (const flag of ['--no-entry', '-sSTANDALONE_WASM', '-sEXPORTED_FUNCTIONS=_malloc', '--js-library $(SDK_JS)', '--std=c++17']) {
      expect(make).toContain(flag);
    }
    // Recipes are indented with tabs, as make requires.
    expect(make).toMatch(/^\t\$\(EMXX\) /m);
    expect(make).toContain('OUT ?= build/plugin.wasm');
  });

  it('root_id.h carries the plugin name and plugin.cc registers under it', async () => {
    expect(await readFile(path.join(tmp.dir, 'root_id.h'), 'utf8')).toContain(`#define PLUGIN_ROOT_ID "${context.name}"`);
    const plugin = await readFile(path.join(tmp.dir, 'plugin.cc'), 'utf8');
    for (const api of ['#include "proxy_wasm_intrinsics.h"', 'RegisterContextFactory', 'PLUGIN_ROOT_ID', 'bool onConfigure(size_t', 'onRequestHeaders(', 'onResponseHeaders(', 'httpCall(', 'sendLocalResponse(', 'continueRequest()', 'setEffectiveContext()']) {
      expect(plugin, api).toContain(api);
    }
  });

  const clang = (() => {
    try {
      execFileSync('clang++', ['--version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();
  requireToolInCi('clang++', clang);

  it.skipIf(!clang)('plugin_config.h compiles and reads pluginConfig as the example requires', async () => {
    const probe = path.join(tmp.dir, 'probe.cc');
    await writeFile(
      probe,
      `#include "plugin_config.h"
#include <cstdio>
static void show(const char* text) {
  std::string error;
  auto config = parsePluginConfig(text, &error);
  if (config) std::printf("ok %s %s %s %s\\n", config->protected_prefix.c_str(), config->credential_header.c_str(), config->authority().c_str(), config->response_header.c_str());
  else std::printf("error\\n");
}
int main() {
  show("");
  show("  {}  ");
  show("[1, 2]");
  show("{\\"protectedPrefix\\": \\"/api\\", \\"other\\": {\\"n\\": [1, true, null]}, \\"authCluster\\": \\"outbound|8080||auth.default.svc.cluster.local\\"}");
  show("{\\"authPath\\": 5}");
  show("{\\"authAuthority\\": \\"a\\\\u00e9\\"} trailing");
  return 0;
}
`,
    );
    const binary = path.join(tmp.dir, 'probe');
    execFileSync('clang++', ['-std=c++17', '-Wall', '-Werror', '-I', tmp.dir, probe, '-o', binary]);
    const lines = execFileSync(binary, { encoding: 'utf8' }).trim().split('\n');
    expect(lines).toEqual([
      'ok /v2 authorization  x-wasm-plugin',
      'ok /v2 authorization  x-wasm-plugin',
      'error',
      'ok /api authorization auth.default.svc.cluster.local x-wasm-plugin',
      'error',
      'error',
    ]);
  });
});

describe('the example tests layer', () => {
  it('is rendered into every reference template from one file', async () => {
    for (const name of Object.keys(languages)) {
      const manifest = JSON.parse(await readFile(path.join(templatesDir, name, 'template.json'), 'utf8')) as TemplateManifest;
      expect(manifest.layers).toContain('_example-tests');
      expect(existsSync(path.join(templatesDir, name, 'test', 'plugin.test.ts'))).toBe(false);
    }
    expect(existsSync(path.join(templatesDir, '_example-tests', 'test', 'plugin.test.ts'))).toBe(true);
  });
});

describe('every built-in template keeps credentials and local state out of git', () => {
  const builtins = readdirSync(templatesDir).filter((name) => !name.startsWith('_') && existsSync(path.join(templatesDir, name, '_gitignore')));
  it.each(builtins)('%s ignores the pull Secret, .istio-wasm/ and the sealos registry tree', (name) => {
    const lines = readFileSync(path.join(templatesDir, name, '_gitignore'), 'utf8').split('\n').map((l) => l.replace(/^\//, ''));
    expect(lines).toContain('deploy/secret.yaml');
    expect(lines).toContain('.istio-wasm/');
    expect(lines).toContain('deploy/registry/');
  });
  it('finds the four languages', () => expect(builtins.sort()).toEqual(['assemblyscript', 'cpp', 'go', 'rust']));
});
