import { spawn } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { pushImage } from '../../../src/oci/push.js';
import { pullModule } from '../../../src/oci/pull.js';
import { parseReference } from '../../../src/oci/reference.js';
import { istioWasmBin } from '../../helpers/cli.js';
import { hasRegistry, hasTool, startRegistry, type StartedRegistry } from '../../helpers/registry.js';
import { makeTempDir, requireToolInCi } from '../../helpers/tmp.js';
import { startProxy, type Interceptor, type TestProxy } from './proxy.js';
import { checkWithSkopeo, fakeModule, skopeoFails } from './support.js';

const ready = hasRegistry() && hasTool('skopeo');
requireToolInCi('docker-registry and skopeo', ready);

describe.skipIf(!ready)('registry faults', () => {
  let registry: StartedRegistry;
  let proxy: TestProxy | undefined;
  let dir: string;
  let cleanup: () => Promise<void>;
  const wasm = fakeModule(300 * 1024, 5);
  const isBlobPut = (req: http.IncomingMessage) => req.method === 'PUT' && (req.url ?? '').includes('/blobs/uploads/');

  beforeAll(async () => {
    registry = await startRegistry();
    ({ dir, cleanup } = await makeTempDir('ciw-faults-'));
    process.env.XDG_CACHE_HOME = path.join(dir, 'cache');
  });
  afterEach(async () => {
    await proxy?.stop();
    proxy = undefined;
  });
  afterAll(async () => {
    await registry?.stop();
    await cleanup?.();
  });

  const through = async (intercept: Interceptor, bearer?: { user: string; pass: string }) => {
    proxy = await startProxy(registry.url, { intercept, ...(bearer ? { bearer } : {}) });
    return proxy;
  };

  it('retries 5xx with backoff, then succeeds', async () => {
    let failures = 0;
    const p = await through((req) => (isBlobPut(req) && failures++ < 2 ? { status: 503, body: '{"errors":[{"code":"UNAVAILABLE","message":"busy"}]}' } : 'forward'));
    const pushed = await pushImage(wasm, parseReference(`${p.host}/wasm/retry:v1`), {});
    // Two blobs (layer and config): two answered 503, then every blob went through.
    expect(failures).toBe(4);
    expect(p.requests.filter((r) => r.method === 'PUT' && r.url.includes('/blobs/uploads/')).length).toBe(4);
    await checkWithSkopeo(pushed.image, pushed.digest, path.join(dir, 'copy-retry'));
  });

  it('does not retry 4xx: 413 becomes one line with a hint, and no tag', async () => {
    const p = await through((req) => (isBlobPut(req) ? { status: 413, body: 'too big' } : 'forward'));
    const error = (await pushImage(wasm, parseReference(`${p.host}/wasm/big:v1`), {}).then(
      () => new Error('pushed'),
      (e: unknown) => e,
    )) as Error & { hint?: string };
    expect(error.message).toMatch(/refused upload of sha256:[0-9a-f]{12} as too large \(413\)/);
    expect(error.hint).toMatch(/client_max_body_size/);
    expect(p.requests.filter((r) => r.method === 'PUT').length).toBe(2);
    expect(p.requests.some((r) => r.url.includes('/manifests/') && r.method === 'PUT')).toBe(false);
  });

  /** A proxy that breaks the second PATCH after 100 KiB reached the registry. */
  const breakSecondPatch = (how: 'truncate' | 'stateless') => {
    const ranges: string[] = [];
    const state = { broken: false, fresh: '' };
    const intercept: Interceptor = async (req, body) => {
      if (how === 'stateless' && req.method === 'GET' && state.fresh && (req.url ?? '').includes('/blobs/uploads/')) {
        // A registry whose upload URL holds no state: the old URL still names the session.
        const status = await new Promise<http.IncomingMessage>((resolve) => http.get(`${registry.url}${state.fresh}`, { headers: { host: req.headers.host ?? '' } }, resolve));
        status.resume();
        state.fresh = '';
        return { status: status.statusCode ?? 502, headers: { range: String(status.headers.range), location: String(status.headers.location) } };
      }
      if (req.method !== 'PATCH') return 'forward';
      ranges.push(String(req.headers['content-range']));
      if (state.broken || ranges.length < 2) return 'forward';
      state.broken = true;
      const start = Number(String(req.headers['content-range']).split('-')[0]);
      const kept = body.subarray(0, 100 * 1024);
      await new Promise<void>((resolve) => {
        const headers: http.OutgoingHttpHeaders = { host: req.headers.host ?? '', 'content-type': 'application/octet-stream' };
        if (how === 'stateless') Object.assign(headers, { 'content-range': `${start}-${start + kept.length - 1}`, 'content-length': kept.length });
        else Object.assign(headers, { 'content-range': req.headers['content-range'], 'content-length': body.length });
        const up = http.request(`${registry.url}${req.url ?? ''}`, { method: 'PATCH', headers }, (res) => {
          state.fresh = new URL(String(res.headers.location), registry.url).pathname + new URL(String(res.headers.location), registry.url).search;
          res.resume();
          res.on('end', resolve);
        });
        up.on('error', () => resolve());
        if (how === 'stateless') up.end(kept);
        else {
          // The registry sees the PATCH end early, as it would when the client's connection drops.
          up.write(kept, () => setTimeout(() => {
            up.destroy();
            resolve();
          }, 50));
        }
      });
      req.socket.destroy();
      return 'hang';
    };
    return { intercept, ranges, state };
  };

  it('resumes a chunked upload after a connection reset mid-PATCH, from the byte the registry reports', async () => {
    const module = fakeModule(700 * 1024, 11);
    const fault = breakSecondPatch('stateless');
    const p = await through(fault.intercept);
    const lines: string[] = [];
    const pushed = await pushImage(module, parseReference(`${p.host}/wasm/resume:v1`), { client: { monolithicLimit: 64 * 1024, chunkSize: 256 * 1024 }, log: (l) => lines.push(l) });
    expect(fault.state.broken).toBe(true);
    // Chunk 2 (256-512 KiB) broke after 100 KiB: a GET of the session, then a PATCH from 356 KiB.
    expect(fault.ranges.slice(0, 3)).toEqual([`0-${256 * 1024 - 1}`, `${256 * 1024}-${512 * 1024 - 1}`, `${356 * 1024}-${612 * 1024 - 1}`]);
    expect(p.requests.filter((r) => r.method === 'GET' && r.url.includes('/blobs/uploads/')).length).toBe(1);
    expect(lines.some((l) => /resuming upload of sha256:[0-9a-f]{12} at byte 364544 after ECONNRESET/.test(l))).toBe(true);
    const checked = await checkWithSkopeo(pushed.image, pushed.digest, path.join(dir, 'copy-resume'));
    expect(Buffer.from(checked.module).equals(Buffer.from(module))).toBe(true);
  });

  it('restarts the blob in a new session when the CNCF registry cannot resume a broken PATCH', async () => {
    const module = fakeModule(700 * 1024, 12);
    const fault = breakSecondPatch('truncate');
    const p = await through(fault.intercept);
    const lines: string[] = [];
    const pushed = await pushImage(module, parseReference(`${p.host}/wasm/restart:v1`), { client: { monolithicLimit: 64 * 1024, chunkSize: 256 * 1024 }, log: (l) => lines.push(l) });
    expect(fault.state.broken).toBe(true);
    expect(p.requests.filter((r) => r.method === 'GET' && r.url.includes('/blobs/uploads/')).length).toBe(1);
    expect(lines.some((l) => /restarting upload of sha256:[0-9a-f]{12} in a new session after ECONNRESET/.test(l)), lines.join('\n')).toBe(true);
    const checked = await checkWithSkopeo(pushed.image, pushed.digest, path.join(dir, 'copy-restart'));
    expect(Buffer.from(checked.module).equals(Buffer.from(module))).toBe(true);
  });

  it('follows redirects without sending Authorization to another host', async () => {
    const seen: Array<string | undefined> = [];
    const blobStore = http.createServer((req, res) => {
      seen.push(req.headers.authorization);
      http.get(`${registry.url}${req.url ?? ''}`, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
    });
    await new Promise<void>((r) => blobStore.listen(0, '127.0.0.1', r));
    const storeUrl = `http://127.0.0.1:${(blobStore.address() as AddressInfo).port}`;
    const auth = { user: 'u', pass: 'redirect-secret' };
    const p = await through((req) => (req.method === 'GET' && (req.url ?? '').includes('/blobs/sha256:') && req.headers.authorization ? { status: 307, headers: { location: `${storeUrl}${req.url}` } } : 'forward'), auth);
    const ref = parseReference(`${p.host}/wasm/redirect:v1`);
    await pushImage(wasm, ref, { creds: 'u:redirect-secret' });
    const pulled = await pullModule(ref, { creds: 'u:redirect-secret' });
    expect(Buffer.from(pulled.bytes).equals(Buffer.from(wasm))).toBe(true);
    expect(seen.length).toBeGreaterThan(0);
    expect(seen.every((a) => a === undefined)).toBe(true);
    expect(p.requests.some((r) => r.url.includes('/blobs/sha256:') && r.method === 'GET' && r.authorization?.startsWith('Bearer '))).toBe(true);
    await new Promise<void>((r) => blobStore.close(() => r()));
  });

  it('Ctrl-C during a push cancels the upload and leaves no tag', async () => {
    const big = fakeModule(6 * 1024 * 1024, 9);
    const file = path.join(dir, 'big.wasm');
    await writeFile(file, big);
    let onHang: () => void = () => undefined;
    const hung = new Promise<void>((resolve) => (onHang = resolve));
    const p = await through((req, body) => {
      if (isBlobPut(req) && body.length > 1024 * 1024) {
        onHang();
        return 'hang';
      }
      return 'forward';
    });
    const image = `${p.host}/wasm/cancel:v1`;
    const child = spawn(process.execPath, [istioWasmBin, 'push', image, '--wasm', file], { env: { ...process.env, CI: 'true', NO_COLOR: '1' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    await hung;
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toContain('Operation cancelled');
    expect(p.requests.some((r) => r.method === 'DELETE' && r.url.includes('/blobs/uploads/'))).toBe(true);
    expect(p.requests.some((r) => r.url.includes('/manifests/') && r.method === 'PUT')).toBe(false);
    await skopeoFails(['inspect', '--raw', '--tls-verify=false', `docker://${registry.host}/wasm/cancel:v1`]);
  });
});
