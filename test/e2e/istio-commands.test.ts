import { copyFile, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot, runCli, type RunOptions } from '../helpers/cli.js';
import { makeTempDir } from '../helpers/tmp.js';

/** validate / manifest / deploy through the built CLI, in temp projects with a hand-written istio-wasm.yaml. */
const fixtures = path.join(repoRoot, 'test/fixtures/manifests');
let tmp: { dir: string; cleanup: () => Promise<void> };
let isolatedEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  tmp = await makeTempDir('ciw-istio-e2e-');
  const home = path.join(tmp.dir, 'home');
  await mkdir(home, { recursive: true });
  // No credentials from this machine, no cluster: a kubeconfig naming a port nothing listens on.
  const kubeconfig = path.join(home, 'kubeconfig');
  await writeFile(
    kubeconfig,
    'apiVersion: v1\nkind: Config\nclusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]\ncontexts: [{name: none, context: {cluster: none, user: none}}]\ncurrent-context: none\nusers: [{name: none, user: {}}]\n',
  );
  isolatedEnv = {
    HOME: home,
    REGISTRY_AUTH_FILE: path.join(home, 'auth.json'),
    DOCKER_CONFIG: path.join(home, '.docker'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_RUNTIME_DIR: '',
    KUBECONFIG: kubeconfig,
    REPO: '',
    IMG: '',
  };
});
afterAll(async () => {
  await tmp.cleanup();
});

function cli(args: string[], options: RunOptions = {}) {
  return runCli(args, { ...options, env: { ...isolatedEnv, ...options.env } });
}

interface ProjectOptions {
  image?: string;
  version?: string;
  kind?: string;
  wasmPlugin?: string;
  module?: Uint8Array;
}

