import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushImage } from '../../../src/oci/push.js';
import { pullModule } from '../../../src/oci/pull.js';
import { parseReference } from '../../../src/oci/reference.js';
import { createTar } from '../../../src/oci/tar.js';
import { digestOf } from '../../../src/oci/image.js';
import { mediaTypes } from '../../../src/oci/media-types.js';
import { runCli } from '../../helpers/cli.js';
import { hasRegistry, startRegistry, type StartedRegistry } from '../../helpers/registry.js';
import { makeTempDir, requireToolInCi } from '../../helpers/tmp.js';
import { startProxy, type Interceptor, type TestProxy } from './proxy.js';
import { fakeModule } from './support.js';

// The OCI client against registries (and images) that misbehave: credentials never leave the
// registry's origin, sizes are bounded, a hostile tar writes nothing but `pull -o`'s file, and a
// registry failing mid-upload gets a bounded number of retries and no tag.
const ready = hasRegistry();
requireToolInCi('docker-registry', ready);

describe.skipIf(!ready)('a hostile registry', () => {
  let registry: StartedRegistry;
  let tmp: { dir: string; cleanup: () => Promise<void> };
  const proxies: TestProxy[] = [];
  const wasm = fakeModule(64 * 1024, 9);
  const auth = { user: 'u', pass: 'hostile-secret' };
  const creds = `${auth.user}:${auth.pass}`;

  beforeAll(async () => {
    [registry, tmp] = await Promise.all([startRegistry(), makeTempDir('ciw-hostile-registry-')]);
    process.env.XDG_CACHE_HOME = path.join(tmp.dir, 'cache');
  });
  afterAll(async () => {
    await Promise.all(proxies.map((p) => p.stop()));
    await registry?.stop();
    await tmp?.cleanup();
  });
  /** A Bearer-protected proxy in front of the registry that answers what `intercept` says. */
  const through = async (intercept: Interceptor) => {
    const p = await startProxy(registry.url, { intercept, bearer: auth });
    proxies.push(p);
    return p;
  };

  it('sends Authorization to no other host, and not back to the registry after a hop left it', async () => {
    const seenElsewhere: Array<string | undefined> = [];
    const backHop: Array<string | undefined> = [];
    let registryHost = '';
    const other = http.createServer((req, res) => {
      seenElsewhere.push(req.headers.authorization);
      // ... and sends the client back to the registry.
      res.writeHead(307, { location: `http://${registryHost}${req.url ?? '/'}${(req.url ?? '').includes('?') ? '&' : '?'}back=1` });
      res.end();
    });
    await new Promise<void>((r) => other.listen(0, '127.0.0.1', r));
    const otherUrl = `http://127.0.0.1:${(other.address() as AddressInfo).port}`;
    const p = await through((req) => {
      const url = req.url ?? '';
      if (url.includes('back=1')) {
        backHop.push(req.headers.authorization);
        return { status: 404, body: '{"errors":[{"code":"MANIFEST_UNKNOWN","message":"gone"}]}' };
      }
      if (req.method === 'GET' && url.includes('/manifests/') && req.headers.authorization) return { status: 307, headers: { location: `${otherUrl}${url}` } };
      return 'forward';
    });
    registryHost = p.host;
    const ref = parseReference(`${p.host}/wasm/redirect:v1`);
    await pushImage(wasm, ref, { creds });
    await expect(pullModule(ref, { creds })).rejects.toThrow();
    expect(seenElsewhere.length).toBeGreaterThan(0);
    expect(seenElsewhere.every((a) => a === undefined)).toBe(true);
    expect(backHop.length).toBeGreaterThan(0);
    expect(backHop.every((a) => a === undefined)).toBe(true);
    await new Promise<void>((r) => other.close(() => r()));
  });

  it('refuses a manifest over 4 MiB and a blob longer than advertised, without buffering them', async () => {
    const ref = parseReference(`${registry.host}/wasm/sizes:v1`);
    await pushImage(wasm, ref, {});
    const huge = `{"schemaVersion":2,"pad":"${'x'.repeat(5 * 1024 * 1024)}"}`;
    const p1 = await through((req) => (req.method === 'GET' && (req.url ?? '').includes('/manifests/') ? { status: 200, headers: { 'content-type': mediaTypes.ociManifest }, body: huge } : 'forward'));
    await expect(pullModule(parseReference(`${p1.host}/wasm/sizes:v1`), { creds })).rejects.toMatchObject({ code: 'TOO_LARGE', message: expect.stringMatching(/manifest v1 .* larger than 4194304 bytes/) });
    const p2 = await through((req) => (req.method === 'GET' && (req.url ?? '').includes('/blobs/sha256:') ? { status: 200, body: 'y'.repeat(wasm.byteLength + 4096) } : 'forward'));
    await expect(pullModule(parseReference(`${p2.host}/wasm/sizes:v1`), { creds })).rejects.toMatchObject({ code: 'TOO_LARGE', message: expect.stringMatching(/advertised as \d+ bytes/) });
  });

  it('retries a registry failing mid-upload a bounded number of times, then fails with no tag', async () => {
    const p = await through((req) => (req.method === 'PATCH' || (req.method === 'PUT' && (req.url ?? '').includes('/blobs/uploads/')) ? { status: 503, body: '{"errors":[{"code":"UNAVAILABLE","message":"down"}]}' } : 'forward'));
    const ref = parseReference(`${p.host}/wasm/down:v1`);
    await expect(pushImage(wasm, ref, { creds })).rejects.toThrow(/503|unavailable/i);
    const uploads = p.requests.filter((r) => (r.method === 'PUT' || r.method === 'PATCH') && r.url.includes('/blobs/uploads/'));
    // Two blobs (config and layer), each tried 1 + 3 times at most.
    expect(uploads.length).toBeGreaterThan(0);
    expect(uploads.length).toBeLessThanOrEqual(2 * 4);
    expect(p.requests.some((r) => r.method === 'PUT' && r.url.includes('/manifests/'))).toBe(false);
  });
});

