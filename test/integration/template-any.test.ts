import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CancelledError } from '../../src/errors.js';
import { createProject } from '../../src/scaffold/index.js';
import { osArch } from '../../src/scaffold/sources/cargo-generate-builtins.js';
import { repoRoot, runCli } from '../helpers/cli.js';
import { git, makeGitRepo } from '../helpers/git-repo.js';
import { scripted } from '../helpers/prompter.js';
import { makeTempDir } from '../helpers/tmp.js';

/**
 * Templates that are not ours, from git over file://: a cargo-generate template with
 * cargo-generate.toml, one with only {{project-name}}/{{crate_name}} placeholders, and a plain
 * repository. Each is scaffolded headless (the built CLI) and prompted (the scaffolder with a
 * scripted prompter), and every file is compared byte for byte.
 */
let tmp: { dir: string; cleanup: () => Promise<void> };
const urls: Record<'cargoGenerate' | 'placeholdersOnly' | 'plain', string> = { cargoGenerate: '', placeholdersOnly: '', plain: '' };
const author = { GIT_AUTHOR_NAME: 'Ann Example', GIT_AUTHOR_EMAIL: 'ann@example.com' };
const logo = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0x7b, 0x7b, 0xff]);
const helmChart = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-config\n  labels:\n    {{- include "chart.labels" . | nindent 4 }}\n';
const workflow = 'name: release\non: push\njobs:\n  build:\n    runs-on: ubuntu-latest\n    steps:\n      - run: echo ${{ github.sha }} > sha.txt\n';

const cargoGenerateToml = `[template]
cargo_generate_version = ">=0.10.0"
exclude = ["raw/**"]
ignore = ["notes"]

[placeholders]
license = { type = "string", prompt = "License?", choices = ["MIT", "Apache-2.0"], default = "MIT" }
metrics = { type = "bool", prompt = "Emit metrics?", default = false }
owner = { type = "string", prompt = "Owning team", default = "edge", regex = "^[a-z]+$" }

[conditional.'metrics == true'.placeholders]
metric_prefix = { type = "string", prompt = "Metric prefix", default = "wasm" }

[conditional.'license == "MIT"']
ignore = ["LICENSE-APACHE"]

[conditional.'license != "MIT"']
ignore = ["LICENSE-MIT"]

[hooks]
pre = ["hooks/pre.rhai"]
`;

beforeAll(async () => {
  tmp = await makeTempDir('ciw-anytemplate-');
  urls.cargoGenerate = await makeGitRepo(path.join(tmp.dir, 'cg-template'), {
    'cargo-generate.toml': cargoGenerateToml,
    'Cargo.toml': '[package]\nname = "{{project-name}}"\nversion = "0.1.0"\nauthors = ["{{authors}}"]\nedition = "2021"\n\n[lib]\ncrate-type = ["cdylib"]\n\n[dependencies]\nproxy-wasm = "0.2"\n',
    'src/lib.rs': '// {{crate_name}} ({{ project-name | upper_camel_case }}) owned by {{ owner }}{% if metrics %}, metrics {{ metric_prefix | shouty_snake_case }}{% endif %}\n',
    'src/{{crate_name}}_config.rs': 'pub const NAME: &str = "{{ project-name | kebab_case }}"; // built on {{os-arch}}\n',
    'README.md.liquid': '# {{project-name}}\n\nBy {{username}}. Inside a cargo project: {{within_cargo_project}}. Init: {{is_init}}.\n{% raw %}{{ not-a-placeholder }}{% endraw %}\n',
    'LICENSE-MIT': 'MIT License, {{authors}}\n',
    'LICENSE-APACHE': 'Apache License 2.0\n',
    'chart/templates/configmap.yaml': helmChart,
    '.github/workflows/release.yml': workflow,
    'hooks/pre.rhai': 'variable::set("x", 1);\n',
    'notes/todo.txt': 'not part of the project\n',
    'raw/{{crate_name}}.txt': 'kept raw: {{crate_name}}\n',
    '.genignore': 'scratch/\n',
    'scratch/tmp.txt': 'dropped by .genignore\n',
    'assets/logo.png': logo,
    'scripts/release.sh': { contents: '#!/bin/sh\necho {{project-name}}\n', executable: true },
  });
  git(path.join(tmp.dir, 'cg-template'), 'tag', 'v1');
  await writeFile(path.join(tmp.dir, 'cg-template', 'LICENSE-APACHE'), 'Apache License 2.0 (later)\n');
  git(path.join(tmp.dir, 'cg-template'), 'commit', '-qam', 'later');

  urls.placeholdersOnly = await makeGitRepo(path.join(tmp.dir, 'placeholders-template'), {
    'Cargo.toml': '[package]\nname = "{{project-name}}"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\nname = "{{crate_name}}"\ncrate-type = ["cdylib"]\n',
    'src/lib.rs': 'proxy_wasm::main! {{ "{{" }} /* {{crate_name}} */ {{ "}}" }}\n',
    'Makefile': 'build:\n\tcargo build --target wasm32-wasi --release\n',
    'README.md': '{{project-name}} by {{authors}}\n',
  });

  urls.plain = await makeGitRepo(path.join(tmp.dir, 'plain-repo'), {
    'package.json': '{\n  "name": "seed-plugin",\n  "devDependencies": { "assemblyscript": "0.28.9" }\n}\n',
    'assembly/index.ts': 'export function answer(): i32 { return 42; } // {{ not handlebars here }}\n',
    'README.md.hbs': '# {{name}} in {{namespace}}, pushed to {{image}}\n',
    'theme/page.hbs': '<h1>{{title}}</h1>{{> footer}}\n',
    '_gitignore': 'node_modules/\n',
    'docs/diagram.bin': logo,
  });
}, 60_000);
afterAll(async () => tmp?.cleanup());