let projectCount = 0;
async function makeProject(options: ProjectOptions = {}): Promise<string> {
  const dir = path.join(tmp.dir, `project-${projectCount++}`);
  await mkdir(path.join(dir, 'build'), { recursive: true });
  await writeFile(path.join(dir, 'build/plugin.wasm'), options.module ?? Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
  await writeFile(
    path.join(dir, 'istio-wasm.yaml'),
    [
      'name: demo-plugin',
      'language: assemblyscript',
      'module: build/plugin.wasm',
      `image: ${options.image ?? 'ghcr.io/acme/demo-plugin:v0.1.0'}`,
      'istio:',
      `  version: "${options.version ?? '1.30'}"`,
      ...(options.kind ? [`kind: ${options.kind}`] : []),
      'wasmPlugin:',
      options.wasmPlugin ??
        [
          '  namespace: istio-system',
          '  selector:',
          '    matchLabels:',
          '      istio: ingressgateway',
          '  phase: AUTHN',
          '  priority: 10',
          '  failStrategy: FAIL_OPEN',
          '  pluginConfig:',
          '    header: x-demo',
          '  vmConfig:',
          '    env:',
          '      - name: MODE',
          '        value: strict',
          '  match:',
          '    - mode: SERVER',
          '      ports:',
          '        - number: 8080',
        ].join('\n'),
      '',
    ].join('\n'),
  );
  return dir;
}

describe('istio-wasm validate', () => {
  it('passes a valid file, skips other kinds, exit 0', async () => {
    const r = await cli(['validate', path.join(fixtures, 'valid.yaml'), '--json']);
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.files[0].documents).toEqual([{ kind: 'WasmPlugin', name: 'auth', valid: true, errors: [], warnings: [] }]);
    expect(out.files[0].skipped).toEqual([{ kind: 'Service', name: 'unrelated' }]);
  });

  it('reports every error with its field path, exit 1', async () => {
    const r = await cli(['validate', path.join(fixtures, 'invalid.yaml'), '--json', '--istio-version', '1.26']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout).files[0].documents[0];
    expect(doc.valid).toBe(false);
    const paths = doc.errors.map((e: { path: string }) => e.path);
    expect(paths).toEqual([
      'spec.url',
      'spec.sha256',
      'spec.failStrategy',
      'spec.vmConfig.env[1].name',
      'spec.vmConfig.env[2].value',
      'spec.match[0].ports[0].number',
    ]);
    expect(doc.errors[0].message).toMatch(/scheme "localhost"/);
    expect(doc.errors[3].message).toMatch(/duplicate env name "MODE"/);
    expect(doc.warnings.map((w: { path: string }) => w.path)).toContain('spec.pluginConfig.password');
  });

  it('human output names file, plugin and paths', async () => {
    const r = await cli(['validate', path.join(fixtures, 'invalid.yaml')]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/invalid\.yaml: WasmPlugin broken-plugin: invalid for Istio 1\.30/);
    expect(r.stdout).toMatch(/error {3}spec\.vmConfig\.env\[1\]\.name: duplicate env name/);
  });

  it('checks the Istio version boundary from the command line', async () => {
    const file = path.join(fixtures, 'gateway-api.yaml');
    expect((await cli(['validate', file, '--istio-version', '1.22'])).code).toBe(0);
    const old = await cli(['validate', file, '--istio-version', '1.21', '--json']);
    expect(old.code).toBe(1);
    expect(JSON.parse(old.stdout).files[0].documents[0].errors[0]).toEqual({
      path: 'spec.targetRefs',
      message: 'needs Istio 1.22 or newer (target is 1.21); remove it or target a newer Istio',
    });
  });

  it('exit 2 for unparseable or missing files, while still reporting the others', async () => {
    const r = await cli(['validate', path.join(fixtures, 'valid.yaml'), path.join(fixtures, 'unparseable.yaml'), 'missing.yaml', '--json']);
    expect(r.code).toBe(2);
    const files = JSON.parse(r.stdout).files;
    expect(files[0].documents[0].valid).toBe(true);
    expect(files[1].error).toMatch(/not valid YAML/);
    expect(files[2].error).toBe('no such file');
  });

  it('checks TrafficExtensions too: wasm and lua, paths under spec.wasm, each document says its kind', async () => {
    const r = await cli(['validate', path.join(fixtures, 'trafficextension.yaml'), path.join(fixtures, 'valid.yaml'), '--json', '--istio-version', '1.30']);
    expect(r.code).toBe(1);
    const files = JSON.parse(r.stdout).files;
    const docs = files[0].documents;
    expect(docs.map((d: { kind: string; name: string; valid: boolean }) => [d.kind, d.name, d.valid])).toEqual([
      ['TrafficExtension', 'auth', true],
      ['TrafficExtension', 'broken', false],
      ['TrafficExtension', 'add-header', true],
    ]);
    expect(docs[1].errors.map((e: { path: string }) => e.path)).toEqual(['spec.phase', 'spec.wasm.vmConfig.env[1].value']);
    expect(docs[1].errors[1].message).toMatch(/value may only be set when valueFrom is INLINE/);
    expect(files[1].documents[0]).toMatchObject({ kind: 'WasmPlugin', valid: true });
    const human = await cli(['validate', path.join(fixtures, 'trafficextension.yaml')]);
    expect(human.stdout).toMatch(/TrafficExtension broken: invalid for Istio 1\.30 \(2 errors\)/);
    expect(human.stdout).toMatch(/error {3}spec\.wasm\.vmConfig\.env\[1\]\.value: /);
  });

  it('a TrafficExtension for Istio before 1.30: the kind does not exist there', async () => {
    const r = await cli(['validate', path.join(fixtures, 'trafficextension.yaml'), '--istio-version', '1.29', '--json']);
    expect(r.code).toBe(1);
    const doc = JSON.parse(r.stdout).files[0].documents[0];
    expect(doc.errors).toHaveLength(1);
    expect(doc.errors[0].path).toBe('kind');
    expect(doc.errors[0].message).toMatch(/TrafficExtension does not exist in Istio 1\.29: it arrived in Istio 1\.30/);
  });

  it('refuses an unknown Istio version with exit 2', async () => {
    const r = await cli(['validate', path.join(fixtures, 'valid.yaml'), '--istio-version', '1.11']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no WasmPlugin API/);
  });
});

