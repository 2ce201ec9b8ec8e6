import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { runCli, type RunOptions } from '../helpers/cli.js';
import { hasRegistry, hasTool, startRegistry, type StartedRegistry } from '../helpers/registry.js';
import { makeTempDir, requireToolInCi } from '../helpers/tmp.js';

/**
 * `manifest --pin` against a real local registry after a real push: the digest equals what skopeo
 * reports, the pull Secret decodes right with mode 0600, the Basic-challenge registry trap for an
 * affected and an unaffected Istio version, and the ConfigMap delivery's objects.
 */
const tools = { registry: hasRegistry(), skopeo: hasTool('skopeo'), htpasswd: hasTool('htpasswd'), kubectl: hasTool('kubectl') };
requireToolInCi('docker-registry', tools.registry);
requireToolInCi('skopeo', tools.skopeo);
requireToolInCi('htpasswd', tools.htpasswd);
requireToolInCi('kubectl', tools.kubectl);
const ready = tools.registry && tools.skopeo && tools.htpasswd;

const user = 'pinner';
const pass = 'pin-pass-0x';
const module = Buffer.concat([Buffer.from([0, 0x61, 0x73, 0x6d, 1, 0, 0, 0]), Buffer.from('istio-wasm pin test module')]);

let tmp: { dir: string; cleanup: () => Promise<void> };
let env: NodeJS.ProcessEnv;
let open: StartedRegistry | undefined;
let basic: StartedRegistry | undefined;

beforeAll(async () => {
  tmp = await makeTempDir('ciw-istio-pin-');
  const home = path.join(tmp.dir, 'home');
  await mkdir(home, { recursive: true });
  env = {
    HOME: home,
    REGISTRY_AUTH_FILE: path.join(home, 'auth.json'),
    DOCKER_CONFIG: path.join(home, '.docker'),
    XDG_CONFIG_HOME: path.join(home, '.config'),
    XDG_RUNTIME_DIR: '',
    REPO: '',
    IMG: '',
  };
  if (!ready) return;
  [open, basic] = await Promise.all([startRegistry(), startRegistry({ htpasswd: { user, pass } })]);
});

afterAll(async () => {
  await Promise.all([open?.stop(), basic?.stop()]);
  await tmp?.cleanup();
});

function cli(args: string[], options: RunOptions = {}) {
  return runCli(args, { ...options, env: { ...env, ...options.env } });
}

let count = 0;
async function project(image: string, version = '1.30'): Promise<string> {
  const dir = path.join(tmp.dir, `project-${count++}`);
  await mkdir(path.join(dir, 'build'), { recursive: true });
  await writeFile(path.join(dir, 'build/plugin.wasm'), module);
  await writeFile(
    path.join(dir, 'istio-wasm.yaml'),
    `name: pin-demo\nlanguage: assemblyscript\nmodule: build/plugin.wasm\nimage: ${image}\nistio:\n  version: "${version}"\nwasmPlugin:\n  namespace: istio-system\n  selector:\n    matchLabels:\n      istio: ingressgateway\n  phase: AUTHN\n`,
  );
  return dir;
}

function skopeoDigest(ref: string, creds?: string): string {
  const args = ['inspect', '--raw', '--tls-verify=false', ...(creds ? ['--creds', creds] : []), `docker://${ref}`];
  const done = spawnSync('skopeo', args, { env: { ...process.env, ...env } });
  if (done.status !== 0) throw new Error(`skopeo failed: ${done.stderr.toString()}`);
  return createHash('sha256').update(done.stdout).digest('hex');
}

