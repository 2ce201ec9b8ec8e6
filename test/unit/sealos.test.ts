import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { buildImage } from '../../src/oci/image.js';
import { parseReference } from '../../src/oci/reference.js';
import { gunzip } from '../../src/oci/gzip.js';
import { readTar } from '../../src/oci/tar.js';
import { parseIstioVersion } from '../../src/istio/versions.js';
import { clusterReference, defaultClusterReference } from '../../src/sealos/cluster-reference.js';
import { chooseDelivery } from '../../src/sealos/delivery.js';
import { registryTreeFiles } from '../../src/sealos/registry-tree.js';
import { clusterContext, type ClusterContext } from '../../src/sealos/context.js';
import { buildClusterImage } from '../../src/sealos/cluster-image.js';
import { buildSealosImage, prepareClusterImage } from '../../src/sealos/index.js';
import { makeTempDir } from '../helpers/tmp.js';
import { smallModule, writeProject } from './sealos-fixtures.js';

const basic = { scheme: 'basic' as const, realm: 'Registry Realm' };
const decoder = new TextDecoder();

function fileText(context: ClusterContext, name: string): string {
  const file = context.files.find((f) => f.path === name);
  if (!file) throw new Error(`${name} is not in the context: ${context.files.map((f) => f.path).join(', ')}`);
  return decoder.decode(file.data);
}

function docs(text: string): Array<Record<string, any>> {
  return parseAllDocuments(text).map((d) => d.toJSON() as Record<string, any>);
}

describe('cluster image reference (seed defect 2: sealos-push overwrote the wasm image)', () => {
  it('defaults to <repository>-cluster with the same registry and tag', () => {
    expect(defaultClusterReference(parseReference('sealos.hub:5000/wasm/wasm-auth:v1'))).toEqual({ registry: 'sealos.hub:5000', repository: 'wasm/wasm-auth-cluster', tag: 'v1' });
    expect(clusterReference(parseReference('127.0.0.1:5000/wasm/wasm-auth'))).toEqual({ registry: '127.0.0.1:5000', repository: 'wasm/wasm-auth-cluster', tag: 'latest' });
  });

  it('takes --cluster-image, and refuses the wasm image itself (also with the implicit latest)', () => {
    const wasm = parseReference('sealos.hub:5000/wasm/wasm-auth:latest');
    expect(clusterReference(wasm, 'sealos.hub:5000/apps/wasm-auth:v2')).toMatchObject({ repository: 'apps/wasm-auth', tag: 'v2' });
    expect(() => clusterReference(wasm, 'sealos.hub:5000/wasm/wasm-auth:latest')).toThrow(/overwrite the plugin image/);
    expect(() => clusterReference(wasm, 'sealos.hub:5000/wasm/wasm-auth')).toThrow(/overwrite the plugin image/);
  });
});

describe('delivery by Istio version and registry challenge', () => {
  const choose = (version: string, challenge = basic as Parameters<typeof chooseDelivery>[0]['challenge']) =>
    chooseDelivery({ target: parseIstioVersion(version), registry: 'sealos.hub:5000', challenge, source: 'probe' });

  it('keeps the oci url for versions that still pull with Basic auth (the seed 1.16.2, 1.27.7, 1.29.0)', () => {
    for (const v of ['1.16.2', '1.27.7', '1.28.4', '1.29.0']) expect(choose(v).delivery, v).toBe('oci');
  });

  it('moves the module into a ConfigMap for 1.27.8+, 1.28.5+, 1.29.1+, 1.30', () => {
    for (const v of ['1.27.8', '1.28.5', '1.29.1', '1.30', '1.30.0']) expect(choose(v).delivery, v).toBe('configmap');
  });

  it('treats a minor without patch (1.27) as affected and says why', () => {
    const choice = choose('1.27');
    expect(choice.delivery).toBe('configmap');
    expect(choice.reason).toMatch(/names no patch release/);
    expect(choice.reason).toMatch(/1\.27\.0/);
  });

  it('keeps oci for anonymous registries and Bearer on public hosts, whatever the version', () => {
    expect(choose('1.30', { scheme: 'none' }).delivery).toBe('oci');
    expect(choose('1.30', { scheme: 'bearer', realm: 'https://auth.example.com/token' }).delivery).toBe('oci');
    expect(choose('1.30', { scheme: 'bearer', realm: 'http://127.0.0.1:5001/token' }).delivery).toBe('configmap');
  });
});