/** Every file under dir (relative path → bytes), .git left out. */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (current: string) => {
    for (const name of readdirSync(current)) {
      const full = path.join(current, name);
      if (statSync(full).isDirectory()) walk(full);
      else out.set(path.relative(dir, full).split(path.sep).join('/'), readFileSync(full));
    }
  };
  walk(dir);
  return out;
}

/**
 * The files init adds, as a built-in scaffold of the same language, name and image writes them
 * (snapshot-tested in test/e2e): istio-wasm.yaml, the Makefile, deploy/, the Dockerfile, CI, …
 */
const sharedAdditions = ['istio-wasm.yaml', 'Makefile', 'Sealfile', 'deploy/Kubefile', 'deploy/images/shim/wasmImage', 'deploy/manifests/README.md', 'deploy/wasmplugin.yaml', 'Dockerfile', '.dockerignore', '.gitignore', '.github/workflows/ci.yml'];

async function reference(language: string, name: string): Promise<Map<string, Buffer>> {
  const dir = path.join(tmp.dir, 'reference', `${language}-${name}`);
  if (!existsSync(dir)) {
    const r = await runCli([dir, '--template', language, '--name', name, '--yes', '--no-install', '--no-git', '--image', `127.0.0.1:5000/wasm/${name}:v1`], { cwd: tmp.dir, bin: 'create-istio-wasm' });
    if (r.code !== 0) throw new Error(r.stderr);
  }
  return tree(dir);
}

function adoptedPackageJson(name: string, language: string): string {
  return `{
  "name": "${name}",
  "version": "0.1.0",
  "private": true,
  "type": "module",
  "description": "Istio WebAssembly plugin ${name} (${language}, Proxy-Wasm), built and shipped with istio-wasm",
  "scripts": {
    "build": "istio-wasm build",
    "test": "istio-wasm test",
    "serve": "istio-wasm serve",
    "push": "istio-wasm push",
    "manifest": "istio-wasm manifest --pin",
    "deploy": "istio-wasm deploy",
    "inspect": "istio-wasm inspect build/plugin.wasm"
  },
  "devDependencies": {
    "create-istio-wasm": "file:${repoRoot}",
    "vitest": "${vitestVersion()}"
  },
  "engines": {
    "node": ">=20.17"
  }
}
`;
}

/** The vitest range generated projects get (versions.ts), as the built-in scaffold wrote it. */
function vitestVersion(): string {
  const generated = JSON.parse(readFileSync(path.join(tmp.dir, 'reference', 'rust-wasm-auth', 'package.json'), 'utf8')) as { devDependencies: Record<string, string> };
  return generated.devDependencies.vitest ?? '';
}

