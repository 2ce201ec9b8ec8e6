import { spawnSync } from 'node:child_process';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { digestOf } from '../../src/oci/image.js';
import type { Manifest } from '../../src/oci/media-types.js';
import { repoRoot, runCli } from '../helpers/cli.js';
import { hasRegistry, hasTool, startRegistry, type StartedRegistry } from '../helpers/registry.js';
import { makeTempDir, requireToolInCi } from '../helpers/tmp.js';
import { skopeo } from '../integration/oci/support.js';
import { serveStorageRoot, unpackLayers } from '../integration/sealos-support.js';

/**
 * The seed's workflow end to end, on a project scaffolded by the built `create-istio-wasm`:
 * `REPO=127.0.0.1:PORT IMG=wasm/wasm-auth:v1 make sealos-push` with no sealos and no Docker engine.
 */
const ready = hasRegistry() && hasTool('skopeo') && hasTool('make');
requireToolInCi('docker-registry, skopeo and make', ready);

const password = 'Sealos-E2E-passw0rd';

describe.skipIf(!ready)('sealos cluster images from a scaffolded project', () => {
  let registry: StartedRegistry;
  let authRegistry: StartedRegistry;
  let dir: string;
  let cleanup: () => Promise<void>;
  let project: string;
  let authEnv: NodeJS.ProcessEnv;

  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir('ciw-sealos-e2e-'));
    registry = await startRegistry();
    authRegistry = await startRegistry({ htpasswd: { user: 'admin', pass: password } });
    const created = await runCli(['wasm-auth', '--template', 'assemblyscript', '--yes', '--no-git'], { cwd: dir, bin: 'create-istio-wasm', timeoutMs: 300_000 });
    expect(created.code, created.stderr).toBe(0);
    project = path.join(dir, 'wasm-auth');
    // Credentials as `sealos login` writes them: containers' auth.json under XDG_RUNTIME_DIR.
    const run = path.join(dir, 'run');
    await mkdir(path.join(run, 'containers'), { recursive: true });
    await writeFile(path.join(run, 'containers', 'auth.json'), JSON.stringify({ auths: { [authRegistry.host]: { auth: Buffer.from(`admin:${password}`).toString('base64') } } }));
    authEnv = { HOME: dir, XDG_RUNTIME_DIR: run, XDG_CONFIG_HOME: path.join(dir, 'config'), DOCKER_CONFIG: path.join(dir, 'docker'), REGISTRY_AUTH_FILE: '' };
  }, 400_000);
  afterAll(async () => {
    await registry?.stop();
    await authRegistry?.stop();
    await cleanup?.();
  });

  function make(args: string[], env: NodeJS.ProcessEnv) {
    const done = spawnSync('make', ['--no-print-directory', ...args], { cwd: project, env: { ...process.env, CI: 'true', NO_COLOR: '1', ...env }, encoding: 'utf8', timeout: 240_000 });
    return { code: done.status, stdout: done.stdout, stderr: done.stderr };
  }

  it('REPO=… IMG=… make sealos-push pushes the wasm image and a cluster image carrying it, pinned', async () => {
    const r = make(['sealos-push'], { ...authEnv, REPO: registry.host, IMG: 'wasm/wasm-auth:v1', PATH: process.env.PATH });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    const wasmImage = `${registry.host}/wasm/wasm-auth:v1`;
    const clusterImage = `${registry.host}/wasm/wasm-auth-cluster:v1`;
    expect(r.stdout).toContain(`next: sealos run ${clusterImage}`);
    expect(r.stderr).toMatch(/delivery: oci — .*allows anonymous pulls/);

    const wasmRaw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${wasmImage}`]);
    const wasmDigest = digestOf(new TextEncoder().encode(wasmRaw));
    const config = JSON.parse(await skopeo(['inspect', '--config', '--raw', '--tls-verify=false', `docker://${clusterImage}`])) as { config: { Cmd: string[] } };
    expect(config.config.Cmd).toEqual(['kubectl apply -f manifests/']);

    const copy = path.join(dir, 'cluster-copy');
    await skopeo(['copy', '--src-tls-verify=false', `docker://${clusterImage}`, `dir:${copy}`]);
    const manifest = JSON.parse(await readFile(path.join(copy, 'manifest.json'), 'utf8')) as Manifest;
    const unpacked = path.join(dir, 'cluster-unpacked');
    const files = await unpackLayers((manifest.layers ?? []).map((l) => path.join(copy, l.digest.slice(7))), unpacked);
    const plugin = parseAllDocuments(files.get('manifests/wasmplugin.yaml')!.toString())[0]!.toJSON() as { metadata: { name: string }; spec: Record<string, unknown> };
    expect(plugin.metadata.name).toBe('wasm-auth');
    expect(plugin.spec.url).toBe(`oci://${wasmImage}`);
    expect(plugin.spec.sha256).toBe(wasmDigest.slice(7));

    // registry/ served as a storage root gives the wasm image back, digest identical.
    const served = await serveStorageRoot(path.join(unpacked, 'registry'));
    try {
      const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${served.host}/wasm/wasm-auth:v1`]);
      expect(digestOf(new TextEncoder().encode(raw))).toBe(wasmDigest);
    } finally {
      await served.stop();
    }

    // The module in the image is the one make built.
    const module = await readFile(path.join(project, 'build', 'plugin.wasm'));
    const layer = (JSON.parse(wasmRaw) as Manifest).layers![0]!.digest.slice(7);
    const moduleFiles = await unpackLayers([path.join(unpacked, 'registry/docker/registry/v2/blobs/sha256', layer.slice(0, 2), layer, 'data')], path.join(dir, 'module-unpacked'));
    expect(moduleFiles.get('plugin.wasm')?.equals(module)).toBe(true);
  });

  it('the scaffold copies deploy/ files byte for byte (sealos template syntax survives: defect 8)', async () => {
    const shipped = await readFile(path.join(project, 'deploy', 'manifests', 'README.md'), 'utf8');
    expect(shipped).toBe(await readFile(path.join(repoRoot, 'templates', '_shared', 'deploy', 'manifests', 'README.md'), 'utf8'));
  });

  it('Istio 1.16.2 and a Basic-auth registry (sealos login credentials): oci url, pull Secret in the image, password never printed', async () => {
    const image = `${authRegistry.host}/wasm/wasm-auth:v2`;
    const r = await runCli(['sealos', 'push', image, '--istio-version', '1.16.2', '--cluster-registry', authRegistry.host, '--registry-ip', '127.0.0.1'], { cwd: project, env: authEnv });
    expect(r.code, r.stderr).toBe(0);
    expect(`${r.stdout}${r.stderr}`).not.toContain(password);
    expect(`${r.stdout}${r.stderr}`).not.toContain(Buffer.from(`admin:${password}`).toString('base64'));
    expect(r.stderr).toMatch(/delivery: oci — Istio 1\.16\.2 still pulls from/);
    expect(r.stderr).toMatch(/carries the pull Secret/);
    const copy = path.join(dir, 'auth-copy');
    await skopeo(['copy', '--src-tls-verify=false', '--src-creds', `admin:${password}`, `docker://${authRegistry.host}/wasm/wasm-auth-cluster:v2`, `dir:${copy}`]);
    const manifest = JSON.parse(await readFile(path.join(copy, 'manifest.json'), 'utf8')) as Manifest;
    const files = await unpackLayers((manifest.layers ?? []).map((l) => path.join(copy, l.digest.slice(7))), path.join(dir, 'auth-unpacked'));
    const pluginText = files.get('manifests/wasmplugin.yaml')!.toString();
    expect(pluginText).not.toContain(password);
    const plugin = parseAllDocuments(pluginText)[0]!.toJSON() as { spec: Record<string, unknown> };
    const secret = parseAllDocuments(files.get('manifests/pull-secret.yaml')!.toString())[0]!.toJSON() as { metadata: { name: string }; data: Record<string, string> };
    expect(plugin.spec.imagePullSecret).toBe(secret.metadata.name);
    const auths = JSON.parse(Buffer.from(secret.data['.dockerconfigjson']!, 'base64').toString()) as { auths: Record<string, { auth: string }> };
    expect(Object.keys(auths.auths)).toEqual([authRegistry.host]);
    const entry = files.get('manifests/registry-serviceentry.yaml.tmpl')!.toString();
    expect(entry).toContain('{{ .REGISTRY_IP }}');
    const config = JSON.parse(await skopeo(['inspect', '--config', '--raw', '--tls-verify=false', '--creds', `admin:${password}`, `docker://${authRegistry.host}/wasm/wasm-auth-cluster:v2`])) as { config: { Env: string[] } };
    expect(config.config.Env).toEqual(['REGISTRY_IP=127.0.0.1']);
  });

  it('Istio 1.30 and the same registry: the module goes in a ConfigMap, and it says why', async () => {
    const r = await runCli(['sealos', 'build', `${authRegistry.host}/wasm/wasm-auth:v3`, '--istio-version', '1.30', '--output', path.join(dir, 'cm.tar'), '--json'], { cwd: project, env: authEnv });
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as { delivery: string; reason: string; url: string; manifests: string[]; cmd: string[]; format: string; clusterImage: string };
    expect(out.delivery).toBe('configmap');
    expect(out.reason).toMatch(/refuses .*Basic/);
    expect(out.url).toMatch(/^file:\/\//);
    expect(out.manifests).toEqual(['wasm-configmap.yaml', 'wasmplugin.yaml']);
    expect(out.cmd[1]).toMatch(/patch deployment \$\(GATEWAY_DEPLOYMENT\)/);
    expect(out.format).toBe('oci-archive');
    const raw = await skopeo(['inspect', '--raw', `oci-archive:${path.join(dir, 'cm.tar')}:v3`]);
    expect(JSON.parse(raw)).toMatchObject({ mediaType: 'application/vnd.oci.image.manifest.v1+json' });
    expect(`${r.stdout}${r.stderr}`).not.toContain(password);
  });

  it('refuses a cluster image reference equal to the wasm image (defect 2)', async () => {
    const r = await runCli(['sealos', 'build', `${registry.host}/wasm/wasm-auth:v1`, '--cluster-image', `${registry.host}/wasm/wasm-auth:v1`], { cwd: project, env: authEnv });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/would overwrite the plugin image/);
  });

  it('--with-sealos without sealos installed is a clear error', async () => {
    if (hasTool('sealos')) return;
    const r = await runCli(['sealos', 'build', '--with-sealos'], { cwd: project, env: { ...authEnv, PATH: '/usr/bin:/bin' } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/sealos is not installed/);
    expect(r.stderr).toMatch(/leave out --with-sealos/);
  });

  it('--with-sealos hands the context to sealos build and sealos push', async () => {
    const bin = path.join(dir, 'fake-bin');
    await mkdir(bin, { recursive: true });
    const log = path.join(dir, 'sealos.log');
    await writeFile(path.join(bin, 'sealos'), `#!/bin/sh\necho "$PWD|$*" >> ${JSON.stringify(log)}\n`);
    await chmod(path.join(bin, 'sealos'), 0o755);
    const r = await runCli(['sealos', 'push', `${registry.host}/wasm/wasm-auth:v4`, '--with-sealos'], { cwd: project, env: { ...authEnv, PATH: `${bin}:${process.env.PATH ?? ''}` } });
    expect(r.code, r.stderr).toBe(0);
    const lines = (await readFile(log, 'utf8')).trim().split('\n');
    const context = path.join(project, 'build', 'sealos', 'context');
    expect(lines).toEqual([`${context}|build -t ${registry.host}/wasm/wasm-auth-cluster:v4 -f Kubefile .`, `${context}|push ${registry.host}/wasm/wasm-auth-cluster:v4`]);
    expect(await readFile(path.join(context, 'images', 'shim', 'wasmImage'), 'utf8')).toBe(`${registry.host}/wasm/wasm-auth:v4\n`);
    expect(r.stdout).toContain(`next: sealos run ${registry.host}/wasm/wasm-auth-cluster:v4`);
  });

  it('make docker-build without a Docker engine says so and points to make push', async () => {
    const engine = spawnSync('sh', ['-c', 'docker info >/dev/null 2>&1 || command -v podman >/dev/null'], { stdio: 'ignore' }).status === 0;
    if (engine) return;
    const r = make(['docker-build'], { ...authEnv, PATH: process.env.PATH });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/no container engine is reachable/);
    expect(r.stderr).toContain('`make push`');
  });
});
