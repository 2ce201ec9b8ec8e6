import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RegistryClient } from '../../../src/oci/client.js';
import { buildImage, digestOf } from '../../../src/oci/image.js';
import { pushImage } from '../../../src/oci/push.js';
import { parseReference } from '../../../src/oci/reference.js';
import { resolveManifestDigest } from '../../../src/oci/resolve.js';
import { inspectImage } from '../../../src/oci/inspect-image.js';
import { runCli } from '../../helpers/cli.js';
import { hasRegistry, hasTool, startRegistry, type StartedRegistry } from '../../helpers/registry.js';
import { makeTempDir, requireToolInCi } from '../../helpers/tmp.js';
import { checkWithSkopeo, fakeModule, skopeo, skopeoFails } from './support.js';

const ready = hasRegistry() && hasTool('skopeo');
requireToolInCi('docker-registry and skopeo', ready);

describe.skipIf(!ready)('push to an anonymous registry', () => {
  let registry: StartedRegistry;
  let dir: string;
  let cleanup: () => Promise<void>;
  let wasmFile: string;
  const wasm = fakeModule(1024 * 1024);
  const env = () => ({ HOME: dir, XDG_RUNTIME_DIR: path.join(dir, 'run'), REGISTRY_AUTH_FILE: '', DOCKER_CONFIG: path.join(dir, 'docker') });

  beforeAll(async () => {
    registry = await startRegistry();
    ({ dir, cleanup } = await makeTempDir('ciw-push-'));
    process.env.XDG_CACHE_HOME = path.join(dir, 'cache');
    wasmFile = path.join(dir, 'plugin.wasm');
    await writeFile(wasmFile, wasm);
  });
  afterAll(async () => {
    await registry?.stop();
    await cleanup?.();
  });

  it.each(['compat', 'wasm', 'docker'] as const)('pushes the %s variant that skopeo reads and Istio can extract', async (variant) => {
    const image = `${registry.host}/wasm/plugin:${variant}`;
    const pushed = await runCli(['push', image, '--wasm', wasmFile, '--variant', variant, '--json'], { env: env() });
    expect(pushed.stderr).toContain('using plain HTTP for the loopback registry');
    expect(pushed.code, pushed.stderr).toBe(0);
    const out = JSON.parse(pushed.stdout) as { image: string; digest: string; url: string; wasmSha256: string };
    const expected = buildImage(wasm, { variant });
    expect(out).toEqual({ image, digest: expected.manifest.descriptor.digest, url: `oci://${image}`, wasmSha256: expected.manifest.descriptor.digest.slice(7) });
    const checked = await checkWithSkopeo(image, out.digest, path.join(dir, `copy-${variant}`));
    expect(checked.variant).toBe(variant);
    expect(Buffer.from(checked.module).equals(Buffer.from(wasm))).toBe(true);
    const pulled = path.join(dir, `pulled-${variant}.wasm`);
    const pull = await runCli(['pull', image, '-o', pulled], { env: env() });
    expect(pull.code, pull.stderr).toBe(0);
    expect((await readFile(pulled)).equals(Buffer.from(wasm))).toBe(true);
  });

  it('re-pushes an unchanged image with one HEAD request: the tag already names the manifest', async () => {
    const image = `${registry.host}/wasm/plugin:again`;
    expect((await runCli(['push', image, '--wasm', wasmFile], { env: env() })).code).toBe(0);
    const again = await runCli(['--verbose', 'push', image, '--wasm', wasmFile], { env: env() });
    expect(again.code, again.stderr).toBe(0);
    const requests = again.stderr.split('\n').filter((l) => / -> \d{3}$/.test(l));
    expect(requests).toEqual([`HEAD http://${registry.host}/v2/wasm/plugin/manifests/again -> 200`]);
    expect(again.stderr).toContain('already up to date');
  });

  it('uploads large blobs in PATCH chunks, and mounts blobs across repositories', async () => {
    const big = fakeModule(700 * 1024, 7);
    const ref = parseReference(`${registry.host}/wasm/chunked:v1`);
    const lines: string[] = [];
    const pushed = await pushImage(big, ref, { client: { monolithicLimit: 64 * 1024, chunkSize: 100_000 }, log: (l) => lines.push(l) });
    expect(lines.filter((l) => l.startsWith('PATCH')).length).toBeGreaterThanOrEqual(7);
    const checked = await checkWithSkopeo(pushed.image, pushed.digest, path.join(dir, 'copy-chunked'));
    expect(Buffer.from(checked.module).equals(Buffer.from(big))).toBe(true);
    const mounted = await pushImage(big, parseReference(`${registry.host}/other/chunked:v1`), { mountFrom: 'wasm/chunked' });
    expect(mounted.mounted).toBe(2);
    expect(mounted.uploaded).toBe(0);
    await checkWithSkopeo(mounted.image, mounted.digest, path.join(dir, 'copy-mounted'));
  });

  it('packages OCI layouts and archives that skopeo reads and can push', async () => {
    const layoutDir = path.join(dir, 'layout');
    const archive = path.join(dir, 'plugin.tar');
    const a = await runCli(['package', '--wasm', wasmFile, '--output', layoutDir, '--tag', 'v1', '--json']);
    expect(a.code, a.stderr).toBe(0);
    const b = await runCli(['package', '--wasm', wasmFile, '--output', archive, '--tag', 'v1', '--json']);
    expect(b.code, b.stderr).toBe(0);
    const digest = buildImage(wasm).manifest.descriptor.digest;
    expect(JSON.parse(a.stdout)).toMatchObject({ format: 'oci-layout', digest, tag: 'v1' });
    expect(digestOf(new TextEncoder().encode(await skopeo(['inspect', '--raw', `oci:${layoutDir}:v1`])))).toBe(digest);
    expect(digestOf(new TextEncoder().encode(await skopeo(['inspect', '--raw', `oci-archive:${archive}:v1`])))).toBe(digest);
    await skopeo(['copy', '--dest-tls-verify=false', `oci:${layoutDir}:v1`, `docker://${registry.host}/wasm/from-layout:v1`]);
    const checked = await checkWithSkopeo(`${registry.host}/wasm/from-layout:v1`, digest, path.join(dir, 'copy-layout'));
    expect(Buffer.from(checked.module).equals(Buffer.from(wasm))).toBe(true);
    const inspected = await inspectImage(`${layoutDir}:v1`, {});
    expect(inspected).toMatchObject({ variant: 'compat', digest, source: 'layout' });
    const remote = await inspectImage(`${registry.host}/wasm/from-layout:v1`, {});
    expect(remote).toMatchObject({ variant: 'compat', digest, source: 'registry' });
    expect(remote.module.size).toBe(wasm.length);
    expect(await resolveManifestDigest(parseReference(`${registry.host}/wasm/from-layout:v1`), {})).toEqual({ digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', challenge: { scheme: 'none' } });

    // istio-wasm push --layout sends the layout's image as is (same digest as a push of the .wasm).
    for (const [source, name] of [[`${layoutDir}:v1`, 'ours-layout'], [archive, 'ours-archive']] as const) {
      const pushed = await runCli(['push', `${registry.host}/wasm/${name}:v1`, '--layout', source, '--json'], { env: env() });
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(JSON.parse(pushed.stdout)).toMatchObject({ digest, wasmSha256: digest.slice(7) });
      const copied = await checkWithSkopeo(`${registry.host}/wasm/${name}:v1`, digest, path.join(dir, `copy-${name}`));
      expect(Buffer.from(copied.module).equals(Buffer.from(wasm))).toBe(true);
    }
    const wrongTag = await runCli(['push', `${registry.host}/wasm/ours-layout:v2`, '--layout', `${layoutDir}:v9`], { env: env() });
    expect(wrongTag.code).toBe(1);
    expect(wrongTag.stderr).toContain('has no image tagged v9');
  });

  it('never pushes a layout blob that does not match its digest (checked while it is sent)', async () => {
    const layoutDir = path.join(dir, 'layout-altered');
    const big = fakeModule(3 * 1024 * 1024 + 5);
    const bigFile = path.join(dir, 'big.wasm');
    await writeFile(bigFile, big);
    const packaged = await runCli(['package', '--wasm', bigFile, '--output', layoutDir, '--tag', 'v1', '--json']);
    expect(packaged.code, packaged.stderr).toBe(0);
    const layer = JSON.parse(await readFile(path.join(layoutDir, 'blobs', 'sha256', (JSON.parse(packaged.stdout) as { digest: string }).digest.slice(7)), 'utf8')) as { layers: Array<{ digest: string }> };
    const layerFile = path.join(layoutDir, 'blobs', 'sha256', layer.layers[0]!.digest.slice(7));
    const bytes = await readFile(layerFile);
    // One byte changed in the last piece sent, one in the first: the size stays, the digest does not.
    for (const at of [bytes.length - 2, 10]) {
      const altered = Buffer.from(bytes);
      altered[at] = altered[at]! ^ 0xff;
      await writeFile(layerFile, altered);
      const image = `${registry.host}/wasm/altered-${at}:v1`;
      const pushed = await runCli(['push', image, '--layout', `${layoutDir}:v1`], { env: env() });
      expect(pushed.code).toBe(1);
      expect(pushed.stderr).toContain(`blob ${layer.layers[0]!.digest} in ${layoutDir} does not match its digest`);
      const head = await fetch(`http://${registry.host}/v2/wasm/altered-${at}/blobs/${layer.layers[0]!.digest}`, { method: 'HEAD' });
      expect(head.status).toBe(404);
      const tag = await fetch(`http://${registry.host}/v2/wasm/altered-${at}/manifests/v1`, { method: 'HEAD' });
      expect(tag.status).toBe(404);
    }
    await writeFile(layerFile, bytes);
    const intact = await runCli(['push', `${registry.host}/wasm/altered-fixed:v1`, '--layout', `${layoutDir}:v1`], { env: env() });
    expect(intact.code, intact.stderr).toBe(0);
  });

  it('prints plain lines, not redrawn progress, when stderr is not a terminal', async () => {
    const big = fakeModule(6 * 1024 * 1024, 21);
    const file = path.join(dir, 'big-progress.wasm');
    await writeFile(file, big);
    const pushed = await runCli(['push', `${registry.host}/wasm/progress:v1`, '--wasm', file], { env: env() });
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stderr).not.toMatch(/\r|\x1b\[/);
    expect(pushed.stderr).not.toContain('uploading');
    const uploaded = pushed.stderr.split('\n').filter((l) => l.startsWith('  uploaded '));
    expect(uploaded.length).toBe(2);
    expect(uploaded.some((l) => /^  uploaded [0-9a-f]{12} \(6\.0 MiB\)$/.test(l))).toBe(true);
  });

  it('records the last push in a project and warns about a mutable tag with IfNotPresent', async () => {
    const project = path.join(dir, 'project');
    await mkdir(path.join(project, 'build'), { recursive: true });
    await writeFile(path.join(project, 'build', 'plugin.wasm'), wasm);
    await writeFile(
      path.join(project, 'istio-wasm.yaml'),
      `name: demo\nlanguage: assemblyscript\nmodule: build/plugin.wasm\nimage: ${registry.host}/wasm/demo:main\nistio: { version: "1.30" }\nwasmPlugin: { namespace: istio-system, imagePullPolicy: IfNotPresent }\n`,
    );
    const pushed = await runCli(['push'], { cwd: project, env: env() });
    expect(pushed.code, pushed.stderr).toBe(0);
    expect(pushed.stderr).toMatch(/tag "main" is meant to move.*IfNotPresent/);
    expect(pushed.stdout).toContain(`url: oci://${registry.host}/wasm/demo:main`);
    const record = JSON.parse(await readFile(path.join(project, '.istio-wasm', 'last-push.json'), 'utf8')) as Record<string, string>;
    expect(record).toMatchObject({ image: `${registry.host}/wasm/demo:main`, digest: buildImage(wasm, { rootIds: ['demo'] }).manifest.descriptor.digest, url: `oci://${registry.host}/wasm/demo:main` });
    expect(Number.isNaN(Date.parse(record.pushedAt ?? ''))).toBe(false);
    // REPO/IMG override the yaml.
    const viaEnv = await runCli(['push', '--json'], { cwd: project, env: { ...env(), REPO: registry.host, IMG: 'wasm/demo-env:v2' } });
    expect(viaEnv.code, viaEnv.stderr).toBe(0);
    expect(JSON.parse(viaEnv.stdout).image).toBe(`${registry.host}/wasm/demo-env:v2`);
  });

  it('fails in one line with a hint on bad input', async () => {
    const closed = await new Promise<number>((resolve) => {
      const s = net.createServer().listen(0, '127.0.0.1', () => {
        const port = (s.address() as net.AddressInfo).port;
        s.close(() => resolve(port));
      });
    });
    const cases: Array<[string[], RegExp]> = [
      [['push', `127.0.0.1:${closed}/wasm/x:v1`, '--wasm', wasmFile], /cannot connect to the registry 127\.0\.0\.1:\d+: connection refused/],
      [['push', 'no-such-host.invalid:5000/wasm/x:v1', '--wasm', wasmFile], /cannot resolve the registry host no-such-host\.invalid/],
      [['pull', `${registry.host}/wasm/missing:v1`, '-o', path.join(dir, 'x.wasm')], /repository .*wasm\/missing not found|manifest v1 not found/],
      [['push', `${registry.host}/wasm/x:v1`, '--wasm', path.join(dir, 'nope.wasm')], /module .*nope\.wasm does not exist/],
      [['push', `${registry.host}/Bad/x:v1`, '--wasm', wasmFile], /not a valid image reference/],
    ];
    await writeFile(path.join(dir, 'text.wasm'), 'hello, not wasm');
    cases.push([['push', `${registry.host}/wasm/x:v1`, '--wasm', path.join(dir, 'text.wasm')], /is not a WebAssembly module/]);
    for (const [args, message] of cases) {
      const r = await runCli(args, { env: env(), timeoutMs: 60_000 });
      expect(r.code, args.join(' ')).toBe(1);
      const lines = r.stderr.split('\n').filter((l) => l.startsWith('error:') || l.startsWith('hint:'));
      expect(lines.length, r.stderr).toBe(2);
      expect(lines[0]).toMatch(message);
    }
    await skopeoFails(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/wasm/x:v1`]);
    // TLS towards a plain-HTTP registry.
    const client = new RegistryClient(registry.host, { scheme: 'https', retries: 0 });
    await expect(client.ping()).rejects.toThrow(/TLS handshake with 127\.0\.0\.1:\d+ failed: it looks like a plain HTTP registry/);
    expect(existsSync(path.join(dir, 'x.wasm'))).toBe(false);
  });
});