function smokeTest(name: string): string {
  return `// Smoke tests \`istio-wasm init\` added: the module loads on create-istio-wasm's local Proxy-Wasm host
// with the pluginConfig of istio-wasm.yaml, and a request and its response pass through it without
// the plugin failing. Add tests of what the plugin does beside them (see create-istio-wasm/testing).
import { existsSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadPlugin } from 'create-istio-wasm/testing';

const wasm = new URL('../build/plugin.wasm', import.meta.url);
// Istio hands the plugin its root id: the WasmPlugin's pluginName.
const rootId = "${name}";
const pluginConfig = {"protectedPrefix":"/v2","credentialHeader":"authorization"};

beforeAll(() => {
  if (!existsSync(wasm)) throw new Error('build/plugin.wasm is missing: run \`npx istio-wasm test\` (it builds first) or \`npx istio-wasm build\`');
});

describe("${name}", () => {
  it('starts with its pluginConfig', async () => {
    const plugin = await loadPlugin(wasm, { rootId, pluginConfig });
    expect(plugin.failed).toBe(false);
  });

  it('handles a request and its response without failing', async () => {
    const plugin = await loadPlugin(wasm, { rootId, pluginConfig });
    const exchange = await plugin.request({ path: '/' });
    if (exchange.state === 'upstream') await exchange.respond({ status: 200, body: 'ok' });
    expect(plugin.failed).toBe(false);
  });
});
`;
}

/** What a generated project holds besides the template's own files. */
async function adoption(language: string, name: string, own: string[]): Promise<Map<string, Buffer>> {
  const ref = await reference(language, 'wasm-auth');
  const expected = new Map<string, Buffer>();
  for (const file of sharedAdditions) {
    if (own.includes(file)) continue;
    const bytes = (await reference(language, name)).get(file) ?? ref.get(file);
    if (!bytes) throw new Error(`the ${language} reference scaffold has no ${file}`);
    expected.set(file, bytes);
  }
  const extra: Record<string, string> = {
    'package.json': adoptedPackageJson(name, language),
    'vitest.config.ts': readFileSync(path.join(repoRoot, 'templates', '_adopted', 'vitest.config.ts'), 'utf8'),
    'test/plugin.test.ts': smokeTest(name),
  };
  for (const [file, text] of Object.entries(extra)) if (!own.includes(file)) expected.set(file, Buffer.from(text));
  return expected;
}

function expectTree(dir: string, expected: Map<string, Buffer>): void {
  const actual = tree(dir);
  expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
  for (const [file, bytes] of expected) expect(actual.get(file)?.toString('latin1'), file).toBe(bytes.toString('latin1'));
}

const create = (args: string[]) =>
  runCli([...args, '--no-install', '--no-git'], { cwd: tmp.dir, bin: 'create-istio-wasm', env: author });

function cargoGenerateOwn(options: { name: string; license: 'MIT' | 'Apache-2.0'; owner: string; metrics?: string; apache?: string }): Record<string, string | Buffer> {
  const crate = options.name.replace(/-/g, '_');
  const camel = options.name.split('-').map((w) => w[0]?.toUpperCase() + w.slice(1)).join('');
  return {
    'Cargo.toml': `[package]\nname = "${options.name}"\nversion = "0.1.0"\nauthors = ["Ann Example <ann@example.com>"]\nedition = "2021"\n\n[lib]\ncrate-type = ["cdylib"]\n\n[dependencies]\nproxy-wasm = "0.2"\n`,
    'src/lib.rs': `// ${crate} (${camel}) owned by ${options.owner}${options.metrics ? `, metrics ${options.metrics}` : ''}\n`,
    [`src/${crate}_config.rs`]: `pub const NAME: &str = "${options.name}"; // built on ${osArch()}\n`,
    'README.md': `# ${options.name}\n\nBy Ann Example. Inside a cargo project: false. Init: false.\n{{ not-a-placeholder }}\n`,
    ...(options.license === 'MIT' ? { 'LICENSE-MIT': 'MIT License, Ann Example <ann@example.com>\n' } : { 'LICENSE-APACHE': options.apache ?? 'Apache License 2.0 (later)\n' }),
    'chart/templates/configmap.yaml': helmChart,
    '.github/workflows/release.yml': workflow,
    // exclude keeps {{ }} in the contents; the name is rendered all the same, as in cargo-generate.
    [`raw/${crate}.txt`]: 'kept raw: {{crate_name}}\n',
    'assets/logo.png': logo,
    'scripts/release.sh': `#!/bin/sh\necho ${options.name}\n`,
  };
}