describe('registry/ tree in the distribution storage layout', () => {
  it('holds every blob at blobs/sha256/<2>/<hex>/data and link files with sha256:<hex>', () => {
    const image = buildImage(smallModule());
    const files = registryTreeFiles(image, 'wasm/wasm-auth', 'v1');
    const byPath = new Map(files.map((f) => [f.path, decoder.decode(f.data)]));
    const m = image.manifest.descriptor.digest.slice(7);
    const c = image.config.descriptor.digest.slice(7);
    const l = image.layers[0]!.descriptor.digest.slice(7);
    const root = 'docker/registry/v2';
    const repo = `${root}/repositories/wasm/wasm-auth`;
    expect([...byPath.keys()].sort()).toEqual(
      [
        `${root}/blobs/sha256/${m.slice(0, 2)}/${m}/data`,
        `${root}/blobs/sha256/${c.slice(0, 2)}/${c}/data`,
        `${root}/blobs/sha256/${l.slice(0, 2)}/${l}/data`,
        `${repo}/_layers/sha256/${c}/link`,
        `${repo}/_layers/sha256/${l}/link`,
        `${repo}/_manifests/revisions/sha256/${m}/link`,
        `${repo}/_manifests/tags/v1/current/link`,
        `${repo}/_manifests/tags/v1/index/sha256/${m}/link`,
      ].sort(),
    );
    expect(byPath.get(`${repo}/_manifests/tags/v1/current/link`)).toBe(`sha256:${m}`);
    expect(byPath.get(`${repo}/_layers/sha256/${l}/link`)).toBe(`sha256:${l}`);
    const manifestBlob = files.find((f) => f.path.endsWith(`${m}/data`))!;
    expect(Buffer.from(manifestBlob.data).equals(Buffer.from(image.manifest.data))).toBe(true);
  });
});

