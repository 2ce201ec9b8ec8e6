import type http from 'node:http';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { writeLayoutDir } from '../../../src/oci/layout.js';
import { buildImage } from '../../../src/oci/image.js';
import { pushImage, pushLayout } from '../../../src/oci/push.js';
import { parseReference } from '../../../src/oci/reference.js';
import { hasRegistry, hasTool, startRegistry, type StartedRegistry } from '../../helpers/registry.js';
import { makeTempDir, requireToolInCi } from '../../helpers/tmp.js';
import { startProxy, type Interceptor, type TestProxy } from './proxy.js';
import { checkWithSkopeo, fakeModule } from './support.js';

const ready = hasRegistry() && hasTool('skopeo');
requireToolInCi('docker-registry and skopeo', ready);

/**
 * A push that expects to upload (a manifest it has not pushed to that repository before) opens the
 * blobs' upload sessions while it asks which blobs the registry has, so an upload does not wait one
 * more round trip; sessions of blobs the registry turns out to have are cancelled, and a re-push
 * only asks.
 */
describe.skipIf(!ready)('upload sessions opened while the registry is asked', () => {
  let registry: StartedRegistry;
  let proxy: TestProxy | undefined;
  let dir: string;
  let cleanup: () => Promise<void>;
  const isBlobHead = (req: http.IncomingMessage) => req.method === 'HEAD' && (req.url ?? '').includes('/blobs/sha256:');
  const isSessionPost = (req: http.IncomingMessage) => req.method === 'POST' && (req.url ?? '').includes('/blobs/uploads/');
  const uploadRequests = (p: TestProxy) => p.requests.filter((r) => r.url.includes('/blobs/uploads/')).map((r) => r.method);

  beforeAll(async () => {
    registry = await startRegistry();
    ({ dir, cleanup } = await makeTempDir('ciw-sessions-'));
  });
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });
  afterAll(async () => {
    await registry?.stop();
    await cleanup?.();
  });

  const through = async (intercept: Interceptor) => {
    proxy = await startProxy(registry.url, { intercept });
    return proxy;
  };
  /** A fresh cache: no record of earlier pushes. */
  const freshCache = async (name: string) => {
    process.env.XDG_CACHE_HOME = path.join(dir, `cache-${name}`);
    await rm(process.env.XDG_CACHE_HOME, { recursive: true, force: true });
  };

  it('opens both sessions before any blob HEAD is answered, uploads through them, then re-pushes with HEADs only', async () => {
    await freshCache('first');
    const wasm = fakeModule(2 * 1024 * 1024 + 3, 21);
    const layout = path.join(dir, 'layout-first');
    await writeLayoutDir(layout, buildImage(wasm), 'v1');
    // The blob HEADs are answered only once both sessions are asked for (or after 5 s, which a
    // push that opens sessions only after the HEADs would wait for, and which the test refuses).
    let posts = 0;
    let waitedOut = false;
    const released: Array<() => void> = [];
    const p = await through(async (req) => {
      if (isSessionPost(req) && ++posts === 2) for (const release of released.splice(0)) release();
      if (isBlobHead(req) && posts < 2) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(() => {
            waitedOut = true;
            resolve();
          }, 5_000);
          released.push(() => {
            clearTimeout(timer);
            resolve();
          });
        });
      }
      return 'forward' as const;
    });
    const ref = parseReference(`${p.host}/wasm/sessions:v1`);
    const pushed = await pushLayout(layout, 'v1', ref, {});
    expect(waitedOut).toBe(false);
    expect(pushed).toMatchObject({ uploaded: 2, skipped: 0 });
    expect(uploadRequests(p).sort()).toEqual(['POST', 'POST', 'PUT', 'PUT']);
    const copied = await checkWithSkopeo(pushed.image, pushed.digest, path.join(dir, 'copy-first'));
    expect(Buffer.from(copied.module).equals(Buffer.from(wasm))).toBe(true);

    // Pushed from here before: the re-push asks what the tag names, and that answers it (one HEAD).
    p.requests.length = 0;
    const again = await pushLayout(layout, 'v1', ref, {});
    expect(again).toMatchObject({ uploaded: 0, skipped: 2, manifestUnchanged: true, digest: pushed.digest });
    expect(p.requests.map((r) => `${r.method} ${r.url}`)).toEqual(['HEAD /v2/wasm/sessions/manifests/v1']);
    // The same image under a new tag: the tag names nothing yet, so the blobs are asked about (no sessions: they are expected there).
    p.requests.length = 0;
    const tagged = await pushLayout(layout, 'v1', parseReference(`${p.host}/wasm/sessions:v2`), {});
    expect(tagged).toMatchObject({ uploaded: 0, skipped: 2, manifestUnchanged: false, digest: pushed.digest });
    expect(p.requests.map((r) => r.method).sort()).toEqual(['HEAD', 'HEAD', 'HEAD', 'PUT']);
  });

  it('cancels the sessions of blobs the registry already has', async () => {
    const wasm = fakeModule(700 * 1024, 22);
    await freshCache('cancel-1');
    const ref = parseReference(`${registry.host}/wasm/cancel:v1`);
    await pushImage(wasm, ref, {});
    // Another machine (no record, no image cache) pushes the same image under a new tag.
    await freshCache('cancel-2');
    const p = await through(() => 'forward');
    const pushed = await pushImage(wasm, parseReference(`${p.host}/wasm/cancel:v2`), {});
    expect(pushed).toMatchObject({ uploaded: 0, skipped: 2 });
    expect(uploadRequests(p).sort()).toEqual(['DELETE', 'DELETE', 'POST', 'POST']);
    const deleted = p.requests.filter((r) => r.method === 'DELETE').map((r) => new URL(r.url, 'http://x').pathname);
    for (const session of deleted) expect((await fetch(`${registry.url}${session}`)).status).toBe(404);
  });

  it('pushes when the registry refuses the early sessions but has the blobs, and says why when it lacks them', async () => {
    const wasm = fakeModule(500 * 1024, 23);
    await freshCache('refuse-1');
    await pushImage(wasm, parseReference(`${registry.host}/wasm/refuse:v1`), {});
    await freshCache('refuse-2');
    const denied = { status: 403, headers: { 'content-type': 'application/json' }, body: '{"errors":[{"code":"DENIED","message":"uploads are closed"}]}' };
    const p = await through((req) => (isSessionPost(req) ? denied : 'forward'));
    const pushed = await pushImage(wasm, parseReference(`${p.host}/wasm/refuse:v2`), {});
    expect(pushed).toMatchObject({ uploaded: 0, skipped: 2 });

    await freshCache('refuse-3');
    const error = await pushImage(fakeModule(500 * 1024, 24), parseReference(`${p.host}/wasm/refuse:v3`), {}).then(
      () => new Error('pushed'),
      (e: unknown) => e as Error,
    );
    expect(error.message).toMatch(/denied|403/i);
    expect((await fetch(`${registry.url}/v2/wasm/refuse/manifests/v3`, { method: 'HEAD' })).status).toBe(404);
  });
});
