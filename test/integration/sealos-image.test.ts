import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { digestOf } from '../../src/oci/image.js';
import type { Manifest } from '../../src/oci/media-types.js';
import { extractModule } from '../../src/oci/extract.js';
import { loadProjectAt } from '../../src/project/load.js';
import { buildSealosImage } from '../../src/sealos/index.js';
import { pushBuiltImage } from '../../src/oci/push.js';
import { hasRegistry, hasTool, startRegistry, type StartedRegistry } from '../helpers/registry.js';
import { makeTempDir, requireToolInCi } from '../helpers/tmp.js';
import { skopeo } from './oci/support.js';
import { serveStorageRoot, unpackLayers } from './sealos-support.js';
import { smallModule, writeProject } from '../unit/sealos-fixtures.js';

const ready = hasRegistry() && hasTool('skopeo');
requireToolInCi('docker-registry and skopeo', ready);
const hasBuildah = hasTool('buildah');
requireToolInCi('buildah', hasBuildah);

describe.skipIf(!ready)('the cluster image, built by istio-wasm and checked by skopeo, the registry and buildah', () => {
  let registry: StartedRegistry;
  let dir: string;
  let cleanup: () => Promise<void>;
  const module = smallModule(64 * 1024, 3);
  let built: Awaited<ReturnType<typeof buildSealosImage>>;
  let clusterImage: string;
  let wasmImage: string;
  let unpacked: string;
  let files: Map<string, Buffer>;

  beforeAll(async () => {
    registry = await startRegistry();
    ({ dir, cleanup } = await makeTempDir('ciw-sealos-int-'));
    const project = await writeProject(path.join(dir, 'project'), { image: `${registry.host}/wasm/wasm-auth:v1`, istio: { version: '1.16.2' } }, module);
    built = await buildSealosImage({ project: await loadProjectAt(project.root), cwd: project.root, env: {}, output: path.join(dir, 'layout') });
    clusterImage = `${registry.host}/wasm/wasm-auth-cluster:v1`;
    wasmImage = `${registry.host}/wasm/wasm-auth:v1`;
  });
  afterAll(async () => {
    await registry?.stop();
    await cleanup?.();
  });

  it('pushes to a real registry; skopeo reads the same manifest as the OCI layout holds', async () => {
    const pushed = await pushBuiltImage(built.prepared.image, built.prepared.clusterRef, { plainHttp: true });
    expect(pushed.image).toBe(clusterImage);
    expect(pushed.digest).toBe(built.prepared.image.manifest.descriptor.digest);
    const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${clusterImage}`]);
    expect(digestOf(new TextEncoder().encode(raw))).toBe(pushed.digest);
    const fromLayout = await skopeo(['inspect', '--raw', `oci:${built.output}:v1`]);
    expect(fromLayout).toBe(raw);
    const config = JSON.parse(await skopeo(['inspect', '--config', '--raw', '--tls-verify=false', `docker://${clusterImage}`])) as { config: { Cmd: string[]; Labels: Record<string, string> }; os: string };
    expect(config.config.Cmd).toEqual(['kubectl apply -f manifests/']);
    expect(config.config.Labels['sealos.io.type']).toBe('application');
    expect(config.os).toBe('linux');
  });

  it('its filesystem holds the pinned WasmPlugin and a registry/ tree with the wasm image byte for byte', async () => {
    const copy = path.join(dir, 'copy');
    await skopeo(['copy', '--src-tls-verify=false', `docker://${clusterImage}`, `dir:${copy}`]);
    const manifest = JSON.parse(await readFile(path.join(copy, 'manifest.json'), 'utf8')) as Manifest;
    unpacked = path.join(dir, 'unpacked');
    files = await unpackLayers((manifest.layers ?? []).map((l) => path.join(copy, l.digest.slice(7))), unpacked);
    const plugin = parseAllDocuments(files.get('manifests/wasmplugin.yaml')!.toString())[0]!.toJSON() as { spec: { url: string; sha256: string } };
    const wasmDigest = built.prepared.wasmImage.manifest.descriptor.digest;
    expect(plugin.spec.url).toBe(`oci://${wasmImage}`);
    expect(plugin.spec.sha256).toBe(wasmDigest.slice(7));
    const tree = 'registry/docker/registry/v2';
    for (const blob of [built.prepared.wasmImage.manifest, built.prepared.wasmImage.config, ...built.prepared.wasmImage.layers]) {
      const hex = blob.descriptor.digest.slice(7);
      expect(files.get(`${tree}/blobs/sha256/${hex.slice(0, 2)}/${hex}/data`)?.equals(Buffer.from(blob.data)), hex).toBe(true);
    }
    expect(files.get(`${tree}/repositories/wasm/wasm-auth/_manifests/tags/v1/current/link`)?.toString()).toBe(wasmDigest);
  });

  it('the same wasm image, pushed to the registry, has the digest the WasmPlugin pins', async () => {
    const { pushImage } = await import('../../src/oci/push.js');
    const pushed = await pushImage(module, built.prepared.wasmRef, { plainHttp: true });
    expect(pushed.digest).toBe(built.prepared.wasmImage.manifest.descriptor.digest);
  });

  it('served as a registry storage root, registry/ gives back the wasm image: same digest, same module', async () => {
    const served = await serveStorageRoot(path.join(unpacked, 'registry'));
    try {
      const image = `${served.host}/wasm/wasm-auth:v1`;
      const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${image}`]);
      expect(digestOf(new TextEncoder().encode(raw))).toBe(built.prepared.wasmImage.manifest.descriptor.digest);
      const out = path.join(dir, 'from-tree');
      await skopeo(['copy', '--src-tls-verify=false', `docker://${image}`, `dir:${out}`]);
      const manifest = JSON.parse(raw) as Manifest;
      const extracted = await extractModule(manifest, async (d) => new Uint8Array(await readFile(path.join(out, d.digest.slice(7)))));
      expect(Buffer.from(extracted.bytes).equals(Buffer.from(module))).toBe(true);
    } finally {
      await served.stop();
    }
  });

  it.skipIf(!hasBuildah)('buildah bud of the generated Kubefile context gives the same files, CMD and label', async () => {
    const root = path.join(dir, 'buildah-root');
    const runroot = path.join(dir, 'buildah-run');
    const storage = ['--storage-driver', 'vfs', '--root', root, '--runroot', runroot];
    const tag = 'localhost/istio-wasm-sealos-test:v1';
    const bud = spawnSync('buildah', [...storage, 'bud', '--isolation', 'chroot', '-f', 'Kubefile', '-t', tag, '.'], { cwd: built.prepared.contextDir, encoding: 'utf8' });
    expect(bud.status, bud.stderr).toBe(0);
    const layout = path.join(dir, 'buildah-layout');
    const push = spawnSync('buildah', [...storage, 'push', tag, `oci:${layout}:v1`], { encoding: 'utf8' });
    expect(push.status, push.stderr).toBe(0);
    spawnSync('buildah', [...storage, 'rmi', '--all', '--force'], { encoding: 'utf8' });
    const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as Manifest;
    const manifestDigest = index.manifests![0]!.digest;
    const blob = (d: string) => path.join(layout, 'blobs', 'sha256', d.slice(7));
    const manifest = JSON.parse(await readFile(blob(manifestDigest), 'utf8')) as Manifest;
    const theirs = await unpackLayers((manifest.layers ?? []).map((l) => blob(l.digest)), path.join(dir, 'buildah-unpacked'));
    expect([...theirs.keys()].sort()).toEqual([...files.keys()].sort());
    for (const [name, data] of files) expect(theirs.get(name)?.equals(data), name).toBe(true);
    const config = JSON.parse(await readFile(blob(manifest.config!.digest), 'utf8')) as { config: { Cmd: string[]; Labels: Record<string, string> } };
    expect(config.config.Cmd).toEqual(built.prepared.context.cmd);
    expect(config.config.Labels['sealos.io.type']).toBe('application');
  });
});

