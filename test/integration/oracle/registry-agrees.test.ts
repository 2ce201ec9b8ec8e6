import http from 'node:http';
import { lookup } from 'node:dns/promises';
import os from 'node:os';
import type { AddressInfo } from 'node:net';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { parseChallenges } from '../../../src/oci/challenge.js';
import { agentRefusal } from '../../../src/istio/registry-trap.js';
import { runCli } from '../../helpers/cli.js';
import { startOracle, type Oracle } from '../../helpers/oracle.js';
import { hasRegistry, startRegistry, type StartedRegistry } from '../../helpers/registry.js';
import { makeTempDir, requireToolInCi } from '../../helpers/tmp.js';
import { startProxy } from '../oci/proxy.js';
import { fakeModule } from '../oci/support.js';

/**
 * What `push` writes is what the istio-agent pulls: every image variant, from the .wasm and from
 * a layout, after a re-push, fetched by istio/istio pkg/wasm (the agent's image fetcher and module
 * cache) yields the module byte for byte under the digest `manifest --pin` wrote. And `push` and
 * `manifest --pin` warn about the registry exactly when that fetcher refuses it.
 */
requireToolInCi('docker-registry', hasRegistry());

let oracle: Oracle;
let tmp: { dir: string; cleanup: () => Promise<void> };
let project: string;
const wasm = fakeModule(300 * 1024, 11);
const env = () => ({ HOME: tmp.dir, XDG_RUNTIME_DIR: path.join(tmp.dir, 'run'), XDG_CACHE_HOME: path.join(tmp.dir, 'cache'), REGISTRY_AUTH_FILE: '', DOCKER_CONFIG: path.join(tmp.dir, 'docker') });

beforeAll(async () => {
  oracle = await startOracle();
  tmp = await makeTempDir('ciw-oracle-registry-');
  const created = await runCli(['plug', '--yes', '--no-install', '--no-git'], { bin: 'create-istio-wasm', cwd: tmp.dir, env: env() });
  if (created.code !== 0) throw new Error(created.stderr);
  project = path.join(tmp.dir, 'plug');
  const config = parse(await readFile(path.join(project, 'istio-wasm.yaml'), 'utf8')) as { module: string };
  await mkdir(path.dirname(path.join(project, config.module)), { recursive: true });
  await writeFile(path.join(project, config.module), wasm);
}, 45 * 60_000);
afterAll(async () => {
  await oracle?.stop();
  await tmp?.cleanup();
});

interface Pinned {
  sha256: string;
  registryTrap: boolean;
}

async function pin(image: string, extra: string[] = []): Promise<Pinned> {
  const r = await runCli(['manifest', '--pin', '--image', image, '--output', path.join(project, 'deploy', 'pinned.yaml'), '--json', ...extra], { cwd: project, env: env() });
  expect(r.code, r.stderr).toBe(0);
  const out = JSON.parse(r.stdout) as { sha256: string; pin: { registryTrap: boolean } };
  return { sha256: out.sha256, registryTrap: out.pin.registryTrap };
}