/** What manifest writes as metadata for the projects of makeProject, either kind. */
const demoMetadata = { name: 'demo-plugin', namespace: 'istio-system', labels: { 'app.kubernetes.io/name': 'demo-plugin', 'app.kubernetes.io/managed-by': 'istio-wasm' } };
const demoSelector = { matchLabels: { istio: 'ingressgateway' } };

describe('istio-wasm manifest', () => {
  it('writes deploy/wasmplugin.yaml from istio-wasm.yaml, and validate agrees', async () => {
    const dir = await makeProject();
    const r = await cli(['manifest'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const doc = parse(await readFile(path.join(dir, 'deploy/wasmplugin.yaml'), 'utf8'));
    expect(doc).toEqual({
      apiVersion: 'extensions.istio.io/v1alpha1',
      kind: 'WasmPlugin',
      metadata: demoMetadata,
      spec: {
        selector: demoSelector,
        url: 'oci://ghcr.io/acme/demo-plugin:v0.1.0',
        imagePullPolicy: 'IfNotPresent',
        phase: 'AUTHN',
        priority: 10,
        failStrategy: 'FAIL_OPEN',
        pluginConfig: { header: 'x-demo' },
        vmConfig: { env: [{ name: 'MODE', value: 'strict' }] },
        match: [{ mode: 'SERVER', ports: [{ number: 8080 }] }],
      },
    });
    const v = await cli(['validate', 'deploy/wasmplugin.yaml'], { cwd: dir });
    expect(v.code).toBe(0);
    expect(v.stdout).toMatch(/WasmPlugin demo-plugin: valid for Istio 1\.30/);
    expect(await stat(path.join(dir, 'deploy/secret.yaml')).catch(() => undefined)).toBeUndefined();
  });

  it('leaves out fields the target version lacks, and says so', async () => {
    const dir = await makeProject();
    const r = await cli(['manifest', '--istio-version', '1.15', '--output', '-'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const spec = parse(r.stdout).spec;
    expect(spec.failStrategy).toBeUndefined();
    expect(spec.match).toBeUndefined();
    expect(spec.vmConfig).toBeDefined();
    expect(r.stderr).toMatch(/left out failStrategy: Istio 1\.15 has no such field \(since 1\.19\)/);
    expect(r.stderr).toMatch(/left out match/);
    expect((await stat(path.join(dir, 'deploy/wasmplugin.yaml')).catch(() => undefined))).toBeUndefined();
  });

  it('refuses targetRefs on an Istio without them rather than widening the plugin to the whole namespace', async () => {
    const dir = await makeProject({
      version: '1.19',
      wasmPlugin: '  namespace: default\n  targetRefs:\n    - group: gateway.networking.k8s.io\n      kind: Gateway\n      name: gw',
    });
    const r = await cli(['manifest'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/targetRef arrived in 1\.20/);
  });

  it('never leaves a mutable tag with IfNotPresent silently', async () => {
    const dir = await makeProject({ image: 'ghcr.io/acme/demo-plugin:latest' });
    const r = await cli(['manifest', '--output', '-'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(parse(r.stdout).spec.imagePullPolicy).toBe('Always');
    expect(r.stderr).toMatch(/imagePullPolicy Always: the tag "latest" moves/);
  });

  it('writes the pull Secret to deploy/secret.yaml with mode 0600, never to stdout', async () => {
    const dir = await makeProject({ image: 'registry.example.com:5000/wasm/demo-plugin:v1' });
    const r = await cli(['manifest', '--creds', 'robot:s3cr3t-pass'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('s3cr3t-pass');
    const file = path.join(dir, 'deploy/secret.yaml');
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    const secret = parse(await readFile(file, 'utf8'));
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    expect(secret.metadata).toMatchObject({ name: 'demo-plugin-pull', namespace: 'istio-system' });
    const config = JSON.parse(Buffer.from(secret.data['.dockerconfigjson'], 'base64').toString());
    expect(Object.keys(config.auths)).toEqual(['registry.example.com:5000']);
    expect(Buffer.from(config.auths['registry.example.com:5000'].auth, 'base64').toString()).toBe('robot:s3cr3t-pass');
    const plugin = parse(await readFile(path.join(dir, 'deploy/wasmplugin.yaml'), 'utf8'));
    expect(plugin.spec.imagePullSecret).toBe('demo-plugin-pull');
    expect(JSON.stringify(plugin.spec.pluginConfig)).not.toContain('s3cr3t');
    const shown = await cli(['manifest', '--creds', 'robot:s3cr3t-pass', '--show-secret'], { cwd: dir });
    expect(shown.stdout).toContain('kubernetes.io/dockerconfigjson');
  });

  it('delivers the module as a ConfigMap with file:// url and gateway patches', async () => {
    const module = Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), Buffer.alloc(5000, 7)]);
    const dir = await makeProject({ module });
    const r = await cli(['manifest', '--delivery', 'configmap'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const cm = parse(await readFile(path.join(dir, 'deploy/wasm-configmap.yaml'), 'utf8'));
    const [key] = Object.keys(cm.binaryData);
    expect(Buffer.from(cm.binaryData[key as string], 'base64').equals(module)).toBe(true);
    const plugin = parse(await readFile(path.join(dir, 'deploy/wasmplugin.yaml'), 'utf8'));
    expect(plugin.spec.url).toBe(`file:///var/local/lib/wasm-plugins/demo-plugin/${key}`);
    expect(plugin.spec.sha256).toBeUndefined();
    const injected = parse(await readFile(path.join(dir, 'deploy/gateway-patch-injected.yaml'), 'utf8'));
    const annotations = injected.spec.template.metadata.annotations;
    expect(JSON.parse(annotations['sidecar.istio.io/userVolume'])).toEqual([{ name: 'wasm-demo-plugin', configMap: { name: 'demo-plugin-wasm' } }]);
    expect(JSON.parse(annotations['sidecar.istio.io/userVolumeMount'])).toEqual([{ name: 'wasm-demo-plugin', mountPath: '/var/local/lib/wasm-plugins/demo-plugin', readOnly: true }]);
  });

  it('--kind TrafficExtension: the same istio-wasm.yaml, module fields under spec.wasm, and validate agrees', async () => {
    const dir = await makeProject();
    const r = await cli(['manifest', '--kind', 'TrafficExtension', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out).toMatchObject({ kind: 'TrafficExtension', file: path.join(dir, 'deploy/trafficextension.yaml'), url: 'oci://ghcr.io/acme/demo-plugin:v0.1.0' });
    const doc = parse(await readFile(path.join(dir, 'deploy/trafficextension.yaml'), 'utf8'));
    expect(doc).toEqual({
      apiVersion: 'extensions.istio.io/v1alpha1',
      kind: 'TrafficExtension',
      metadata: demoMetadata,
      spec: {
        selector: demoSelector,
        phase: 'AUTHN',
        priority: 10,
        match: [{ mode: 'SERVER', ports: [{ number: 8080 }] }],
        wasm: {
          url: 'oci://ghcr.io/acme/demo-plugin:v0.1.0',
          imagePullPolicy: 'IfNotPresent',
          failStrategy: 'FAIL_OPEN',
          pluginConfig: { header: 'x-demo' },
          vmConfig: { env: [{ name: 'MODE', value: 'strict' }] },
        },
      },
    });
    expect(await stat(path.join(dir, 'deploy/wasmplugin.yaml')).catch(() => undefined)).toBeUndefined();
    const v = await cli(['validate', 'deploy/trafficextension.yaml'], { cwd: dir });
    expect(v.code, v.stdout).toBe(0);
    expect(v.stdout).toMatch(/TrafficExtension demo-plugin: valid for Istio 1\.30/);
  });

  it('maps UNSPECIFIED_PHASE and makes a targetRef list; kind in istio-wasm.yaml picks the default', async () => {
    const dir = await makeProject({
      kind: 'TrafficExtension',
      wasmPlugin: '  namespace: default\n  phase: UNSPECIFIED_PHASE\n  targetRefs:\n    - group: gateway.networking.k8s.io\n      kind: Gateway\n      name: gw',
    });
    const r = await cli(['manifest'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/TrafficExtension demo-plugin for Istio 1\.30 → deploy\/trafficextension\.yaml/);
    expect(r.stderr).not.toMatch(/TrafficExtension, which supersedes/);
    const spec = parse(await readFile(path.join(dir, 'deploy/trafficextension.yaml'), 'utf8')).spec;
    expect(spec.phase).toBe('UNSPECIFIED');
    expect(spec.targetRefs).toEqual([{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }]);
    const wp = await cli(['manifest', '--kind', 'wasmplugin', '--output', '-'], { cwd: dir });
    expect(wp.code, wp.stderr).toBe(0);
    expect(parse(wp.stdout).spec.phase).toBe('UNSPECIFIED_PHASE');
  });

  it('--kind TrafficExtension below 1.30 is an error naming 1.30, and nothing is written', async () => {
    const dir = await makeProject({ version: '1.29' });
    const r = await cli(['manifest', '--kind', 'TrafficExtension'], { cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TrafficExtension does not exist in Istio 1\.29: it arrived in Istio 1\.30/);
    expect(await stat(path.join(dir, 'deploy')).catch(() => undefined)).toBeUndefined();
    const bad = await cli(['manifest', '--kind', 'EnvoyFilter'], { cwd: dir });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--kind must be WasmPlugin or TrafficExtension/);
  });

  it('says once that TrafficExtension is available on 1.30+, never below', async () => {
    const dir = await makeProject();
    const first = await cli(['manifest'], { cwd: dir });
    expect(first.stderr).toMatch(/Istio 1\.30 has TrafficExtension, which supersedes WasmPlugin/);
    const second = await cli(['manifest'], { cwd: dir });
    expect(second.code).toBe(0);
    expect(second.stderr).not.toMatch(/has TrafficExtension/);
    const old = await makeProject({ version: '1.29' });
    expect((await cli(['manifest'], { cwd: old })).stderr).not.toMatch(/TrafficExtension/);
  });

  it('a TrafficExtension gets the pull Secret and the ConfigMap delivery as a WasmPlugin does', async () => {
    const dir = await makeProject({ image: 'registry.example.com:5000/wasm/demo-plugin:v1', kind: 'TrafficExtension' });
    const r = await cli(['manifest', '--creds', 'robot:s3cr3t-pass'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(parse(await readFile(path.join(dir, 'deploy/trafficextension.yaml'), 'utf8')).spec.wasm.imagePullSecret).toBe('demo-plugin-pull');
    expect((await stat(path.join(dir, 'deploy/secret.yaml'))).mode & 0o777).toBe(0o600);
    const cm = await cli(['manifest', '--delivery', 'configmap'], { cwd: dir });
    expect(cm.code, cm.stderr).toBe(0);
    const wasm = parse(await readFile(path.join(dir, 'deploy/trafficextension.yaml'), 'utf8')).spec.wasm;
    expect(wasm.url).toMatch(/^file:\/\/\/var\/local\/lib\/wasm-plugins\/demo-plugin\/plugin-[0-9a-f]{12}\.wasm$/);
    expect(wasm.imagePullSecret).toBeUndefined();
  });

  it('refuses a module too large for a ConfigMap', async () => {
    const module = Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), Buffer.alloc(1024 * 1024)]);
    const dir = await makeProject({ module });
    const r = await cli(['manifest', '--delivery', 'configmap'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/a ConfigMap holds at most 1048576 bytes/);
    expect(await stat(path.join(dir, 'deploy/wasm-configmap.yaml')).catch(() => undefined)).toBeUndefined();
  });
});

describe('istio-wasm deploy', () => {
  it('--dry-run prints exactly what would be applied, Secret data redacted', async () => {
    const dir = await makeProject({ image: 'registry.example.com:5000/wasm/demo-plugin:v1' });
    expect((await cli(['manifest', '--creds', 'robot:s3cr3t-pass'], { cwd: dir })).code).toBe(0);
    const r = await cli(['deploy', '--dry-run'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).not.toContain(Buffer.from('robot:s3cr3t-pass').toString('base64'));
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(['Secret/demo-plugin-pull', 'WasmPlugin/demo-plugin']);
    const plugin = parse(await readFile(path.join(dir, 'deploy/wasmplugin.yaml'), 'utf8'));
    expect(docs[1]).toEqual(plugin);
    expect(r.stderr).toMatch(/kubectl apply --server-side --field-manager=istio-wasm -f -/);
    const full = await cli(['deploy', '--dry-run', '--show-secrets'], { cwd: dir });
    const secret = parseAllDocuments(full.stdout)[0]?.toJS();
    expect(secret).toEqual(parse(await readFile(path.join(dir, 'deploy/secret.yaml'), 'utf8')));
  });

  it('validates again and refuses an edited, invalid manifest', async () => {
    const dir = await makeProject();
    expect((await cli(['manifest'], { cwd: dir })).code).toBe(0);
    const file = path.join(dir, 'deploy/wasmplugin.yaml');
    await writeFile(file, (await readFile(file, 'utf8')).replace('number: 8080', 'number: 0'));
    const r = await cli(['deploy', '--dry-run'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/spec\.match\[0\]\.ports\[0\]\.number: 0 is out of range/);
    expect(r.stdout).toBe('');
  });

  it('--dry-run applies the kind of the project: a TrafficExtension with its Secret', async () => {
    const dir = await makeProject({ image: 'registry.example.com:5000/wasm/demo-plugin:v1', kind: 'TrafficExtension' });
    expect((await cli(['manifest', '--creds', 'robot:s3cr3t-pass'], { cwd: dir })).code).toBe(0);
    const r = await cli(['deploy', '--dry-run'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const docs = parseAllDocuments(r.stdout).map((d) => d.toJS());
    expect(docs.map((d) => `${d.kind}/${d.metadata.name}`)).toEqual(['Secret/demo-plugin-pull', 'TrafficExtension/demo-plugin']);
    expect(docs[1]).toEqual(parse(await readFile(path.join(dir, 'deploy/trafficextension.yaml'), 'utf8')));
    expect(r.stderr).not.toMatch(/runs twice/);
  });

  it('switching kinds: warns that the old WasmPlugin remains, --prune deletes it after the apply', async () => {
    const dir = await makeProject();
    expect((await cli(['manifest'], { cwd: dir })).code).toBe(0);
    const config = path.join(dir, 'istio-wasm.yaml');
    await writeFile(config, `${await readFile(config, 'utf8')}kind: TrafficExtension\n`);
    expect((await cli(['manifest'], { cwd: dir })).code).toBe(0);
    const r = await cli(['deploy', '--dry-run'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/the WasmPlugin demo-plugin in istio-system is still in deploy\/wasmplugin\.yaml, so it may have been applied before, and is not removed by applying a TrafficExtension: a plugin applied as both kinds runs twice\. Deploy with --prune/);
    expect(parseAllDocuments(r.stdout).map((d) => d.toJS().kind)).toEqual(['TrafficExtension']);
    const pruned = await cli(['deploy', '--dry-run', '--prune'], { cwd: dir });
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stderr).not.toMatch(/runs twice/);
    expect(pruned.stderr).toMatch(/then, with --prune: kubectl delete wasmplugins\.extensions\.istio\.io demo-plugin -n istio-system --ignore-not-found/);
  });

  it('without a cluster: a clear error naming kubectl cluster-info, nothing applied', async () => {
    const dir = await makeProject();
    expect((await cli(['manifest'], { cwd: dir })).code).toBe(0);
    const r = await cli(['deploy'], { cwd: dir });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no Kubernetes cluster reachable/);
    expect(r.stderr).toMatch(/kubectl cluster-info/);
    expect(r.stderr).toMatch(/nothing was applied/);
  });
});

describe('istio-wasm migrate', () => {
  it('round-trips the project\'s own WasmPlugin: the same TrafficExtension manifest --kind renders, then --write switches the project', async () => {
    const dir = await makeProject();
    expect((await cli(['manifest'], { cwd: dir })).code).toBe(0);
    const rendered = await cli(['manifest', '--kind', 'TrafficExtension', '--output', '-'], { cwd: dir });
    expect(rendered.code, rendered.stderr).toBe(0);
    const printed = await cli(['migrate'], { cwd: dir });
    expect(printed.code, printed.stderr).toBe(0);
    expect(parse(printed.stdout)).toEqual(parse(rendered.stdout));
    expect(await stat(path.join(dir, 'deploy/trafficextension.yaml')).catch(() => undefined)).toBeUndefined();

    const written = await cli(['migrate', '--write'], { cwd: dir });
    expect(written.code, written.stderr).toBe(0);
    expect(parse(await readFile(path.join(dir, 'deploy/trafficextension.yaml'), 'utf8'))).toEqual(parse(rendered.stdout));
    const config = await readFile(path.join(dir, 'istio-wasm.yaml'), 'utf8');
    expect(parse(config).kind).toBe('TrafficExtension');
    const v = await cli(['validate', 'deploy/trafficextension.yaml'], { cwd: dir });
    expect(v.code, v.stdout).toBe(0);
    // The project is now a TrafficExtension project; its old WasmPlugin is named for pruning.
    const deploy = await cli(['deploy', '--dry-run'], { cwd: dir });
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(parseAllDocuments(deploy.stdout).map((d) => d.toJS().kind)).toEqual(['TrafficExtension']);
    expect(deploy.stderr).toMatch(/WasmPlugin demo-plugin in istio-system is still in deploy\/wasmplugin\.yaml/);
  });

  it('converts files: targetRef becomes targetRefs, UNSPECIFIED_PHASE becomes UNSPECIFIED, server metadata dropped, other kinds kept', async () => {
    const file = path.join(tmp.dir, 'migrate-copy.yaml');
    await copyFile(path.join(fixtures, 'migrate.yaml'), file);
    const r = await cli(['migrate', file, '--json', '--istio-version', '1.30']);
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const te = out.files[0].documents[0].trafficExtension;
    expect(te).toEqual({
      apiVersion: 'extensions.istio.io/v1alpha1',
      kind: 'TrafficExtension',
      metadata: { name: 'gw-plugin', namespace: 'default', annotations: { team: 'edge' } },
      spec: {
        targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'my-gateway' }],
        phase: 'UNSPECIFIED',
        priority: 5,
        wasm: { url: 'oci://ghcr.io/acme/auth:v1.2.0', sha256: 'a'.repeat(64), type: 'HTTP', vmConfig: { env: [{ name: 'POD_NAME', valueFrom: 'HOST' }] } },
      },
    });
    expect(out.files[0].documents[0].notes.join('\n')).toMatch(/the singular targetRef became targetRefs/);
    expect(out.written).toEqual([]);
    const w = await cli(['migrate', file, '--write', '--istio-version', '1.30']);
    expect(w.code, w.stderr).toBe(0);
    const docs = parseAllDocuments(await readFile(file, 'utf8')).map((d) => d.toJS());
    expect(docs.map((d) => d.kind)).toEqual(['TrafficExtension', 'Service']);
    expect(docs[0]).toEqual(te);
    expect((await cli(['validate', file, '--istio-version', '1.30'])).code).toBe(0);
  });

  it('refuses what it cannot convert faithfully, naming the field; nothing is written', async () => {
    const file = path.join(tmp.dir, 'migrate-refused-copy.yaml');
    await copyFile(path.join(fixtures, 'migrate-refused.yaml'), file);
    const before = await readFile(file, 'utf8');
    const r = await cli(['migrate', file, '--write', '--istio-version', '1.30']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/WasmPlugin dry: refused: metadata\.annotations\["istio\.io\/dry-run"\]: the WasmPlugin is not valid for Istio 1\.30/);
    expect(r.stderr).toMatch(/nothing written/);
    expect(await readFile(file, 'utf8')).toBe(before);
  });

  it('below Istio 1.30 there is nothing to migrate to', async () => {
    const r = await cli(['migrate', path.join(fixtures, 'valid.yaml'), '--istio-version', '1.29']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/TrafficExtension does not exist in Istio 1\.29: it arrived in Istio 1\.30/);
  });
});