async function expected(own: Record<string, string | Buffer>, language: string, name: string): Promise<Map<string, Buffer>> {
  const map = await adoption(language, name, Object.keys(own));
  for (const [file, value] of Object.entries(own)) map.set(file, Buffer.isBuffer(value) ? value : Buffer.from(value));
  return map;
}

describe('a cargo-generate template with cargo-generate.toml', () => {
  it('headless: placeholders from --set and defaults, conditionals, Liquid in names, foreign {{ }} copied with a warning, hooks reported', async () => {
    const r = await create(['wasm-auth', '--template', urls.cargoGenerate, '--yes', '--set', 'license=MIT', '--set', 'metrics=true', '--set', 'metric_prefix=edge-proxy', '--image', '127.0.0.1:5000/wasm/wasm-auth:v1']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const dir = path.join(tmp.dir, 'wasm-auth');
    expectTree(dir, await expected(cargoGenerateOwn({ name: 'wasm-auth', license: 'MIT', owner: 'edge', metrics: 'EDGE_PROXY' }), 'rust', 'wasm-auth'));
    expect(statSync(path.join(dir, 'scripts', 'release.sh')).mode & 0o111).not.toBe(0);
    expect(r.stderr).toMatch(/warning: chart\/templates\/configmap\.yaml copied byte for byte, not rendered/);
    expect(r.stderr).toMatch(/warning: \.github\/workflows\/release\.yml copied byte for byte, not rendered/);
    expect(r.stderr).toMatch(/warning: cargo-generate\.toml \[hooks\] pre: hooks\/pre\.rhai was not run/);
  });

  it('prompted: every placeholder asked, the conditional one only when its condition holds', async () => {
    const prompter = scripted({ 'Image to push': '127.0.0.1:5000/wasm/edge-guard:v1', 'License?': 'Apache-2.0', 'Emit metrics?': 'no', 'Owning team': 'core' });
    const created = await createProject({
      dir: 'edge-guard', template: urls.cargoGenerate, ref: 'v1', flags: {}, env: { ...process.env, ...author }, cwd: tmp.dir, prompter,
      yes: false, overwrite: false, install: false, git: false, dryRun: false, cliSpec: `file:${repoRoot}`,
    });
    expect(prompter.asked).toEqual(expect.arrayContaining(['Namespace of the WasmPlugin', 'License?', 'Emit metrics?', 'Owning team']));
    expect(prompter.asked).not.toContain('Metric prefix');
    expect(created.format).toBe('cargo-generate');
    expectTree(path.join(tmp.dir, 'edge-guard'), await expected(cargoGenerateOwn({ name: 'edge-guard', license: 'Apache-2.0', owner: 'core', apache: 'Apache License 2.0\n' }), 'rust', 'edge-guard'));
  });

  it('Ctrl-C at a placeholder prompt: Operation cancelled, nothing written', async () => {
    const controller = new AbortController();
    const answers = scripted({ 'Image to push': '127.0.0.1:5000/wasm/cancelled-cg:v1' });
    const prompter = {
      ...answers,
      select: async (o: Parameters<typeof answers.select>[0]) => {
        if (o.message === 'License?') controller.abort(new CancelledError());
        return answers.select(o);
      },
    };
    const error = await createProject({
      dir: 'cancelled-cg', template: urls.cargoGenerate, flags: {}, env: { ...process.env, ...author }, cwd: tmp.dir, prompter, signal: controller.signal,
      yes: false, overwrite: false, install: false, git: false, dryRun: false, cliSpec: `file:${repoRoot}`,
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CancelledError);
    expect((error as CancelledError).exitCode).toBe(130);
    expect(existsSync(path.join(tmp.dir, 'cancelled-cg'))).toBe(false);
  });

  it('--list-templates --json lists its placeholders, conditional ones with their condition, and its hooks', async () => {
    const r = await runCli(['--list-templates', '--json', '--template', urls.cargoGenerate], { cwd: tmp.dir, bin: 'create-istio-wasm' });
    expect(r.code).toBe(0);
    const [t] = (JSON.parse(r.stdout) as { templates: Array<{ format: string; language: string; hooks: string[]; variables: Array<{ name: string; type: string; choices?: string[]; pattern?: string; when?: string }> }> }).templates;
    expect(t).toMatchObject({ format: 'cargo-generate', language: 'rust', hooks: ['pre: hooks/pre.rhai'] });
    expect(t?.variables).toEqual([
      { name: 'license', prompt: 'License?', type: 'choice', choices: ['MIT', 'Apache-2.0'], default: 'MIT' },
      { name: 'metrics', prompt: 'Emit metrics?', type: 'bool', default: false },
      { name: 'owner', prompt: 'Owning team', type: 'string', default: 'edge', pattern: '^[a-z]+$' },
      { name: 'metric_prefix', prompt: 'Metric prefix', type: 'string', default: 'wasm', when: 'metrics == true' },
    ]);
  });

  it('--dry-run --json lists the files and writes nothing', async () => {
    const r = await create(['dry-cg', '--template', urls.cargoGenerate, '--yes', '--dry-run', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { format: string; files: string[]; warnings: string[] };
    expect(out.format).toBe('cargo-generate');
    expect(out.files).toContain('src/dry_cg_config.rs');
    expect(out.files).toContain('istio-wasm.yaml');
    expect(out.warnings.some((w) => w.includes('chart/templates/configmap.yaml'))).toBe(true);
    expect(existsSync(path.join(tmp.dir, 'dry-cg'))).toBe(false);
  });

  it.each([
    [['--set', 'owner=UP', '--yes'], /template variable owner must match \^\[a-z\]\+\$/],
    [['--set', 'license=GPL', '--yes'], /template variable license must be one of MIT, Apache-2.0/],
    [['--set', 'nope=1', '--yes'], /--set nope: the template declares no such variable/],
    [['--name', 'ok', '--namespace', 'n', '--selector', 'a=b', '--phase', 'AUTHN', '--priority', '1', '--fail-strategy', 'FAIL_OPEN', '--plugin-config', '{}', '--image', 'r.example.com/x:v1', '--istio-version', '1.30', '--set', 'license=MIT', '--set', 'metrics=true'],
      /no value was given for --set owner=…, --set metric_prefix=…|no value was given for --set owner=…/],
  ])('%j fails clearly and leaves nothing', async (args, message) => {
    const r = await create(['bad-cg', '--template', urls.cargoGenerate, ...args]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(existsSync(path.join(tmp.dir, 'bad-cg'))).toBe(false);
  });
});

describe('a cargo-generate template without cargo-generate.toml', () => {
  const own = (name: string) => ({
    'Cargo.toml': `[package]\nname = "${name}"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\nname = "${name.replace(/-/g, '_')}"\ncrate-type = ["cdylib"]\n`,
    'src/lib.rs': `proxy_wasm::main! {{ /* ${name.replace(/-/g, '_')} */ }}\n`,
    'Makefile': 'build:\n\tcargo build --target wasm32-wasi --release\n',
    'README.md': `${name} by Ann Example <ann@example.com>\n`,
  });

  it('headless: {{project-name}} and {{crate_name}} rendered, its own Makefile kept', async () => {
    const r = await create(['header-auth', '--template', urls.placeholdersOnly, '--yes', '--image', '127.0.0.1:5000/wasm/header-auth:v1', '--json']);
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { format: string }).format).toBe('cargo-generate');
    expectTree(path.join(tmp.dir, 'header-auth'), await expected(own('header-auth'), 'rust', 'header-auth'));
  });

  it('prompted: the built-in values are asked, nothing else', async () => {
    const prompter = scripted({ 'Image to push': '127.0.0.1:5000/wasm/ask-auth:v1' });
    await createProject({
      dir: 'ask-auth', template: urls.placeholdersOnly, flags: {}, env: { ...process.env, ...author }, cwd: tmp.dir, prompter,
      yes: false, overwrite: false, install: false, git: false, dryRun: false, cliSpec: `file:${repoRoot}`,
    });
    expect(prompter.asked.every((m) => !/License|team/.test(m))).toBe(true);
    expectTree(path.join(tmp.dir, 'ask-auth'), await expected(own('ask-auth'), 'rust', 'ask-auth'));
  });

  it('--subdir picks it inside a larger repository; --overwrite writes into a non-empty directory, keeping the user\'s other files', async () => {
    const repo = path.join(tmp.dir, 'monorepo');
    const url = await makeGitRepo(repo, {
      'README.md': 'many templates\n',
      'templates/rust-seed/Cargo.toml': '[package]\nname = "{{project-name}}"\nversion = "0.1.0"\nedition = "2021"\n\n[lib]\nname = "{{crate_name}}"\ncrate-type = ["cdylib"]\n',
      'templates/rust-seed/src/lib.rs': 'proxy_wasm::main! {{ "{{" }} /* {{crate_name}} */ {{ "}}" }}\n',
      'templates/rust-seed/Makefile': 'build:\n\tcargo build --target wasm32-wasi --release\n',
      'templates/rust-seed/README.md': '{{project-name}} by {{authors}}\n',
    });
    const dir = path.join(tmp.dir, 'sub-auth');
    await mkdir(dir);
    await writeFile(path.join(dir, 'README.md'), 'my notes, replaced\n');
    await writeFile(path.join(dir, 'notes.txt'), 'mine, kept\n');
    const refused = await create(['sub-auth', '--template', url, '--subdir', 'templates/rust-seed', '--yes']);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toMatch(/is not empty/);
    const r = await create(['sub-auth', '--template', url, '--subdir', 'templates/rust-seed', '--overwrite', '--yes', '--image', '127.0.0.1:5000/wasm/sub-auth:v1']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const want = await expected(own('sub-auth'), 'rust', 'sub-auth');
    want.set('notes.txt', Buffer.from('mine, kept\n'));
    expectTree(dir, want);
  });
});

describe('a plain repository', () => {
  const own = (name: string) => ({
    'package.json': '{\n  "name": "seed-plugin",\n  "devDependencies": { "assemblyscript": "0.28.9" }\n}\n',
    'assembly/index.ts': 'export function answer(): i32 { return 42; } // {{ not handlebars here }}\n',
    'README.md': `# ${name} in istio-system, pushed to 127.0.0.1:5000/wasm/${name}:v1\n`,
    'theme/page.hbs': '<h1>{{title}}</h1>{{> footer}}\n',
    '.gitignore': 'node_modules/\n',
    'docs/diagram.bin': logo,
  });

  it('headless: copied byte for byte, .hbs rendered (a foreign one kept with a warning), _gitignore renamed, istio-wasm.yaml added', async () => {
    const r = await create(['plain-plugin', '--template', urls.plain, '--yes', '--image', '127.0.0.1:5000/wasm/plain-plugin:v1']);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/warning: theme\/page\.hbs copied byte for byte, not rendered/);
    expectTree(path.join(tmp.dir, 'plain-plugin'), await expected(own('plain-plugin'), 'assemblyscript', 'plain-plugin'));
  });

  it('prompted: the language is asked when the files do not show it', async () => {
    const repo = path.join(tmp.dir, 'plain-unknown');
    const url = await makeGitRepo(repo, { 'src/plugin.zig': 'pub fn main() void {}\n' });
    const prompter = scripted({ 'Language of the plugin': 'cpp', 'Image to push': '127.0.0.1:5000/wasm/zig-plugin:v1' });
    const created = await createProject({
      dir: 'zig-plugin', template: url, flags: {}, env: process.env, cwd: tmp.dir, prompter,
      yes: false, overwrite: false, install: false, git: false, dryRun: false, cliSpec: `file:${repoRoot}`,
    });
    expect(created.format).toBe('plain');
    expect(prompter.asked.some((m) => m.startsWith('Language of the plugin'))).toBe(true);
    expectTree(path.join(tmp.dir, 'zig-plugin'), await expected({ 'src/plugin.zig': 'pub fn main() void {}\n' }, 'cpp', 'zig-plugin'));
    const headless = await create(['unknown-lang', '--template', url, '--yes']);
    expect(headless.code).toBe(1);
    expect(headless.stderr).toMatch(/cannot tell the plugin's language/);
    expect(headless.stderr).toMatch(/--language/);
    expect(existsSync(path.join(tmp.dir, 'unknown-lang'))).toBe(false);
  });
});
