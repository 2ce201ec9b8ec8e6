import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { repoRoot, runCli } from '../helpers/cli.js';
import { makeTempDir, requireToolInCi } from '../helpers/tmp.js';
import { hasTool } from '../helpers/registry.js';
import { execFileSync } from 'node:child_process';

let tmp: { dir: string; cleanup: () => Promise<void> };
beforeAll(async () => {
  tmp = await makeTempDir('ciw-create-');
});
afterAll(async () => tmp.cleanup());

function listFiles(dir: string, base = dir): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name);
    return statSync(full).isDirectory() ? listFiles(full, base) : [path.relative(base, full)];
  }).sort();
}

/** Makes generated files comparable across machines: the file: spec points at this checkout. */
function normalise(text: string): string {
  return text.split(`file:${repoRoot}`).join('file:<create-istio-wasm>');
}

const create = (args: string[], options: Parameters<typeof runCli>[1] = {}) =>
  runCli(args, { cwd: tmp.dir, bin: 'create-istio-wasm', ...options });

describe.each(['assemblyscript', 'rust', 'go', 'cpp'])('template %s', (template) => {
  it('generates every file, matching the snapshot', async () => {
    const dir = `${template}-plugin`;
    const r = await create([dir, '--template', template, '--yes', '--no-install', '--no-git', '--image', '127.0.0.1:5000/wasm/demo:v1']);
    expect(r.stderr).not.toMatch(/error/);
    expect(r.code).toBe(0);
    const root = path.join(tmp.dir, dir);
    const files = listFiles(root);
    expect(files).toContain('istio-wasm.yaml');
    expect(files).toContain('Makefile');
    expect(files).toContain('Dockerfile');
    expect(files).toContain('.gitignore');
    expect(files).toContain('README.md');
    expect(files).toContain('.github/workflows/ci.yml');
    expect(files).toContain('deploy/wasmplugin.yaml');
    expect(files).toContain('deploy/Kubefile');
    expect(files.some((f) => f.endsWith('.hbs'))).toBe(false);
    for (const file of files) {
      const text = readFileSync(path.join(root, file), 'utf8');
      await expect(normalise(text)).toMatchFileSnapshot(`__snapshots__/create/${template}/${file}.snap`);
    }
    const config = parseYaml(readFileSync(path.join(root, 'istio-wasm.yaml'), 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({ name: dir, language: template, image: '127.0.0.1:5000/wasm/demo:v1', istio: { version: '1.30' } });
    // The workflow keeps GitHub's own ${{ }} expressions untouched.
    const workflow = readFileSync(path.join(root, '.github/workflows/ci.yml'), 'utf8');
    expect(() => parseYaml(workflow)).not.toThrow();
    const wp = parseYaml(readFileSync(path.join(root, 'deploy/wasmplugin.yaml'), 'utf8')) as { spec: Record<string, unknown> };
    expect(wp.spec).toMatchObject({ url: 'oci://127.0.0.1:5000/wasm/demo:v1', phase: 'AUTHN', failStrategy: 'FAIL_CLOSE' });
  });
});

describe('create-istio-wasm --kind', () => {
  it('TrafficExtension: deploy/trafficextension.yaml instead of the WasmPlugin, kind stored, and validate agrees', async () => {
    const r = await create(['te-plugin', '--kind', 'TrafficExtension', '--phase', 'UNSPECIFIED_PHASE', '--yes', '--no-install', '--no-git', '--image', '127.0.0.1:5000/wasm/te:v1']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/supersedes/);
    const root = path.join(tmp.dir, 'te-plugin');
    const files = listFiles(root);
    expect(files).toContain('deploy/trafficextension.yaml');
    expect(files).not.toContain('deploy/wasmplugin.yaml');
    const config = parseYaml(readFileSync(path.join(root, 'istio-wasm.yaml'), 'utf8')) as Record<string, unknown>;
    expect(config.kind).toBe('TrafficExtension');
    const te = parseYaml(readFileSync(path.join(root, 'deploy/trafficextension.yaml'), 'utf8')) as { kind: string; spec: Record<string, any> };
    expect(te.kind).toBe('TrafficExtension');
    expect(te.spec.phase).toBe('UNSPECIFIED');
    expect(te.spec.wasm).toMatchObject({ url: 'oci://127.0.0.1:5000/wasm/te:v1', pluginName: 'te-plugin', failStrategy: 'FAIL_CLOSE' });
    const v = await runCli(['validate', 'deploy/trafficextension.yaml', '--json'], { cwd: root });
    expect(v.code, v.stdout).toBe(0);
    expect(JSON.parse(v.stdout).files[0].documents[0]).toMatchObject({ kind: 'TrafficExtension', valid: true });
  });

  it('TrafficExtension below Istio 1.30 is refused naming 1.30; nothing is written', async () => {
    const r = await create(['old-te', '--kind', 'TrafficExtension', '--istio-version', '1.29', '--yes', '--no-install', '--no-git']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/TrafficExtension does not exist in Istio 1\.29: it arrived in Istio 1\.30/);
    expect(existsSync(path.join(tmp.dir, 'old-te'))).toBe(false);
  });

  it('the default stays WasmPlugin, and on 1.30 the scaffold says once that TrafficExtension is available', async () => {
    const r = await create(['wp-note', '--yes', '--no-install', '--no-git', '--json', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { files: string[]; notes: string[] };
    expect(out.files).toContain('deploy/wasmplugin.yaml');
    expect(out.notes.join('\n')).toMatch(/Istio 1\.30 has TrafficExtension, which supersedes WasmPlugin/);
    const old = await create(['wp-old', '--yes', '--no-install', '--no-git', '--json', '--dry-run', '--istio-version', '1.29']);
    expect((JSON.parse(old.stdout) as { notes: string[] }).notes).toEqual([]);
  });

  it('--list-templates --json describes kind for a wizard', async () => {
    const r = await create(['--list-templates', '--json']);
    const kind = (JSON.parse(r.stdout) as { variables: Array<Record<string, unknown>> }).variables.find((v) => v.name === 'kind');
    expect(kind).toMatchObject({ flag: '--kind', key: 'kind', type: 'choice', choices: ['WasmPlugin', 'TrafficExtension'], default: 'WasmPlugin' });
  });
});

describe('create-istio-wasm headless', () => {
  it('--json prints {dir, template, files, steps} and --dry-run writes nothing', async () => {
    const r = await create(['dry', '--yes', '--dry-run', '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as { dir: string; template: string; files: string[]; steps: Array<{ id: string; status: string }> };
    expect(out.dir).toBe(path.join(tmp.dir, 'dry'));
    expect(out.template).toBe('assemblyscript');
    expect(out.files).toContain('assembly/index.ts');
    expect(out.steps.map((s) => s.id)).toEqual(['install', 'git']);
    expect(out.steps.every((s) => s.status === 'planned')).toBe(true);
    expect(existsSync(path.join(tmp.dir, 'dry'))).toBe(false);
  });

  it('fails without --yes when not interactive, naming the flags', async () => {
    const r = await create(['missing', '--no-install', '--no-git']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/--namespace/);
    expect(r.stderr).toMatch(/--fail-strategy/);
    expect(r.stderr).toMatch(/--yes/);
    expect(existsSync(path.join(tmp.dir, 'missing'))).toBe(false);
  });

  it('flags given are used and the rest defaults under --yes', async () => {
    const r = await create(['flags', '--yes', '--no-install', '--no-git', '--namespace', 'edge', '--target-ref', 'Gateway/public',
      '--phase', 'AUTHZ', '--priority', '-5', '--fail-strategy', 'FAIL_OPEN', '--plugin-config', '{"protectedPrefix":"/admin"}', '--istio-version', '1.24']);
    expect(r.code).toBe(0);
    const config = parseYaml(readFileSync(path.join(tmp.dir, 'flags', 'istio-wasm.yaml'), 'utf8')) as { wasmPlugin: Record<string, unknown>; istio: unknown };
    expect(config.istio).toEqual({ version: '1.24' });
    expect(config.wasmPlugin).toMatchObject({
      namespace: 'edge', phase: 'AUTHZ', priority: -5, failStrategy: 'FAIL_OPEN',
      targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'public' }],
      pluginConfig: { protectedPrefix: '/admin' },
    });
    expect(config.wasmPlugin.selector).toBeUndefined();
  });

  it('takes the image from REPO/IMG, trimmed', async () => {
    const r = await create(['seed', '--yes', '--no-install', '--no-git'], { env: { REPO: 'sealos.hub:5000 ', IMG: ' wasm/wasm-auth:latest' } });
    expect(r.code).toBe(0);
    const config = parseYaml(readFileSync(path.join(tmp.dir, 'seed', 'istio-wasm.yaml'), 'utf8')) as { image: string; wasmPlugin: { imagePullPolicy: string } };
    expect(config.image).toBe('sealos.hub:5000/wasm/wasm-auth:latest');
    // A moving tag must not be cached forever by proxies.
    expect(config.wasmPlugin.imagePullPolicy).toBe('Always');
  });

  it('the same values file gives the same project', async () => {
    const values = path.join(tmp.dir, 'values.yaml');
    await writeFile(values, 'namespace: team-a\nselector: app=gateway\nphase: STATS\npriority: 3\nfailStrategy: FAIL_CLOSE\npluginConfig:\n  protectedPrefix: /x\nimage: registry.example.com/team/p:v2\nistioVersion: "1.22"\n');
    const a = await create(['va', '--values', values, '--no-install', '--no-git']);
    const b = await create(['vb', '--values', values, '--no-install', '--no-git', '--name', 'va']);
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    for (const file of listFiles(path.join(tmp.dir, 'va'))) {
      expect(readFileSync(path.join(tmp.dir, 'vb', file), 'utf8')).toBe(readFileSync(path.join(tmp.dir, 'va', file), 'utf8'));
    }
  });

  it('--list-templates --json describes every template and variable', async () => {
    const r = await create(['--list-templates', '--json']);
    expect(r.code).toBe(0);
    const listing = JSON.parse(r.stdout) as { templates: Array<{ name: string; language: string; aliases?: string[] }>; variables: Array<{ name: string; flag: string; type: string }> };
    expect(listing.templates.map((t) => t.name)).toEqual(['assemblyscript', 'cpp', 'go', 'rust']);
    expect(listing.templates.find((t) => t.name === 'go')).toMatchObject({ language: 'go', aliases: ['tinygo'] });
    const names = listing.variables.map((v) => v.name);
    expect(names).toEqual(['name', 'namespace', 'selector', 'targetRef', 'phase', 'priority', 'failStrategy', 'pluginConfig', 'image', 'istioVersion', 'kind']);
    expect(listing.variables.find((v) => v.name === 'phase')).toMatchObject({ type: 'choice', flag: '--phase' });
  });

  it('--template tinygo is the go template, and language: tinygo in istio-wasm.yaml still reads as go', async () => {
    const r = await create(['old-name', '--template', 'tinygo', '--yes', '--no-install', '--no-git']);
    expect(r.code).toBe(0);
    const root = path.join(tmp.dir, 'old-name');
    const yamlFile = path.join(root, 'istio-wasm.yaml');
    const yaml = readFileSync(yamlFile, 'utf8');
    expect(yaml).toMatch(/^language: go$/m);
    expect(existsSync(path.join(root, 'main.go'))).toBe(true);
    writeFileSync(yamlFile, yaml.replace(/^language: go$/m, 'language: tinygo'));
    const doctor = await runCli(['doctor', '--json'], { cwd: root });
    expect((JSON.parse(doctor.stdout) as { project: { language: string } }).project.language).toBe('go');
    writeFileSync(yamlFile, yaml.replace(/^language: go$/m, 'language: golang'));
    const bad = await runCli(['build'], { cwd: root });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('language must be one of assemblyscript, rust, go (or tinygo), cpp');
  });

  it('a plugin named go or 1st gets a module path and crate name its toolchain accepts; the plugin keeps its name', async () => {
    const goPresent = hasTool('go');
    const cargoPresent = hasTool('cargo');
    requireToolInCi('go', goPresent);
    requireToolInCi('cargo', cargoPresent);
    const go = await create(['go', '--template', 'go', '--yes', '--no-install', '--no-git']);
    expect(go.code).toBe(0);
    const goRoot = path.join(tmp.dir, 'go');
    expect(readFileSync(path.join(goRoot, 'go.mod'), 'utf8')).toMatch(/^module go-plugin$/m);
    expect(parseYaml(readFileSync(path.join(goRoot, 'istio-wasm.yaml'), 'utf8'))).toMatchObject({ name: 'go' });
    if (goPresent) expect(execFileSync('go', ['list', '-m'], { cwd: goRoot, encoding: 'utf8' }).trim()).toBe('go-plugin');
    const rust = await create(['1st', '--template', 'rust', '--yes', '--no-install', '--no-git']);
    expect(rust.code).toBe(0);
    const rustRoot = path.join(tmp.dir, '1st');
    expect(readFileSync(path.join(rustRoot, 'Cargo.toml'), 'utf8')).toMatch(/^name = "plugin_1st"$/m);
    expect(parseYaml(readFileSync(path.join(rustRoot, 'istio-wasm.yaml'), 'utf8'))).toMatchObject({ name: '1st' });
    if (cargoPresent) {
      const metadata = JSON.parse(execFileSync('cargo', ['metadata', '--no-deps', '--offline', '--format-version', '1'], { cwd: rustRoot, encoding: 'utf8' })) as { packages: Array<{ name: string }> };
      expect(metadata.packages.map((p) => p.name)).toEqual(['plugin_1st']);
    }
  });

  it('initialises git with a first commit holding every file', async () => {
    const r = await create(['with-git', '--yes', '--no-install'], { env: { EDITOR: 'vi' } });
    expect(r.code).toBe(0);
    const dir = path.join(tmp.dir, 'with-git');
    const { execFileSync } = await import('node:child_process');
    const log = execFileSync('git', ['log', '--format=%s'], { cwd: dir, encoding: 'utf8' });
    expect(log.trim()).toBe('Initial commit from create-istio-wasm');
    const tracked = execFileSync('git', ['ls-files'], { cwd: dir, encoding: 'utf8' }).trim().split('\n').sort();
    expect(tracked).toEqual(listFiles(dir).filter((f) => !f.startsWith('.git/')));
  });

  it('istio-wasm new is the same scaffolder', async () => {
    const r = await runCli(['new', 'via-new', '--yes', '--no-install', '--no-git', '--json'], { cwd: tmp.dir });
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).files).toContain('istio-wasm.yaml');
  });
});

describe('bad input', () => {
  it.each([
    [['Bad_Name', '--yes'], /not a valid plugin name|--name/],
    [['ok-dir', '--name', 'UPPER', '--yes'], /name from --name must consist of lower-case/],
    [['ok-dir', '--plugin-config', '{not json', '--yes'], /pluginConfig from --plugin-config is not valid JSON/],
    [['ok-dir', '--plugin-config', '[1,2]', '--yes'], /must be a JSON object/],
    [['ok-dir', '--plugin-config', '@missing.json', '--yes'], /cannot read/],
    [['ok-dir', '--template', 'nope', '--yes'], /unknown template "nope"/],
    [['ok-dir', '--image', 'Not A Ref', '--yes'], /image from --image/],
    [['ok-dir', '--selector', 'a=b', '--target-ref', 'Gateway/x', '--yes'], /selector or a targetRef, not both/],
    [['ok-dir', '--set', 'nothing=1', '--yes'], /declares no such variable/],
  ])('%j fails clearly and writes nothing', async (args, message) => {
    const r = await create([...args, '--no-install', '--no-git']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(message);
    expect(r.stderr.trim().split('\n').length).toBeLessThanOrEqual(3);
    expect(existsSync(path.join(tmp.dir, 'ok-dir'))).toBe(false);
    expect(existsSync(path.join(tmp.dir, 'Bad_Name'))).toBe(false);
  });

  it('refuses a non-empty directory and leaves it untouched', async () => {
    const dir = path.join(tmp.dir, 'busy');
    await mkdir(dir);
    await writeFile(path.join(dir, 'keep.txt'), 'mine');
    const r = await create(['busy', '--yes', '--no-install', '--no-git']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/not empty/);
    expect(r.stderr).toMatch(/--overwrite/);
    expect(readdirSync(dir)).toEqual(['keep.txt']);
  });

  it('--overwrite replaces only template files and keeps .git and the user\'s files', async () => {
    const dir = path.join(tmp.dir, 'over');
    await mkdir(path.join(dir, '.git'), { recursive: true });
    await writeFile(path.join(dir, '.git', 'HEAD'), 'ref: refs/heads/main\n');
    await writeFile(path.join(dir, 'notes.md'), 'mine');
    await writeFile(path.join(dir, 'Makefile'), 'old');
    const r = await create(['over', '--yes', '--no-install', '--no-git', '--overwrite']);
    expect(r.code).toBe(0);
    expect(readFileSync(path.join(dir, 'notes.md'), 'utf8')).toBe('mine');
    expect(readFileSync(path.join(dir, '.git', 'HEAD'), 'utf8')).toBe('ref: refs/heads/main\n');
    expect(readFileSync(path.join(dir, 'Makefile'), 'utf8')).toMatch(/\$\(ISTIO_WASM\) build/);
    expect(readdirSync(dir).filter((f) => f.includes('create-istio-wasm'))).toEqual([]);
  });
});