describe.skipIf(!ready)('manifest --pin against a real registry', () => {
  it('pins sha256 to the manifest digest skopeo sees, after a real push', async () => {
    const image = `${open?.host}/wasm/pin-demo:v0.1.0`;
    const dir = await project(image);
    const pushed = await cli(['push', '--json'], { cwd: dir });
    expect(pushed.code, pushed.stderr).toBe(0);
    const r = await cli(['manifest', '--pin', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const expected = skopeoDigest(image);
    expect(out.sha256).toBe(expected);
    expect(out.pin).toMatchObject({ digest: `sha256:${expected}`, source: 'registry', challenge: { scheme: 'none' }, registryTrap: false });
    expect(out.sha256).not.toBe(createHash('sha256').update(module).digest('hex'));
    const plugin = parse(await readFile(path.join(dir, 'deploy/wasmplugin.yaml'), 'utf8'));
    expect(plugin.spec).toMatchObject({ url: `oci://${image}`, sha256: expected, imagePullPolicy: 'IfNotPresent' });
    expect(JSON.parse(await readFile(path.join(dir, '.istio-wasm/last-push.json'), 'utf8')).digest).toBe(`sha256:${expected}`);
    expect((await cli(['validate', 'deploy/wasmplugin.yaml'], { cwd: dir })).code).toBe(0);
  });

  it('a TrafficExtension is pinned the same way: spec.wasm.sha256 is the digest skopeo sees; validate and deploy --dry-run agree', async () => {
    const image = `${open?.host}/wasm/pin-demo:v0.1.1`;
    const dir = await project(image);
    expect((await cli(['push'], { cwd: dir })).code).toBe(0);
    const r = await cli(['manifest', '--pin', '--kind', 'TrafficExtension', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    const expected = skopeoDigest(image);
    expect(out).toMatchObject({ kind: 'TrafficExtension', sha256: expected, pin: { source: 'registry', challenge: { scheme: 'none' } } });
    const te = parse(await readFile(path.join(dir, 'deploy/trafficextension.yaml'), 'utf8'));
    expect(te.spec.wasm).toMatchObject({ url: `oci://${image}`, sha256: expected, imagePullPolicy: 'IfNotPresent' });
    expect(te.spec.phase).toBe('AUTHN');
    expect((await cli(['validate', 'deploy/trafficextension.yaml'], { cwd: dir })).code).toBe(0);
    const dry = await cli(['deploy', '--dry-run', '-f', 'deploy/trafficextension.yaml'], { cwd: dir });
    expect(dry.code, dry.stderr).toBe(0);
    expect(parse(dry.stdout)).toEqual(te);
  });

  it('Basic-auth registry and a TrafficExtension: the trap is said once, the Secret is named under spec.wasm', async () => {
    const image = `${basic?.host}/wasm/pin-demo:v1.0.1`;
    const dir = await project(image, '1.30');
    const creds = `${user}:${pass}`;
    expect((await cli(['push', '--creds', creds], { cwd: dir })).code).toBe(0);
    const r = await cli(['manifest', '--pin', '--kind', 'TrafficExtension', '--creds', creds], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.match(/refuses|cannot pull from/g)?.length).toBe(1);
    const te = parse(await readFile(path.join(dir, 'deploy/trafficextension.yaml'), 'utf8'));
    expect(te.spec.wasm.sha256).toBe(skopeoDigest(image, creds));
    expect(te.spec.wasm.imagePullSecret).toBe('pin-demo-pull');
    expect((await stat(path.join(dir, 'deploy/secret.yaml'))).mode & 0o777).toBe(0o600);
  });

  it('one manifest --pin asks for the credentials once (a counting credential helper), for either kind', async () => {
    const image = `${open?.host}/wasm/pin-demo:v0.1.2`;
    const dir = await project(image);
    expect((await cli(['push'], { cwd: dir })).code).toBe(0);
    const bin = path.join(dir, 'bin');
    const calls = path.join(dir, 'helper-calls');
    await mkdir(bin, { recursive: true });
    await writeFile(path.join(bin, 'docker-credential-counting'), `#!/bin/sh\nread server\necho "$server" >> "${calls}"\necho '{"ServerURL":"'"$server"'","Username":"robot","Secret":"helper-pass"}'\n`);
    await chmod(path.join(bin, 'docker-credential-counting'), 0o755);
    const authfile = path.join(dir, 'auth.json');
    await writeFile(authfile, JSON.stringify({ credHelpers: { [open?.host as string]: 'counting' } }));
    for (const kind of ['WasmPlugin', 'TrafficExtension']) {
      await writeFile(calls, '');
      const r = await cli(['manifest', '--pin', '--kind', kind, '--authfile', authfile, '--output', '-'], { cwd: dir, env: { PATH: `${bin}:${process.env.PATH ?? ''}` } });
      expect(r.code, r.stderr).toBe(0);
      expect((await readFile(calls, 'utf8')).trim().split('\n')).toEqual([open?.host]);
    }
  });

  it('falls back to the last push when the registry is unreachable, and says so', async () => {
    const throwaway = await startRegistry();
    const image = `${throwaway.host}/wasm/pin-demo:v0.2.0`;
    const dir = await project(image);
    let expected = '';
    try {
      expect((await cli(['push'], { cwd: dir })).code).toBe(0);
      expected = skopeoDigest(image);
    } finally {
      await throwaway.stop();
    }
    const r = await cli(['manifest', '--pin', '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.pin).toMatchObject({ digest: `sha256:${expected}`, source: 'last-push' });
    expect(out.notes.join('\n')).toMatch(/pinned to the digest recorded by the last push/);
  });

  it('Basic-auth registry: Istio 1.30 is told about the trap, writes the pull Secret (0600)', async () => {
    const image = `${basic?.host}/wasm/pin-demo:v1.0.0`;
    const dir = await project(image, '1.30');
    const creds = `${user}:${pass}`;
    const pushed = await cli(['push', '--creds', creds], { cwd: dir });
    expect(pushed.code, pushed.stderr).toBe(0);
    const r = await cli(['manifest', '--pin', '--creds', creds, '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.sha256).toBe(skopeoDigest(image, creds));
    expect(out.pin.challenge.scheme).toBe('basic');
    expect(out.pin.registryTrap).toBe(true);
    expect(r.stderr).toMatch(new RegExp(`Istio 1\\.30 cannot pull from ${basic?.host.replace(/\./g, '\\.')}`));
    expect(r.stderr).toMatch(/--delivery configmap/);
    // Said once, by the pin, not again by the validator.
    expect(r.stderr.match(/refuses|cannot pull from/g)?.length).toBe(1);
    expect(r.stdout + r.stderr).not.toContain(pass);

    const secretFile = path.join(dir, 'deploy/secret.yaml');
    expect((await stat(secretFile)).mode & 0o777).toBe(0o600);
    const secret = parse(await readFile(secretFile, 'utf8'));
    expect(secret).toMatchObject({ kind: 'Secret', type: 'kubernetes.io/dockerconfigjson', metadata: { name: 'pin-demo-pull', namespace: 'istio-system' } });
    const config = JSON.parse(Buffer.from(secret.data['.dockerconfigjson'], 'base64').toString());
    expect(config).toEqual({ auths: { [basic?.host as string]: { auth: Buffer.from(creds).toString('base64') } } });
    const plugin = parse(await readFile(path.join(dir, 'deploy/wasmplugin.yaml'), 'utf8'));
    expect(plugin.spec.imagePullSecret).toBe('pin-demo-pull');

    // validate remembers the challenge learnt by --pin: a warning for 1.30, none for 1.26.
    const v30 = await cli(['validate', 'deploy/wasmplugin.yaml', '--json'], { cwd: dir });
    expect(v30.code).toBe(0);
    expect(JSON.stringify(JSON.parse(v30.stdout).files[0].documents[0].warnings)).toMatch(/refuses .*Basic \(htpasswd\) auth/);
    const v26 = await cli(['validate', 'deploy/wasmplugin.yaml', '--json', '--istio-version', '1.26'], { cwd: dir });
    expect(JSON.stringify(JSON.parse(v26.stdout).files[0].documents[0].warnings)).not.toMatch(/refuses/);
  });

  it('Basic-auth registry: Istio 1.29.0 (before the patch) pins without the trap warning', async () => {
    const image = `${basic?.host}/wasm/pin-demo:v1.0.1`;
    const dir = await project(image, '1.29.0');
    const creds = `${user}:${pass}`;
    expect((await cli(['push', '--creds', creds], { cwd: dir })).code).toBe(0);
    const r = await cli(['manifest', '--pin', '--creds', creds, '--json'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout);
    expect(out.pin.challenge.scheme).toBe('basic');
    expect(out.pin.registryTrap).toBe(false);
    expect(r.stderr).not.toMatch(/cannot pull from/);
    expect(out.sha256).toBe(skopeoDigest(image, creds));
  });

  it('ConfigMap delivery: bytes equal the module; the gateway patches merge into real Deployments', async () => {
    const dir = await project(`${basic?.host}/wasm/pin-demo:v1.0.0`, '1.30');
    const r = await cli(['manifest', '--delivery', 'configmap'], { cwd: dir });
    expect(r.code, r.stderr).toBe(0);
    const cm = parse(await readFile(path.join(dir, 'deploy/wasm-configmap.yaml'), 'utf8'));
    // Schema of a ConfigMap (kubectl apply --dry-run=client needs an API server for discovery, so check by hand).
    expect(cm).toMatchObject({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'pin-demo-wasm', namespace: 'istio-system' } });
    expect(cm.data).toBeUndefined();
    const entries = Object.entries(cm.binaryData as Record<string, string>);
    expect(entries).toHaveLength(1);
    const [key, value] = entries[0] as [string, string];
    expect(key).toMatch(/^[-._a-zA-Z0-9]+$/);
    expect(Buffer.from(value, 'base64').equals(module)).toBe(true);
    expect(key.length + module.length).toBeLessThanOrEqual(1024 * 1024);
    const plugin = parse(await readFile(path.join(dir, 'deploy/wasmplugin.yaml'), 'utf8'));
    expect(plugin.spec.url).toBe(`file:///var/local/lib/wasm-plugins/pin-demo/${key}`);
    expect(plugin.spec.imagePullSecret).toBeUndefined();
    expect((await cli(['validate', 'deploy/wasmplugin.yaml', '--json'], { cwd: dir })).code).toBe(0);

    if (!tools.kubectl) return;
    // `kubectl patch --local` runs the real strategic merge offline.
    const classic = path.join(dir, 'classic.yaml');
    await writeFile(
      classic,
      'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: istio-ingressgateway, namespace: istio-system}\nspec:\n  selector: {matchLabels: {istio: ingressgateway}}\n  template:\n    metadata: {labels: {istio: ingressgateway}}\n    spec:\n      containers:\n      - name: istio-proxy\n        image: docker.io/istio/proxyv2:1.30.0\n        volumeMounts: [{name: istio-envoy, mountPath: /etc/istio/proxy}]\n      volumes: [{name: istio-envoy, emptyDir: {}}]\n',
    );
    const patched = spawnSync('kubectl', ['patch', '--local', '-f', classic, '--type', 'strategic', '--patch-file', path.join(dir, 'deploy/gateway-patch-classic.yaml'), '-o', 'json'], { env: { ...process.env, KUBECONFIG: path.join(tmp.dir, 'none') } });
    expect(patched.status, patched.stderr.toString()).toBe(0);
    const deployment = JSON.parse(patched.stdout.toString());
    const podSpec = deployment.spec.template.spec;
    expect(podSpec.containers[0].volumeMounts).toEqual(
      expect.arrayContaining([{ name: 'istio-envoy', mountPath: '/etc/istio/proxy' }, { name: 'wasm-pin-demo', mountPath: '/var/local/lib/wasm-plugins/pin-demo', readOnly: true }]),
    );
    expect(podSpec.volumes).toEqual(expect.arrayContaining([{ name: 'wasm-pin-demo', configMap: { name: 'pin-demo-wasm' } }]));

    const injected = spawnSync('kubectl', ['patch', '--local', '-f', classic, '--type', 'strategic', '--patch-file', path.join(dir, 'deploy/gateway-patch-injected.yaml'), '-o', 'json'], { env: { ...process.env, KUBECONFIG: path.join(tmp.dir, 'none') } });
    expect(injected.status, injected.stderr.toString()).toBe(0);
    const annotations = JSON.parse(injected.stdout.toString()).spec.template.metadata.annotations;
    expect(JSON.parse(annotations['sidecar.istio.io/userVolume'])[0].configMap.name).toBe(cm.metadata.name);
    expect(JSON.parse(annotations['sidecar.istio.io/userVolumeMount'])[0].mountPath).toBe('/var/local/lib/wasm-plugins/pin-demo');

    const dry = await cli(['deploy', '--dry-run'], { cwd: dir });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('kind: ConfigMap');
    expect(dry.stdout.indexOf('kind: ConfigMap')).toBeLessThan(dry.stdout.indexOf('kind: WasmPlugin'));
  });
});
