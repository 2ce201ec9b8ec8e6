import { readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pushImage } from '../../../src/oci/push.js';
import { parseReference } from '../../../src/oci/reference.js';
import { resolveManifestDigest } from '../../../src/oci/resolve.js';
import { runCli } from '../../helpers/cli.js';
import { hasRegistry, hasTool, startRegistry, type StartedRegistry } from '../../helpers/registry.js';
import { makeTempDir, requireToolInCi } from '../../helpers/tmp.js';
import { startProxy, type TestProxy } from './proxy.js';
import { checkWithSkopeo, fakeModule, skopeoFails } from './support.js';

const ready = hasRegistry() && hasTool('skopeo') && hasTool('htpasswd');
requireToolInCi('docker-registry, skopeo and htpasswd', ready);

const user = 'plugin-dev';
const pass = 'S3cret-pa55word-never-printed';
const wrong = 'Wr0ng-pa55word-never-printed';
const refreshToken = 'identity-refresh-t0ken-never-printed';

describe.skipIf(!ready)('registries with auth', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let wasmFile: string;
  const wasm = fakeModule(200 * 1024, 3);
  const env = (extra: NodeJS.ProcessEnv = {}) => ({ HOME: dir, XDG_RUNTIME_DIR: path.join(dir, 'run'), REGISTRY_AUTH_FILE: '', DOCKER_CONFIG: path.join(dir, 'docker'), ...extra });
  const noSecrets = (text: string, secrets: string[]) => {
    for (const s of [...secrets, Buffer.from(`${user}:${pass}`).toString('base64')]) expect(text).not.toContain(s);
  };

  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir('ciw-auth-'));
    process.env.XDG_CACHE_HOME = path.join(dir, 'cache');
    wasmFile = path.join(dir, 'plugin.wasm');
    await writeFile(wasmFile, wasm);
  });
  afterAll(async () => cleanup?.());

  describe('htpasswd (Basic)', () => {
    let registry: StartedRegistry;
    beforeAll(async () => {
      registry = await startRegistry({ htpasswd: { user, pass } });
    });
    afterAll(async () => registry?.stop());

    it('refuses wrong credentials and anonymous pushes, leaving no tag', async () => {
      const badLogin = await runCli(['--verbose', 'login', registry.host, '-u', user, '--password-stdin'], { input: `${wrong}\n`, env: env() });
      expect(badLogin.code).toBe(1);
      expect(badLogin.stderr).toContain(`error: authentication failed for ${registry.host}`);
      noSecrets(badLogin.stdout + badLogin.stderr, [wrong, pass]);
      await expect(stat(path.join(dir, 'run/containers/auth.json'))).rejects.toThrow();

      const image = `${registry.host}/wasm/auth:v1`;
      const anonymous = await runCli(['push', image, '--wasm', wasmFile], { env: env() });
      expect(anonymous.code).toBe(1);
      expect(anonymous.stderr).toMatch(new RegExp(`authentication failed for ${registry.host.replace(/\./g, '\\.')} \\(no credentials found\\)`));
      const badCreds = await runCli(['--verbose', 'push', image, '--wasm', wasmFile, '--creds', `${user}:${wrong}`], { env: env() });
      expect(badCreds.code).toBe(1);
      expect(badCreds.stderr).toContain(`authentication failed for ${registry.host}`);
      noSecrets(badCreds.stdout + badCreds.stderr, [wrong]);
      const missing = await skopeoFails(['inspect', '--raw', '--tls-verify=false', '--creds', `${user}:${pass}`, `docker://${image}`]);
      expect(missing).toMatch(/manifest unknown|not found|404/i);
    });

    it('logs in (auth.json 0600, merged), pushes and pulls with the stored credentials, logs out', async () => {
      const authFile = path.join(dir, 'run/containers/auth.json');
      await import('node:fs/promises').then((fs) => fs.mkdir(path.dirname(authFile), { recursive: true }));
      await writeFile(authFile, JSON.stringify({ auths: { 'other.example': { auth: 'eDp5' } } }));
      const login = await runCli(['--verbose', 'login', registry.host, '-u', user, '--password-stdin'], { input: `${pass}\n`, env: env() });
      expect(login.code, login.stderr).toBe(0);
      expect(login.stdout).toContain(`credentials for ${registry.host} stored in ${authFile}`);
      noSecrets(login.stdout + login.stderr, [pass]);
      expect((await stat(authFile)).mode & 0o777).toBe(0o600);
      const stored = JSON.parse(await readFile(authFile, 'utf8')) as { auths: Record<string, { auth: string }> };
      expect(Object.keys(stored.auths).sort()).toEqual([registry.host, 'other.example'].sort());
      expect(Buffer.from(stored.auths[registry.host]!.auth, 'base64').toString()).toBe(`${user}:${pass}`);

      const image = `${registry.host}/wasm/auth:v2`;
      const push = await runCli(['--verbose', 'push', image, '--wasm', wasmFile, '--json'], { env: env() });
      expect(push.code, push.stderr).toBe(0);
      noSecrets(push.stdout + push.stderr, [pass]);
      expect(push.stderr).toMatch(/cannot pull from this registry/);
      const { digest } = JSON.parse(push.stdout) as { digest: string };
      const checked = await checkWithSkopeo(image, digest, path.join(dir, 'copy-basic'), `${user}:${pass}`);
      expect(Buffer.from(checked.module).equals(Buffer.from(wasm))).toBe(true);
      const resolved = await resolveManifestDigest(parseReference(image), { authfile: authFile });
      expect(resolved).toEqual({ digest, mediaType: 'application/vnd.oci.image.manifest.v1+json', challenge: { scheme: 'basic', realm: 'test-registry' } });

      // A separate --authfile works too (podman's flag).
      const other = path.join(dir, 'other-auth.json');
      expect((await runCli(['login', registry.host, '-u', user, '--password-stdin', '--authfile', other], { input: pass, env: env() })).code).toBe(0);
      const pulled = path.join(dir, 'pulled.wasm');
      const pull = await runCli(['pull', image, '-o', pulled, '--authfile', other], { env: env({ XDG_RUNTIME_DIR: path.join(dir, 'empty') }) });
      expect(pull.code, pull.stderr).toBe(0);
      expect((await readFile(pulled)).equals(Buffer.from(wasm))).toBe(true);

      const logout = await runCli(['logout', registry.host], { env: env() });
      expect(logout.code, logout.stderr).toBe(0);
      const after = JSON.parse(await readFile(authFile, 'utf8')) as { auths: Record<string, unknown> };
      expect(Object.keys(after.auths)).toEqual(['other.example']);
      expect((await runCli(['logout', registry.host], { env: env() })).stderr).toContain(`not logged in to ${registry.host}`);
    });

    it('reads Docker config.json credentials', async () => {
      const dockerDir = path.join(dir, 'docker');
      await import('node:fs/promises').then((fs) => fs.mkdir(dockerDir, { recursive: true }));
      await writeFile(path.join(dockerDir, 'config.json'), JSON.stringify({ auths: { [`http://${registry.host}`]: { auth: Buffer.from(`${user}:${pass}`).toString('base64') } } }));
      const push = await runCli(['push', `${registry.host}/wasm/auth:docker-config`, '--wasm', wasmFile], { env: env({ XDG_RUNTIME_DIR: path.join(dir, 'empty') }) });
      expect(push.code, push.stderr).toBe(0);
    });
  });

  describe('token server (Bearer)', () => {
    let registry: StartedRegistry;
    let proxy: TestProxy;
    beforeAll(async () => {
      registry = await startRegistry();
      proxy = await startProxy(registry.url, { bearer: { user, pass, refreshToken } });
    });
    afterAll(async () => {
      await proxy?.stop();
      await registry?.stop();
    });

    it('logs in, pushes with one reused token, never prints it; skopeo reads the result', async () => {
      const authFile = path.join(dir, 'bearer-auth.json');
      const login = await runCli(['--verbose', 'login', proxy.host, '-u', user, '--password-stdin', '--authfile', authFile], { input: pass, env: env() });
      expect(login.code, login.stderr).toBe(0);
      const before = proxy.tokenRequests.length;
      const image = `${proxy.host}/wasm/bearer:v1`;
      const push = await runCli(['--verbose', 'push', image, '--wasm', wasmFile, '--authfile', authFile, '--json'], { env: env() });
      expect(push.code, push.stderr).toBe(0);
      const tokenRequests = proxy.tokenRequests.slice(before);
      expect(tokenRequests).toEqual([{ scope: [`repository:wasm/bearer:pull,push`], service: 'test-proxy', basicUser: user }]);
      noSecrets(push.stdout + push.stderr + login.stdout + login.stderr, [pass, ...proxy.issuedTokens]);
      const { digest } = JSON.parse(push.stdout) as { digest: string };
      const checked = await checkWithSkopeo(image, digest, path.join(dir, 'copy-bearer'), `${user}:${pass}`);
      expect(Buffer.from(checked.module).equals(Buffer.from(wasm))).toBe(true);
      const resolved = await resolveManifestDigest(parseReference(image), { authfile: authFile });
      expect(resolved.challenge).toEqual({ scheme: 'bearer', realm: `${proxy.url}/token`, service: 'test-proxy' });
      expect(resolved.digest).toBe(digest);
    });

    it('uses a Docker config.json identitytoken as the refresh token (POST to the realm), never printing it', async () => {
      const dockerDir = path.join(dir, 'docker-identity');
      await import('node:fs/promises').then((fs) => fs.mkdir(dockerDir, { recursive: true }));
      await writeFile(path.join(dockerDir, 'config.json'), JSON.stringify({ auths: { [proxy.host]: { auth: Buffer.from(`${user}:`).toString('base64'), identitytoken: refreshToken } } }));
      const before = proxy.tokenRequests.length;
      const image = `${proxy.host}/wasm/identity:v1`;
      const push = await runCli(['--verbose', 'push', image, '--wasm', wasmFile, '--json'], { env: env({ DOCKER_CONFIG: dockerDir }) });
      expect(push.code, push.stderr).toBe(0);
      expect(proxy.tokenRequests.slice(before)).toEqual([{ scope: ['repository:wasm/identity:pull,push'], service: 'test-proxy', grant: 'refresh_token' }]);
      noSecrets(push.stdout + push.stderr, [refreshToken, ...proxy.issuedTokens]);
      const { digest } = JSON.parse(push.stdout) as { digest: string };
      await checkWithSkopeo(image, digest, path.join(dir, 'copy-identity'), `${user}:${pass}`);

      await writeFile(path.join(dockerDir, 'config.json'), JSON.stringify({ auths: { [proxy.host]: { identitytoken: 'revoked-refresh-token-never-printed' } } }));
      const refused = await runCli(['--verbose', 'push', `${proxy.host}/wasm/identity:v2`, '--wasm', wasmFile], { env: env({ DOCKER_CONFIG: dockerDir }) });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toContain(`authentication failed for ${proxy.host} (the token server refused the identity token; log in again)`);
      noSecrets(refused.stdout + refused.stderr, ['revoked-refresh-token-never-printed']);
    });

    it('refuses wrong credentials and anonymous tokens: authentication failed, no tag', async () => {
      const image = `${proxy.host}/wasm/bearer:bad`;
      const bad = await runCli(['--verbose', 'push', image, '--wasm', wasmFile, '--creds', `${user}:${wrong}`], { env: env() });
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain(`error: authentication failed for ${proxy.host}`);
      noSecrets(bad.stdout + bad.stderr, [wrong]);
      await expect(pushImage(wasm, parseReference(image), {})).rejects.toThrow(`authentication failed for ${proxy.host} (no credentials found)`);
      const missing = await skopeoFails(['inspect', '--raw', '--tls-verify=false', '--creds', `${user}:${pass}`, `docker://${image}`]);
      expect(missing).toMatch(/manifest unknown|not found|404/i);
    });
  });
});