describe('the cluster image context', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir('ciw-sealos-unit-'));
  });
  afterEach(async () => cleanup());

  async function context(options: { version?: string; image?: string; challenge?: typeof basic | { scheme: 'none' }; creds?: string; registryIp?: string; clusterRegistry?: string; overrides?: Parameters<typeof writeProject>[1] } = {}) {
    const project = await writeProject(dir, { ...(options.image ? { image: options.image } : {}), ...options.overrides });
    const target = parseIstioVersion(options.version ?? '1.16.2');
    const ref = parseReference(options.image ?? project.config.image);
    const wasmRef = { ...ref, tag: ref.tag ?? 'latest' };
    const wasmImage = buildImage(smallModule());
    const challenge = options.challenge ?? basic;
    const delivery = chooseDelivery({ target, registry: wasmRef.registry, challenge, source: 'probe' });
    return {
      wasmImage,
      ctx: await clusterContext({ project, target, wasmRef, wasmImage, challenge, delivery, creds: options.creds, registryIp: options.registryIp, clusterRegistry: options.clusterRegistry }),
    };
  }

  it('seed workflow on Istio 1.16.2: oci url pinned, Secret, ServiceEntry, IfNotPresent only because pinned (defect 9)', async () => {
    const { ctx, wasmImage } = await context({ creds: 'admin:passw0rd-Secret', registryIp: '10.0.0.2' });
    expect(ctx.delivery.delivery).toBe('oci');
    const [plugin] = docs(fileText(ctx, 'manifests/wasmplugin.yaml'));
    expect(plugin!.spec.url).toBe('oci://sealos.hub:5000/wasm/wasm-auth:latest');
    expect(plugin!.spec.sha256).toBe(wasmImage.manifest.descriptor.digest.slice(7));
    expect(plugin!.spec.imagePullPolicy).toBe('IfNotPresent');
    expect(plugin!.spec.imagePullSecret).toBe('wasm-auth-pull');
    expect(ctx.cmd).toEqual(['kubectl apply -f manifests/']);
    expect(ctx.env).toEqual([['REGISTRY_IP', '10.0.0.2']]);
    expect(ctx.labels).toEqual({ 'sealos.io.type': 'application' });
  });

  it('keeps credentials out of pluginConfig and the WasmPlugin; only the Secret holds them (defect 7)', async () => {
    const { ctx } = await context({ creds: 'admin:passw0rd-Secret' });
    const plugin = fileText(ctx, 'manifests/wasmplugin.yaml');
    expect(plugin).not.toContain('passw0rd-Secret');
    expect(plugin).not.toContain(Buffer.from('admin:passw0rd-Secret').toString('base64'));
    expect(JSON.stringify(docs(plugin)[0]!.spec.pluginConfig)).toBe('{"protectedPrefix":"/v2"}');
    const [secret] = docs(fileText(ctx, 'manifests/pull-secret.yaml'));
    expect(secret!.type).toBe('kubernetes.io/dockerconfigjson');
    expect(ctx.warnings.join('\n')).not.toContain('passw0rd-Secret');
    expect(ctx.notes.join('\n')).not.toContain('passw0rd-Secret');
  });

  it('puts the registry address actually used into the Secret and the ServiceEntry (defect 4)', async () => {
    const { ctx } = await context({ image: 'registry.cluster.local:5443/wasm/wasm-auth:v1', clusterRegistry: 'registry.cluster.local:5443', creds: 'u:p' });
    const [secret] = docs(fileText(ctx, 'manifests/pull-secret.yaml'));
    const config = JSON.parse(Buffer.from(secret!.data['.dockerconfigjson'], 'base64').toString()) as { auths: Record<string, unknown> };
    expect(Object.keys(config.auths)).toEqual(['registry.cluster.local:5443']);
    const entry = fileText(ctx, 'manifests/registry-serviceentry.yaml.tmpl');
    expect(entry).toContain('    - registry.cluster.local\n');
    expect(entry).toContain('number: 5443');
    expect(entry).not.toContain('sealos.hub');
  });

  it('names match across the objects it generates (defect 3: VirtualService named a gateway that did not exist)', async () => {
    const oci = (await context({ creds: 'u:p' })).ctx;
    const [plugin] = docs(fileText(oci, 'manifests/wasmplugin.yaml'));
    const [secret] = docs(fileText(oci, 'manifests/pull-secret.yaml'));
    expect(plugin!.spec.imagePullSecret).toBe(secret!.metadata.name);
    expect(secret!.metadata.namespace).toBe(plugin!.metadata.namespace);
    const entryText = fileText(oci, 'manifests/registry-serviceentry.yaml.tmpl');
    expect(entryText).toContain(`name: ${oci.serviceEntry!.name}`);
    expect(entryText).toContain(`    - ${new URL(`http://${String(plugin!.spec.url).slice('oci://'.length)}`).hostname}\n`);

    await cleanup();
    ({ dir, cleanup } = await makeTempDir('ciw-sealos-unit-'));
    const cm = (await context({ version: '1.30' })).ctx;
    expect(cm.delivery.delivery).toBe('configmap');
    const [cmPlugin] = docs(fileText(cm, 'manifests/wasmplugin.yaml'));
    const [configMap] = docs(fileText(cm, 'manifests/wasm-configmap.yaml'));
    const [classic] = docs(fileText(cm, 'patches/gateway-classic.yaml'));
    const [injected] = docs(fileText(cm, 'patches/gateway-injected.yaml'));
    const volume = classic!.spec.template.spec.volumes[0];
    const mount = classic!.spec.template.spec.containers[0].volumeMounts[0];
    expect(volume.configMap.name).toBe(configMap!.metadata.name);
    expect(mount.name).toBe(volume.name);
    expect(String(cmPlugin!.spec.url)).toBe(`file://${mount.mountPath}/${Object.keys(configMap!.binaryData)[0]}`);
    expect(JSON.parse(injected!.spec.template.metadata.annotations['sidecar.istio.io/userVolume'])[0].configMap.name).toBe(configMap!.metadata.name);
    expect(configMap!.metadata.namespace).toBe(cmPlugin!.metadata.namespace);
    expect(cm.cmd).toEqual(['kubectl apply -f manifests/', 'kubectl -n istio-system patch deployment $(GATEWAY_DEPLOYMENT) --patch-file patches/gateway-$(GATEWAY_PATCH).yaml']);
    expect(cm.env).toEqual([['GATEWAY_DEPLOYMENT', 'istio-ingressgateway'], ['GATEWAY_PATCH', 'classic']]);
    expect(cm.files.some((f) => f.path === 'manifests/pull-secret.yaml')).toBe(false);
  });

  it('drops the Secret for anonymous registries, and ships the user manifests from deploy/manifests', async () => {
    await mkdir(path.join(dir, 'deploy', 'manifests'), { recursive: true });
    await writeFile(path.join(dir, 'deploy', 'manifests', 'gateway.yaml'), 'kind: Gateway\n');
    await writeFile(path.join(dir, 'deploy', 'manifests', 'README.md'), 'notes\n');
    await writeFile(path.join(dir, 'deploy', 'manifests', 'wasmplugin.yaml'), 'kind: NotOurs\n');
    const { ctx } = await context({ image: '127.0.0.1:5000/wasm/wasm-auth:v1', challenge: { scheme: 'none' }, creds: 'u:p' });
    const paths = ctx.files.map((f) => f.path);
    expect(paths).toContain('manifests/gateway.yaml');
    expect(paths).not.toContain('manifests/README.md');
    expect(paths).not.toContain('manifests/pull-secret.yaml');
    expect(paths).not.toContain('manifests/registry-serviceentry.yaml.tmpl');
    expect(fileText(ctx, 'manifests/wasmplugin.yaml')).toContain('kind: WasmPlugin');
    expect(docs(fileText(ctx, 'manifests/wasmplugin.yaml'))[0]!.spec.imagePullSecret).toBeUndefined();
  });

  it('ships the project\'s kind: a TrafficExtension pinned under spec.wasm, its Secret, or the ConfigMap url', async () => {
    const overrides = { kind: 'TrafficExtension' as const };
    const { ctx, wasmImage } = await context({ version: '1.30', image: 'ghcr.io/acme/wasm-auth:v1', challenge: { scheme: 'bearer', realm: 'https://ghcr.io/token' } as never, creds: 'u:p', overrides });
    expect(ctx.kind).toBe('TrafficExtension');
    expect(ctx.manifests).toEqual(['pull-secret.yaml', 'trafficextension.yaml']);
    const [te] = docs(fileText(ctx, 'manifests/trafficextension.yaml'));
    expect(te!.kind).toBe('TrafficExtension');
    expect(te!.spec.wasm).toMatchObject({ url: 'oci://ghcr.io/acme/wasm-auth:v1', sha256: wasmImage.manifest.descriptor.digest.slice(7), imagePullPolicy: 'IfNotPresent', imagePullSecret: 'wasm-auth-pull' });
    expect(te!.spec.url).toBeUndefined();
    await cleanup();
    ({ dir, cleanup } = await makeTempDir('ciw-sealos-unit-'));
    const cm = (await context({ version: '1.30', overrides })).ctx;
    expect(cm.delivery.delivery).toBe('configmap');
    expect(docs(fileText(cm, 'manifests/trafficextension.yaml'))[0]!.spec.wasm.url).toMatch(/^file:\/\/\/var\/local\/lib\/wasm-plugins\/wasm-auth\//);
    expect(cm.files.some((f) => f.path === 'manifests/wasmplugin.yaml')).toBe(false);
  });

  it('a TrafficExtension project targeting Istio before 1.30 is refused naming 1.30', async () => {
    await expect(context({ version: '1.29.1', overrides: { kind: 'TrafficExtension' } })).rejects.toThrow(/TrafficExtension does not exist in Istio 1\.29\.1: it arrived in Istio 1\.30/);
  });

  it('builds one layer with exactly the COPY’d files, and a config with CMD, ENV and labels', async () => {
    const { ctx } = await context({ version: '1.30' });
    const image = buildClusterImage(ctx);
    const entries = [...readTar(gunzip(image.layers[0]!.data))];
    const files = entries.filter((e) => e.type === 'file').map((e) => e.name).sort();
    expect(files).toEqual(ctx.files.filter((f) => f.inImage).map((f) => f.path).sort());
    expect(files.every((f) => /^(manifests|registry|patches)\//.test(f))).toBe(true);
    expect(entries.filter((e) => e.type === 'directory').map((e) => e.name)).toContain('registry/docker/registry/v2/');
    const config = JSON.parse(decoder.decode(image.config.data)) as { config: { Cmd: string[]; Env: string[]; Labels: Record<string, string> } };
    expect(config.config.Cmd).toEqual(ctx.cmd);
    expect(config.config.Env).toEqual(['GATEWAY_DEPLOYMENT=istio-ingressgateway', 'GATEWAY_PATCH=classic']);
    expect(ctx.kubefile).toContain('CMD ["kubectl apply -f manifests/","kubectl -n istio-system patch deployment $(GATEWAY_DEPLOYMENT) --patch-file patches/gateway-$(GATEWAY_PATCH).yaml"]');
    expect(ctx.kubefile).toContain('COPY patches ./patches');
    // Reproducible: the same context gives the same digest.
    expect(buildClusterImage(ctx).manifest.descriptor.digest).toBe(image.manifest.descriptor.digest);
  });

  it('sealos build writes the context and an OCI layout whose registry/ holds the locally built wasm image', async () => {
    await writeProject(dir, { image: 'sealos.hub:5000/wasm/a-rather-long-plugin-name-for-paths:v0.1.0-rc.1' });
    const project = await (await import('../../src/project/load.js')).loadProjectAt(dir);
    const built = await buildSealosImage({ project, cwd: dir, env: {}, creds: 'admin:passw0rd' });
    expect(built.format).toBe('oci');
    const index = JSON.parse(await readFile(path.join(built.output, 'index.json'), 'utf8')) as { manifests: Array<{ digest: string; annotations: Record<string, string> }> };
    expect(index.manifests[0]!.digest).toBe(built.prepared.image.manifest.descriptor.digest);
    expect(index.manifests[0]!.annotations['org.opencontainers.image.ref.name']).toBe('v0.1.0-rc.1');
    // sealos.hub is not reachable from here: its challenge is known (htpasswd), and 1.16.2 still pulls with it.
    expect(built.prepared.challengeSource).toBe('known-host');
    expect(built.prepared.context.delivery.delivery).toBe('oci');
    const tree = path.join(built.prepared.contextDir, 'registry', 'docker', 'registry', 'v2');
    const m = built.prepared.wasmImage.manifest.descriptor.digest.slice(7);
    expect(await readFile(path.join(tree, 'repositories/wasm/a-rather-long-plugin-name-for-paths/_manifests/tags/v0.1.0-rc.1/current/link'), 'utf8')).toBe(`sha256:${m}`);
    // Long paths survive the layer tar (pax names).
    const names = [...readTar(gunzip(built.prepared.image.layers[0]!.data))].map((e) => e.name);
    expect(names).toContain(`registry/docker/registry/v2/repositories/wasm/a-rather-long-plugin-name-for-paths/_manifests/tags/v0.1.0-rc.1/index/sha256/${m}/link`);
    expect(await readFile(path.join(built.prepared.contextDir, 'images', 'shim', 'wasmImage'), 'utf8')).toBe('sealos.hub:5000/wasm/a-rather-long-plugin-name-for-paths:v0.1.0-rc.1\n');
  });

  it('REPO/IMG choose the image; the cluster image may not be the wasm image', async () => {
    const project = await writeProject(dir);
    const prepared = await prepareClusterImage({ project, cwd: dir, env: { REPO: 'registry.example.com:5000 ', IMG: 'wasm/wasm-auth:v3' } });
    expect(prepared.wasmRef).toEqual({ registry: 'registry.example.com:5000', repository: 'wasm/wasm-auth', tag: 'v3' });
    expect(prepared.clusterRef).toEqual({ registry: 'registry.example.com:5000', repository: 'wasm/wasm-auth-cluster', tag: 'v3' });
    await expect(prepareClusterImage({ project, cwd: dir, env: {}, clusterImage: 'sealos.hub:5000/wasm/wasm-auth:latest' })).rejects.toThrow(/overwrite the plugin image/);
  });
});

describe('sealos push refuses bad input before it pushes anything', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir('ciw-sealos-push-'));
  });
  afterEach(async () => cleanup());

  // Port 1 on loopback refuses connections: a push that started would fail with REGISTRY_UNREACHABLE.
  it('a --cluster-image naming the wasm image, or a bad --istio-version, fails before the wasm image is pushed', async () => {
    const { pushSealosImage } = await import('../../src/sealos/push.js');
    const project = await writeProject(dir, { image: '127.0.0.1:1/wasm/wasm-auth:v1' });
    await expect(pushSealosImage({ project, cwd: dir, env: {}, clusterImage: '127.0.0.1:1/wasm/wasm-auth:v1' })).rejects.toMatchObject({ code: 'CLUSTER_IMAGE_IS_WASM_IMAGE' });
    await expect(pushSealosImage({ project, cwd: dir, env: {}, istioVersion: 'abc' })).rejects.toMatchObject({ code: 'BAD_ISTIO_VERSION' });
  });
});