describe.skipIf(!ready || !hasBuildah)('the ConfigMap-delivery cluster image (Istio 1.30, Basic-auth registry) against buildah', () => {
  let registry: StartedRegistry;
  let dir: string;
  let cleanup: () => Promise<void>;

  beforeAll(async () => {
    registry = await startRegistry({ htpasswd: { user: 'admin', pass: 'passw0rd' } });
    ({ dir, cleanup } = await makeTempDir('ciw-sealos-cm-'));
  });
  afterAll(async () => {
    await registry?.stop();
    await cleanup?.();
  });

  it('has the ConfigMap, both gateway patches, ENV and the patch CMD, as buildah builds the same Kubefile', async () => {
    const project = await writeProject(path.join(dir, 'project'), { image: `${registry.host}/wasm/wasm-auth:v1`, istio: { version: '1.30' } }, smallModule(8192, 9));
    const built = await buildSealosImage({ project, cwd: project.root, env: {}, output: path.join(dir, 'layout'), creds: 'admin:passw0rd' });
    expect(built.prepared.challenge?.scheme).toBe('basic');
    expect(built.prepared.context.delivery.delivery).toBe('configmap');
    const ours = new Map<string, Buffer>();
    const layerFile = path.join(built.output, 'blobs', 'sha256', built.prepared.image.layers[0]!.descriptor.digest.slice(7));
    for (const [name, data] of await unpackLayers([layerFile], path.join(dir, 'ours'))) ours.set(name, data);
    expect([...ours.keys()].filter((n) => !n.startsWith('registry/')).sort()).toEqual(['manifests/wasm-configmap.yaml', 'manifests/wasmplugin.yaml', 'patches/gateway-classic.yaml', 'patches/gateway-injected.yaml']);

    const root = path.join(dir, 'buildah-root');
    const storage = ['--storage-driver', 'vfs', '--root', root, '--runroot', path.join(dir, 'buildah-run')];
    const tag = 'localhost/istio-wasm-sealos-cm:v1';
    const bud = spawnSync('buildah', [...storage, 'bud', '--isolation', 'chroot', '-f', 'Kubefile', '-t', tag, '.'], { cwd: built.prepared.contextDir, encoding: 'utf8' });
    expect(bud.status, bud.stderr).toBe(0);
    const layout = path.join(dir, 'buildah-layout');
    const push = spawnSync('buildah', [...storage, 'push', tag, `oci:${layout}:v1`], { encoding: 'utf8' });
    expect(push.status, push.stderr).toBe(0);
    spawnSync('buildah', [...storage, 'rmi', '--all', '--force'], { encoding: 'utf8' });
    const index = JSON.parse(await readFile(path.join(layout, 'index.json'), 'utf8')) as Manifest;
    const blob = (d: string) => path.join(layout, 'blobs', 'sha256', d.slice(7));
    const manifest = JSON.parse(await readFile(blob(index.manifests![0]!.digest), 'utf8')) as Manifest;
    const theirs = await unpackLayers((manifest.layers ?? []).map((l) => blob(l.digest)), path.join(dir, 'buildah-unpacked'));
    expect([...theirs.keys()].sort()).toEqual([...ours.keys()].sort());
    for (const [name, data] of ours) expect(theirs.get(name)?.equals(data), name).toBe(true);
    const theirConfig = JSON.parse(await readFile(blob(manifest.config!.digest), 'utf8')) as { config: { Cmd: string[]; Env?: string[] } };
    const ourConfig = JSON.parse(new TextDecoder().decode(built.prepared.image.config.data)) as { config: { Cmd: string[]; Env: string[] } };
    expect(theirConfig.config.Cmd).toEqual(ourConfig.config.Cmd);
    for (const e of ourConfig.config.Env) expect(theirConfig.config.Env).toContain(e);
  });
});