describe.skipIf(!hasRegistry())('push and manifest --pin agree with the istio-agent (Istio\'s own code)', () => {
  let registry: StartedRegistry;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => {
    await registry?.stop();
  });

  it.each(['compat', 'wasm', 'docker'] as const)('the %s variant, from the .wasm, from a layout, and re-pushed', async (variant) => {
    const fromWasm = `${registry.host}/wasm/plug:${variant}`;
    const layout = path.join(tmp.dir, `layout-${variant}`);
    const packaged = await runCli(['package', '--variant', variant, '--output', layout, '--tag', 'v1'], { cwd: project, env: env() });
    expect(packaged.code, packaged.stderr).toBe(0);
    const fromLayout = `${registry.host}/wasm/plug-layout:${variant}`;
    const pushes: Array<[string, string[]]> = [
      [fromWasm, ['push', fromWasm, '--variant', variant, '--json']],
      [fromLayout, ['push', fromLayout, '--layout', `${layout}:v1`, '--json']],
      [fromWasm, ['push', fromWasm, '--variant', variant, '--json']], // re-push: nothing new to upload
    ];
    for (const [image, args] of pushes) {
      const pushed = await runCli(args, { cwd: project, env: env() });
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(pushed.stderr).not.toMatch(/cannot pull from this registry/);
      const { digest } = JSON.parse(pushed.stdout) as { digest: string };
      const pinned = await pin(image);
      expect(pinned.sha256).toBe(digest.slice('sha256:'.length));
      expect(pinned.registryTrap).toBe(false);
      const fetched = await oracle.fetch(image, { sha256: pinned.sha256 });
      expect(fetched.error, `${variant} ${args.join(' ')}`).toBeUndefined();
      expect(fetched).toMatchObject({ ok: true, refused: false, digest, pinned: true });
      expect(Buffer.from(fetched.module!, 'base64').equals(Buffer.from(wasm))).toBe(true);
    }
  });

  it('the agent refuses a wrong pin, as the WasmPlugin would fail', async () => {
    const image = `${registry.host}/wasm/plug:compat`;
    const fetched = await oracle.fetch(image, { sha256: 'b'.repeat(64) });
    expect(fetched.pinned).toBe(false);
    expect(fetched.pinnedError).toMatch(/checksum|digest/i);
  });
});