/** A tar header turned into a symbolic link (typeflag '2', link name, checksum recomputed). */
function symlinkEntry(name: string, target: string): Uint8Array {
  const tar = createTar([{ name, data: new Uint8Array(0) }]);
  const header = tar.slice(0, 512);
  header[156] = 0x32;
  header.set(new TextEncoder().encode(target), 157);
  header.fill(0x20, 148, 156);
  const sum = header.reduce((n, b) => n + b, 0);
  header.set(new TextEncoder().encode(`${sum.toString(8).padStart(6, '0')}\0 `), 148);
  return header;
}

describe('pull -o with a hostile layer (../ paths, links, duplicates)', () => {
  it('writes the first regular plugin.wasm to the output file and nothing else anywhere', async () => {
    const { dir, cleanup } = await makeTempDir('ciw-hostile-tar-');
    try {
      const first = fakeModule(4096, 21);
      const second = fakeModule(4096, 22);
      const files = createTar([
        { name: '../../escape/plugin.wasm', data: first },
        { name: 'plugin.wasm', data: second },
        { name: '../outside.txt', data: new TextEncoder().encode('nope') },
        { name: '/etc/absolute.txt', data: new TextEncoder().encode('nope') },
      ]);
      // A link named plugin.wasm first: never followed, never taken as the module.
      const tar = new Uint8Array([...symlinkEntry('plugin.wasm', '/etc/passwd'), ...files]);
      const layer = gzipSync(tar);
      const config = new TextEncoder().encode('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}');
      const manifest = new TextEncoder().encode(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: mediaTypes.ociManifest,
          config: { mediaType: mediaTypes.ociConfig, digest: digestOf(config), size: config.byteLength },
          layers: [{ mediaType: mediaTypes.ociLayerTarGzip, digest: digestOf(layer), size: layer.byteLength }],
        }),
      );
      const layout = path.join(dir, 'deep', 'layout');
      await mkdir(path.join(layout, 'blobs', 'sha256'), { recursive: true });
      for (const blob of [layer, config, manifest]) await writeFile(path.join(layout, 'blobs', 'sha256', digestOf(blob).slice(7)), blob);
      await writeFile(path.join(layout, 'oci-layout'), '{"imageLayoutVersion":"1.0.0"}');
      await writeFile(
        path.join(layout, 'index.json'),
        JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: mediaTypes.ociManifest, digest: digestOf(manifest), size: manifest.byteLength, annotations: { 'org.opencontainers.image.ref.name': 'v1' } }] }),
      );
      const before = await listAll(dir);
      const out = path.join(dir, 'deep', 'out', 'plugin.wasm');
      await mkdir(path.dirname(out));
      const r = await runCli(['pull', `${layout}:v1`, '-o', out]);
      expect(r.code, r.stderr).toBe(0);
      expect(Buffer.from(await readFile(out)).equals(Buffer.from(first))).toBe(true);
      expect((await listAll(dir)).filter((f) => !before.includes(f))).toEqual(['deep/out/plugin.wasm']);
    } finally {
      await cleanup();
    }
  });
});

async function listAll(root: string, sub = ''): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(path.join(root, sub), { withFileTypes: true })) {
    const rel = sub ? `${sub}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...(await listAll(root, rel)));
    else out.push(rel);
  }
  return out.sort();
}
