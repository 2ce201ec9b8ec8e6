import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli, type RunOptions } from '../helpers/cli.js';
import { hasTool, installIstioCrds, run, startApiServer, type StartedApiServer } from '../helpers/apiserver.mjs';
import { unpackLayers } from '../integration/sealos-support.js';
import { makeTempDir, requireToolInCi } from '../helpers/tmp.js';

/**
 * `istio-wasm deploy` and `doctor` with the built CLI against a real Kubernetes API server (etcd +
 * kube-apiserver built from their Go modules, test/helpers/apiserver.ts) holding Istio 1.30's CRDs.
 * The tests of one describe share the server and run in order.
 */
const ready = hasTool('kubectl') && hasTool('openssl') && hasTool('go');
requireToolInCi('kubectl, openssl and go', ready);

describe.skipIf(!ready)('deploy and doctor against a real API server', () => {
  let server: StartedApiServer;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  let env: NodeJS.ProcessEnv;
  let count = 0;

  beforeAll(async () => {
    tmp = await makeTempDir('ciw-cluster-e2e-');
    server = await startApiServer({ istioCrds: false });
    // What installing Istio creates first; the CRDs come later (a test sees the cluster without them).
    const namespace = await server.kubectl(['create', 'namespace', 'istio-system']);
    expect(namespace.code, namespace.stderr).toBe(0);
    const home = path.join(tmp.dir, 'home');
    await mkdir(home, { recursive: true });
    // No credentials of this machine; kubectl finds the test cluster through KUBECONFIG.
    env = { HOME: home, KUBECONFIG: server.kubeconfig, REGISTRY_AUTH_FILE: path.join(home, 'auth.json'), DOCKER_CONFIG: path.join(home, '.docker'), XDG_CONFIG_HOME: path.join(home, '.config'), XDG_RUNTIME_DIR: '', REPO: '', IMG: '' };
  }, 600_000);
  afterAll(async () => {
    await server?.stop();
    await tmp?.cleanup();
  });

  const cli = (args: string[], options: RunOptions = {}) => runCli(args, { ...options, env: { ...env, ...options.env } });

  async function project(wasmPlugin: string[], options: { name?: string; image?: string; module?: Uint8Array } = {}): Promise<string> {
    const dir = path.join(tmp.dir, `project-${count++}`);
    await mkdir(path.join(dir, 'build'), { recursive: true });
    await writeFile(path.join(dir, 'build/plugin.wasm'), options.module ?? Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]));
    const config = [`name: ${options.name ?? 'cluster-demo'}`, 'language: assemblyscript', 'module: build/plugin.wasm', `image: ${options.image ?? 'ghcr.io/acme/cluster-demo:v1.0.0'}`, 'istio:', '  version: "1.30"', 'wasmPlugin:', ...wasmPlugin.map((l) => `  ${l}`), ''];
    await writeFile(path.join(dir, 'istio-wasm.yaml'), config.join('\n'));
    return dir;
  }
  const gatewayPlugin = ['namespace: istio-system', 'selector:', '  matchLabels:', '    istio: ingressgateway', 'phase: AUTHN', 'failStrategy: FAIL_OPEN', 'pluginConfig:', '  header: x-cluster-demo'];

  async function getJson(args: string[]): Promise<Record<string, any>> {
    const r = await server.kubectl(['get', ...args, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as Record<string, any>;
  }

  it('doctor: the cluster is reachable, and Istio\'s CRDs are not installed yet', async () => {
    const r = await cli(['doctor', '--json'], { cwd: tmp.dir });
    const report = JSON.parse(r.stdout) as { checks: Array<{ name: string; status: string; detail?: string; fix?: string }> };
    const byName = new Map(report.checks.map((c) => [c.name, c]));
    expect(byName.get('cluster')).toMatchObject({ status: 'ok', detail: `reachable at ${server.url}, Kubernetes v1.36.1` });
    expect(byName.get('WasmPlugin CRD')).toMatchObject({ status: 'missing', detail: 'not installed (no wasmplugins.extensions.istio.io)' });
    expect(byName.get('TrafficExtension CRD')?.status).toBe('missing');
  });

  it('deploy without the CRDs: the server\'s refusal, one line, and the hint that Istio is missing', async () => {
    const dir = await project(gatewayPlugin);
    expect((await cli(['manifest'], { cwd: dir })).code).toBe(0);
    const r = await cli(['deploy'], { cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no matches for kind "WasmPlugin"/);
    expect(r.stderr).toMatch(/is Istio installed\?/);
  });

  it('doctor: the CRDs once installed, from Istio 1.30 (schema), and 1.30.3 when labelled as the base chart labels them', async () => {
    await installIstioCrds(server);
    const byName = async () => new Map((JSON.parse((await cli(['doctor', '--json'], { cwd: tmp.dir })).stdout) as { checks: Array<{ name: string; status: string; detail?: string }> }).checks.map((c) => [c.name, c]));
    let checks = await byName();
    expect(checks.get('WasmPlugin CRD')).toMatchObject({ status: 'ok', detail: 'installed (extensions.istio.io/v1alpha1), from Istio 1.27 or newer (its schema)' });
    expect(checks.get('TrafficExtension CRD')).toMatchObject({ status: 'ok', detail: 'installed (extensions.istio.io/v1alpha1), from Istio 1.30 or newer (the kind exists)' });
    const labelled = await server.kubectl(['label', 'crd', 'wasmplugins.extensions.istio.io', 'app.kubernetes.io/version=1.30.3', 'helm.sh/chart=base-1.30.3']);
    expect(labelled.code, labelled.stderr).toBe(0);
    checks = await byName();
    expect(checks.get('WasmPlugin CRD')?.detail).toBe('installed (extensions.istio.io/v1alpha1), from Istio 1.30.3 (label app.kubernetes.io/version)');
    const human = await cli(['doctor'], { cwd: tmp.dir });
    expect(human.stdout).toMatch(/✔ WasmPlugin CRD: ok — installed \(extensions\.istio\.io\/v1alpha1\), from Istio 1\.30\.3/);
    // A project targeting a newer Istio than the cluster's CRDs hears of it.
    expect((await server.kubectl(['label', '--overwrite', 'crd', 'wasmplugins.extensions.istio.io', 'app.kubernetes.io/version=1.29.1'])).code).toBe(0);
    const dir = await project(gatewayPlugin);
    const inProject = JSON.parse((await cli(['doctor', '--json'], { cwd: dir })).stdout) as { checks: Array<{ name: string; status: string; detail?: string; fix?: string }> };
    expect(inProject.checks.find((c) => c.name === 'WasmPlugin CRD')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/from Istio 1\.29\.1 .*; the project targets Istio 1\.30$/), fix: expect.stringMatching(/set istio\.version/) });
    expect((await server.kubectl(['label', '--overwrite', 'crd', 'wasmplugins.extensions.istio.io', 'app.kubernetes.io/version=1.30.3'])).code).toBe(0);
  });

  it('a user whose RBAC stops short: doctor still finds the cluster, says it cannot read the CRDs, and deploy passes the server\'s refusal on', async () => {
    const kubeconfig = await server.kubeconfigFor('dev', ['team-a']);
    const doctor = JSON.parse((await cli(['doctor', '--json'], { cwd: tmp.dir, env: { KUBECONFIG: kubeconfig } })).stdout) as { checks: Array<{ name: string; status: string; detail?: string }> };
    const byName = new Map(doctor.checks.map((c) => [c.name, c]));
    expect(byName.get('cluster')).toMatchObject({ status: 'ok', detail: `reachable at ${server.url}, Kubernetes v1.36.1` });
    expect(byName.get('Istio CRDs')).toMatchObject({ status: 'warn', detail: expect.stringMatching(/^cannot read the cluster's CRDs: .*User "dev" cannot (get|list) resource "customresourcedefinitions"/) });
    const dir = await project(gatewayPlugin, { name: 'not-mine' });
    expect((await cli(['manifest'], { cwd: dir })).code).toBe(0);
    const r = await cli(['deploy'], { cwd: dir, env: { KUBECONFIG: kubeconfig } });
    expect(r.code).toBe(1);
    const line = r.stderr.split('\n').find((l) => l.includes('kubectl apply failed'));
    expect(line).toMatch(/wasmplugins\.extensions\.istio\.io "not-mine" is forbidden: User "dev" cannot (patch|get) resource "wasmplugins" in API group "extensions\.istio\.io" in the namespace "istio-system"$/);
    expect(r.stderr).toMatch(/RBAC does not let this user apply it/);
    expect((await server.kubectl(['get', 'wasmplugins.extensions.istio.io', 'not-mine', '-n', 'istio-system', '--ignore-not-found', '-o', 'name'])).stdout).toBe('');
  });

  it('deploys a WasmPlugin; the object in the cluster is the manifest', async () => {
    const dir = await project(gatewayPlugin);
    expect((await cli(['manifest'], { cwd: dir })).code).toBe(0);
    const r = await cli(['deploy'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/wasmplugin\.extensions\.istio\.io\/cluster-demo serverside-applied/);
    const manifest = parse(await readFile(path.join(dir, 'deploy/wasmplugin.yaml'), 'utf8'));
    const live = await getJson(['wasmplugins.extensions.istio.io', 'cluster-demo', '-n', 'istio-system']);
    expect(live.spec).toEqual(manifest.spec);
    expect(live.metadata.labels).toMatchObject(manifest.metadata.labels ?? {});
    // Raw from the API (kubectl >= 1.21 hides managedFields, and older ones lack --show-managed-fields).
    const raw = await server.kubectl(['get', '--raw', '/apis/extensions.istio.io/v1alpha1/namespaces/istio-system/wasmplugins/cluster-demo']);
    const managers = (JSON.parse(raw.stdout) as { metadata: { managedFields: Array<{ manager: string; operation: string }> } }).metadata.managedFields;
    expect(managers.map((f) => `${f.manager}/${f.operation}`)).toEqual(['istio-wasm/Apply']);
  });

  it('a second deploy changes nothing: same resourceVersion and generation', async () => {
    const dir = await project(gatewayPlugin);
    expect((await cli(['manifest'], { cwd: dir })).code).toBe(0);
    const before = await getJson(['wasmplugins.extensions.istio.io', 'cluster-demo', '-n', 'istio-system']);
    const r = await cli(['deploy'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const after = await getJson(['wasmplugins.extensions.istio.io', 'cluster-demo', '-n', 'istio-system']);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
    expect(after.metadata.generation).toBe(before.metadata.generation);
  });

  it('a field someone changed in the cluster since: the server names the conflict, --force-conflicts takes it back', async () => {
    const dir = await project(gatewayPlugin, { name: 'edited' });
    expect((await cli(['manifest'], { cwd: dir })).code).toBe(0);
    expect((await cli(['deploy'], { cwd: dir })).code).toBe(0);
    const edited = await server.kubectl(['-n', 'istio-system', 'patch', 'wasmplugins.extensions.istio.io', 'edited', '--type=merge', '-p', '{"spec":{"phase":"AUTHZ","priority":7}}']);
    expect(edited.code, edited.stderr).toBe(0);
    const refused = await cli(['deploy'], { cwd: dir });
    expect(refused.code).toBe(1);
    const line = refused.stderr.split('\n').find((l) => l.includes('kubectl apply failed'));
    expect(line).toMatch(/Apply failed with 1 conflict: conflict with "kubectl-patch".*: \.spec\.phase$/);
    expect(refused.stderr).toMatch(/istio-wasm deploy --force-conflicts/);
    expect((await getJson(['wasmplugins.extensions.istio.io', 'edited', '-n', 'istio-system'])).spec.phase).toBe('AUTHZ');
    const forced = await cli(['deploy', '--force-conflicts'], { cwd: dir });
    expect(forced.code, forced.stderr).toBe(0);
    const live = await getJson(['wasmplugins.extensions.istio.io', 'edited', '-n', 'istio-system']);
    expect(live.spec.phase).toBe('AUTHN');
    // A field the manifest does not set stays the editor's: server-side apply owns only what it applies.
    expect(live.spec.priority).toBe(7);
  });

  it('with the pull Secret: the Secret first, then the WasmPlugin naming it', async () => {
    const dir = await project(gatewayPlugin, { image: 'registry.example.com:5000/wasm/cluster-demo:v1' });
    const m = await cli(['manifest', '--creds', 'robot:cluster-pass'], { cwd: dir });
    expect(m.code, m.stderr).toBe(0);
    const r = await cli(['deploy'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout + r.stderr).not.toContain('cluster-pass');
    expect(r.stdout + r.stderr).not.toContain(Buffer.from('robot:cluster-pass').toString('base64'));
    const secret = await getJson(['secret', 'cluster-demo-pull', '-n', 'istio-system']);
    expect(secret.type).toBe('kubernetes.io/dockerconfigjson');
    const config = JSON.parse(Buffer.from(secret.data['.dockerconfigjson'], 'base64').toString()) as { auths: Record<string, { auth: string }> };
    expect(Buffer.from(config.auths['registry.example.com:5000']?.auth ?? '', 'base64').toString()).toBe('robot:cluster-pass');
    const live = await getJson(['wasmplugins.extensions.istio.io', 'cluster-demo', '-n', 'istio-system']);
    expect(live.spec.imagePullSecret).toBe('cluster-demo-pull');
    expect(live.spec.url).toBe('oci://registry.example.com:5000/wasm/cluster-demo:v1');
  });

  /** A classic istio-ingressgateway Deployment, as istioctl installs it (no pods here: no controllers run). */
  async function createGateway(): Promise<void> {
    const gateway = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'istio-ingressgateway', namespace: 'istio-system', labels: { istio: 'ingressgateway' } },
      spec: {
        selector: { matchLabels: { istio: 'ingressgateway' } },
        template: { metadata: { labels: { istio: 'ingressgateway' } }, spec: { containers: [{ name: 'istio-proxy', image: 'docker.io/istio/proxyv2:1.30.3' }] } },
      },
    };
    const created = await server.kubectl(['apply', '--server-side', '--field-manager=istio-install', '-f', '-'], JSON.stringify(gateway));
    expect(created.code, created.stderr).toBe(0);
  }

  it('switching kinds: a TrafficExtension with its pull Secret, a warning for the WasmPlugin left behind, and --prune removing it', async () => {
    const dir = await project(gatewayPlugin, { name: 'switcher', image: 'registry.example.com:5000/wasm/switcher:v2' });
    expect((await cli(['manifest'], { cwd: dir })).code).toBe(0);
    const first = await cli(['deploy'], { cwd: dir });
    expect(first.code, first.stderr).toBe(0);
    const exists = async (resource: string) => (await server.kubectl(['get', resource, 'switcher', '-n', 'istio-system', '--ignore-not-found', '-o', 'name'])).stdout.trim();
    expect(await exists('wasmplugins.extensions.istio.io')).toBe('wasmplugin.extensions.istio.io/switcher');

    const config = path.join(dir, 'istio-wasm.yaml');
    await writeFile(config, `kind: TrafficExtension\n${await readFile(config, 'utf8')}`);
    const m = await cli(['manifest', '--creds', 'robot:switch-pass'], { cwd: dir });
    expect(m.code, m.stderr).toBe(0);
    const second = await cli(['deploy'], { cwd: dir });
    expect(second.code, second.stderr).toBe(0);
    expect(second.stdout).toMatch(/trafficextension\.extensions\.istio\.io\/switcher serverside-applied/);
    expect(second.stderr).toMatch(/WasmPlugin switcher in istio-system .*runs twice/);
    const manifest = parse(await readFile(path.join(dir, 'deploy/trafficextension.yaml'), 'utf8'));
    const live = await getJson(['trafficextensions.extensions.istio.io', 'switcher', '-n', 'istio-system']);
    expect(live.spec).toEqual(manifest.spec);
    expect(live.spec.wasm.imagePullSecret).toBe('switcher-pull');
    expect((await getJson(['secret', 'switcher-pull', '-n', 'istio-system'])).type).toBe('kubernetes.io/dockerconfigjson');
    expect(await exists('wasmplugins.extensions.istio.io')).toBe('wasmplugin.extensions.istio.io/switcher');

    const before = await getJson(['trafficextensions.extensions.istio.io', 'switcher', '-n', 'istio-system']);
    const pruned = await cli(['deploy', '--prune'], { cwd: dir });
    expect(pruned.code, pruned.stderr).toBe(0);
    expect(pruned.stderr).toMatch(/pruned .*switcher/);
    expect(await exists('wasmplugins.extensions.istio.io')).toBe('');
    const after = await getJson(['trafficextensions.extensions.istio.io', 'switcher', '-n', 'istio-system']);
    expect(after.metadata.resourceVersion).toBe(before.metadata.resourceVersion);
  });

  it('--delivery configmap: the module ConfigMap applied, the istio-ingressgateway Deployment patched and read back', async () => {
    await createGateway();
    const module = Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), Buffer.alloc(200_000, 9)]);
    const dir = await project(gatewayPlugin, { module });
    expect((await cli(['manifest', '--delivery', 'configmap'], { cwd: dir })).code).toBe(0);
    const r = await cli(['deploy'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const cm = await getJson(['configmap', 'cluster-demo-wasm', '-n', 'istio-system']);
    const [key] = Object.keys(cm.binaryData);
    expect(Buffer.from(cm.binaryData[key as string], 'base64').equals(module)).toBe(true);
    const live = await getJson(['wasmplugins.extensions.istio.io', 'cluster-demo', '-n', 'istio-system']);
    expect(live.spec.url).toBe(`file:///var/local/lib/wasm-plugins/cluster-demo/${key}`);
    const patched = await server.kubectl(['-n', 'istio-system', 'patch', 'deployment', 'istio-ingressgateway', '--patch-file', path.join(dir, 'deploy/gateway-patch-classic.yaml')]);
    expect(patched.code, patched.stderr).toBe(0);
    const deployment = await getJson(['deployment', 'istio-ingressgateway', '-n', 'istio-system']);
    const spec = deployment.spec.template.spec;
    expect(spec.volumes).toEqual([{ name: 'wasm-cluster-demo', configMap: { name: 'cluster-demo-wasm', defaultMode: 420 } }]);
    expect(spec.containers[0].volumeMounts).toEqual([{ name: 'wasm-cluster-demo', mountPath: '/var/local/lib/wasm-plugins/cluster-demo', readOnly: true }]);
    expect(spec.containers[0].image).toBe('docker.io/istio/proxyv2:1.30.3');
  });

  it('the sealos application image: manifests/ applied with kubectl apply -f and the gateway patched, as its Kubefile does', async () => {
    await createGateway();
    const module = Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), Buffer.alloc(30_000, 5)]);
    // sealos.hub:5000 is known to use htpasswd, which Istio 1.30's agent refuses: the ConfigMap delivery.
    const dir = await project(gatewayPlugin, { name: 'sealos-demo', image: 'sealos.hub:5000/wasm/sealos-demo:v1', module });
    const layout = path.join(dir, 'cluster-image');
    const built = await cli(['sealos', 'build', '--output', layout, '--json'], { cwd: dir });
    expect(built.code, built.stderr).toBe(0);
    expect(JSON.parse(built.stdout)).toMatchObject({ delivery: 'configmap' });
    // Unpack the image as sealos does, and run its CMD there with the image's ENV expanded.
    const blob = (digest: string) => path.join(layout, 'blobs', ...digest.split(':'));
    const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string }> };
    const manifest = JSON.parse(await readFile(blob(index.manifests[0]!.digest), 'utf8')) as { config: { digest: string }; layers: Array<{ digest: string }> };
    const config = JSON.parse(await readFile(blob(manifest.config.digest), 'utf8')) as { config: { Env: string[]; Cmd: string[] } };
    const rootfs = path.join(dir, 'rootfs');
    await unpackLayers(manifest.layers.map((l) => blob(l.digest)), rootfs);
    const vars = Object.fromEntries(config.config.Env.map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
    expect(vars).toMatchObject({ GATEWAY_DEPLOYMENT: 'istio-ingressgateway', GATEWAY_PATCH: 'classic' });
    expect(config.config.Cmd[0]).toBe('kubectl apply -f manifests/');
    for (const command of config.config.Cmd) {
      const expanded = command.replace(/\$\((\w+)\)/g, (_, name: string) => vars[name] ?? '');
      const ran = await run('sh', ['-c', expanded], { cwd: rootfs, env: { ...process.env, KUBECONFIG: server.kubeconfig } });
      expect(ran.code, `${expanded}\n${ran.stderr}`).toBe(0);
    }
    const live = await getJson(['wasmplugins.extensions.istio.io', 'sealos-demo', '-n', 'istio-system']);
    const shipped = parse(await readFile(path.join(rootfs, 'manifests/wasmplugin.yaml'), 'utf8'));
    expect(live.spec).toEqual(shipped.spec);
    const cm = await getJson(['configmap', 'sealos-demo-wasm', '-n', 'istio-system']);
    expect(Object.values(cm.binaryData as Record<string, string>).map((v) => Buffer.from(v, 'base64').equals(module))).toEqual([true]);
    const deployment = await getJson(['deployment', 'istio-ingressgateway', '-n', 'istio-system']);
    const spec = deployment.spec.template.spec;
    expect(spec.volumes).toContainEqual({ name: 'wasm-sealos-demo', configMap: { name: 'sealos-demo-wasm', defaultMode: 420 } });
    expect(spec.containers[0].volumeMounts).toContainEqual({ name: 'wasm-sealos-demo', mountPath: '/var/local/lib/wasm-plugins/sealos-demo', readOnly: true });
  });

  it('a document the API server refuses (a CEL rule of the CRD) reaches the user as the server\'s message, in one line', async () => {
    // Straight to the server with kubectl: Istio's one-of rule, which `validate` would have caught.
    const both = { apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: 'both', namespace: 'istio-system' }, spec: { url: 'oci://ghcr.io/acme/x:v1', selector: { matchLabels: { app: 'a' } }, targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' }] } };
    const direct = await server.kubectl(['apply', '--server-side', '-f', '-'], JSON.stringify(both));
    expect(direct.code).not.toBe(0);
    expect(direct.stderr).toMatch(/only one of targetRefs or selector can be set/);
    // A stricter cluster than Istio 1.30: a rule added to the CRD that our validation cannot know.
    const rule = [{ op: 'add', path: '/spec/versions/0/schema/openAPIV3Schema/properties/spec/x-kubernetes-validations/-', value: { rule: "!has(self.failStrategy) || self.failStrategy != 'FAIL_OPEN'", message: 'this cluster refuses FAIL_OPEN plugins' } }];
    const patched = await server.kubectl(['patch', 'crd', 'wasmplugins.extensions.istio.io', '--type=json', '-p', JSON.stringify(rule)]);
    expect(patched.code, patched.stderr).toBe(0);
    try {
      // A new object: an unchanged field of an existing one would be ratcheted (allowed) on update.
      const dir = await project(gatewayPlugin, { name: 'refused' });
      expect((await cli(['manifest'], { cwd: dir })).code).toBe(0);
      const r = await cli(['deploy'], { cwd: dir });
      expect(r.code).toBe(1);
      // kubectl's wording around it varies by version ("Error from server (Invalid): …" or the bare
      // status message); the server's part is the same.
      const errorLines = r.stderr.split('\n').filter((l) => l.includes('kubectl apply failed'));
      expect(errorLines).toHaveLength(1);
      expect(errorLines[0]).toMatch(/^error: kubectl apply failed: .*WasmPlugin.*"refused" is invalid: spec: Invalid value: .*this cluster refuses FAIL_OPEN plugins$/);
    } finally {
      const undo = await server.kubectl(['patch', 'crd', 'wasmplugins.extensions.istio.io', '--type=json', '-p', JSON.stringify([{ op: 'remove', path: '/spec/versions/0/schema/openAPIV3Schema/properties/spec/x-kubernetes-validations/1' }])]);
      expect(undo.code, undo.stderr).toBe(0);
    }
  });
});