describe.skipIf(!hasRegistry())('the registry trap: warned exactly when the agent refuses', () => {
  it('a Basic (htpasswd) registry: refused, and push and manifest --pin say so', async () => {
    const registry = await startRegistry({ htpasswd: { user: 'u', pass: 'p' } });
    try {
      const image = `${registry.host}/wasm/plug:v1`;
      const pushed = await runCli(['push', image, '--creds', 'u:p'], { cwd: project, env: env() });
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(pushed.stderr).toMatch(/cannot pull from this registry/);
      expect((await pin(image, ['--creds', 'u:p'])).registryTrap).toBe(true);
      const secret = JSON.stringify({ auths: { [registry.host]: { auth: Buffer.from('u:p').toString('base64') } } });
      const fetched = await oracle.fetch(image, { pullSecret: secret });
      expect(fetched).toMatchObject({ ok: false, refused: true });
    } finally {
      await registry.stop();
    }
  });

  /** A host name (not an IP literal) that this machine resolves to 127.0.0.1, for both Node and Go. */
  async function loopbackName(): Promise<string | undefined> {
    for (const name of [os.hostname(), 'localhost.localdomain']) {
      if (name === 'localhost') continue;
      const address = await lookup(name, { family: 4 }).then((a) => a.address, () => undefined);
      if (address === '127.0.0.1') return name;
    }
    return undefined;
  }

  it.each([
    ['an IP literal, 127.0.0.1', true],
    ['a host name that resolves to 127.0.0.1', false], // the agent does not resolve it
  ])('a Bearer token server whose realm names %s', async (what, refused) => {
    const realmHost = refused ? '127.0.0.1' : await loopbackName();
    const registry = await startRegistry();
    // Without such a name here, the realm `localhost.` (Go resolves it, glibc does not): the agent's answer alone.
    const proxy = await startProxy(registry.url, { bearer: { user: 'u', pass: 'p' }, realmHost: realmHost ?? 'localhost.' });
    try {
      const image = `${proxy.host}/wasm/plug:v1`;
      const secret = JSON.stringify({ auths: { [proxy.host]: { auth: Buffer.from('u:p').toString('base64') } } });
      if (realmHost === undefined) {
        await runCli(['push', image, '--creds', 'u:p'], { cwd: project, env: env() });
        const fetched = await oracle.fetch(image, { pullSecret: secret });
        expect(fetched.refused, fetched.error).toBe(false);
        expect(agentRefusal({ scheme: 'bearer', realm: `http://localhost.:${proxy.url.split(':')[2]}/token` })).toBeUndefined();
        return;
      }
      const pushed = await runCli(['push', image, '--creds', 'u:p'], { cwd: project, env: env() });
      expect(pushed.code, pushed.stderr).toBe(0);
      expect(/cannot pull from this registry/.test(pushed.stderr), what).toBe(refused);
      const pinned = await pin(image, ['--creds', 'u:p']);
      expect(pinned.registryTrap).toBe(refused);
      const fetched = await oracle.fetch(image, { pullSecret: secret, sha256: pinned.sha256 });
      expect(fetched.refused, fetched.error).toBe(refused);
      if (!refused) {
        expect(fetched).toMatchObject({ ok: true, pinned: true });
        expect(Buffer.from(fetched.module!, 'base64').equals(Buffer.from(wasm))).toBe(true);
      }
    } finally {
      await proxy.stop();
      await registry.stop();
    }
  });

  it('every kind of realm: our reading of the challenge against the agent\'s guard', async () => {
    let challenge = '';
    const server = http.createServer((_req, res) => {
      res.writeHead(401, { 'www-authenticate': challenge, 'content-type': 'application/json' }).end('{"errors":[{"code":"UNAUTHORIZED"}]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as AddressInfo).port;
    const challenges = [
      'Basic realm="Registry Realm"',
      'Basic realm="test-registry"',
      'Basic',
      'Basic realm=""',
      'Bearer realm="http://127.0.0.1:5001/token",service="r"',
      'Bearer realm="https://localhost/token"',
      'Bearer realm="https://LOCALHOST/token"',
      'Bearer realm="http://localhost./token"',
      'Bearer realm="http://registry.localhost/token"',
      'Bearer realm="http://10.1.2.3/token"',
      'Bearer realm="http://172.16.0.1/token"',
      'Bearer realm="http://172.32.0.1/token"',
      'Bearer realm="http://192.168.1.20/token"',
      'Bearer realm="http://100.64.0.1/token"',
      'Bearer realm="http://0.0.0.0/token"',
      'Bearer realm="http://127.1/token"',
      'Bearer realm="http://169.254.169.254/token"',
      'Bearer realm="http://metadata.google.internal/token"',
      'Bearer realm="http://[::1]/token"',
      'Bearer realm="http://[fe80::1]/token"',
      'Bearer realm="http://[fc00::1]/token"',
      'Bearer realm="http://[::ffff:127.0.0.1]/token"',
      'Bearer realm="http://[::ffff:8.8.8.8]/token"',
      'Bearer realm="http://[::]/token"',
      'Bearer realm="ftp://auth.example.invalid/token"',
      'Bearer realm="HTTPS://auth.example.invalid/token"',
      'Bearer realm="http:///token"',
      'Bearer realm="//auth.example.invalid/token"',
      'Bearer realm="https://auth.example.invalid/token",service="registry"',
      'Bearer realm="https://user:pw@auth.example.invalid/token"',
    ];
    const disagreements: string[] = [];
    try {
      for (const c of challenges) {
        challenge = c;
        const parsed = parseChallenges(c)[0];
        const scheme = parsed?.scheme === 'bearer' ? 'bearer' : 'basic';
        const ours = agentRefusal({ scheme, realm: parsed?.params.realm, service: parsed?.params.service });
        const agent = await oracle.fetch(`127.0.0.1:${port}/wasm/x:v1`);
        if (agent.ok) throw new Error(`the agent pulled from a registry that only answers 401 (${c})`);
        if (Boolean(ours) !== agent.refused) disagreements.push(`${c}: ours ${ours ?? 'passes'}; agent ${agent.refused ? 'refuses' : 'passes'} (${agent.error})`);
      }
    } finally {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    expect(disagreements).toEqual([]);
  }, 5 * 60_000);
});
