import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
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

  it('refuses an unknown Istio version with exit 2', async () => {
    const r = await cli(['validate', path.join(fixtures, 'valid.yaml'), '--istio-version', '1.11']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/no WasmPlugin API/);
  });
});

describe('istio-wasm manifest', () => {
  it('writes deploy/wasmplugin.yaml from istio-wasm.yaml, and validate agrees', async () => {
    const dir = await makeProject();
    const r = await cli(['manifest'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const doc = parse(await readFile(path.join(dir, 'deploy/wasmplugin.yaml'), 'utf8'));
    expect(doc).toEqual({
      apiVersion: 'extensions.istio.io/v1alpha1',
      kind: 'WasmPlugin',
      metadata: { name: 'demo-plugin', namespace: 'istio-system', labels: { 'app.kubernetes.io/name': 'demo-plugin', 'app.kubernetes.io/managed-by': 'istio-wasm' } },
      spec: {
        selector: { matchLabels: { istio: 'ingressgateway' } },
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
