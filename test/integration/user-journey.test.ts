import { execFileSync } from 'node:child_process';
import { readFileSync, statSync, symlinkSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { hasRegistry, hasTool, startRegistry, type StartedRegistry } from '../helpers/registry.js';
import { makeTempDir, requireToolInCi } from '../helpers/tmp.js';

/**
 * A new user's path, on the built CLI: scaffold (npm install for real), log in to a registry with
 * htpasswd auth, build, push, pin the manifest, validate it, and see what deploy would apply.
 */
let tmp: { dir: string; cleanup: () => Promise<void> };
let registry: StartedRegistry;
let project: string;
const user = { user: 'journey', pass: 's3cret-Pa55' };

beforeAll(async () => {
  requireToolInCi('docker-registry', hasRegistry());
  requireToolInCi('skopeo', hasTool('skopeo'));
  tmp = await makeTempDir('ciw-journey-');
  registry = await startRegistry({ htpasswd: user });
  const r = await runCli(['journey', '--yes', '--no-git', '--image', `${registry.host}/wasm/journey:v1`, '--istio-version', '1.29'], {
    cwd: tmp.dir, bin: 'create-istio-wasm', timeoutMs: 300_000,
  });
  if (r.code !== 0) throw new Error(`scaffold failed:\n${r.stderr}`);
  project = path.join(tmp.dir, 'journey');
}, 300_000);
afterAll(async () => {
  await registry?.stop();
  await tmp?.cleanup();
});

describe.runIf(hasRegistry() || process.env.CI)('login, build, push, manifest --pin', () => {
  const authfile = () => path.join(tmp.dir, 'auth.json');
  const env = () => ({ REGISTRY_AUTH_FILE: authfile() });

  it('three commands put the plugin in a registry with auth', async () => {
    const login = await runCli(['login', registry.host, '-u', user.user, '--password-stdin'], { cwd: project, input: `${user.pass}\n`, env: env() });
    expect(login.stderr).not.toMatch(/error/);
    expect(login.code).toBe(0);
    expect(statSync(authfile()).mode & 0o777).toBe(0o600);

    const build = await runCli(['build'], { cwd: project });
    expect(build.code).toBe(0);

    const push = await runCli(['push', '--json'], { cwd: project, env: env() });
    expect(push.stderr).not.toMatch(/error/);
    expect(push.code).toBe(0);
    const pushed = JSON.parse(push.stdout) as { image: string; digest: string; url: string; wasmSha256: string };
    const raw = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', `${user.user}:${user.pass}`, `docker://${registry.host}/wasm/journey:v1`]);
    const { createHash } = await import('node:crypto');
    const digest = `sha256:${createHash('sha256').update(raw).digest('hex')}`;
    expect(pushed.digest).toBe(digest);
    expect(pushed.url).toBe(`oci://${registry.host}/wasm/journey:v1`);
    expect(pushed.wasmSha256).toBe(digest.slice('sha256:'.length));
    for (const output of [login.stdout, login.stderr, build.stderr, push.stdout, push.stderr]) {
      expect(output).not.toContain(user.pass);
      expect(output).not.toContain(Buffer.from(`${user.user}:${user.pass}`).toString('base64'));
    }
  });

  it('manifest --pin writes a validated WasmPlugin pinned to the pushed digest, and the pull Secret apart', async () => {
    const manifest = await runCli(['manifest', '--pin'], { cwd: project, env: env() });
    expect(manifest.code).toBe(0);
    expect(manifest.stdout).not.toContain(user.pass);
    const wp = parseYaml(readFileSync(path.join(project, 'deploy', 'wasmplugin.yaml'), 'utf8')) as { spec: Record<string, unknown> };
    const raw = execFileSync('skopeo', ['inspect', '--raw', '--tls-verify=false', '--creds', `${user.user}:${user.pass}`, `docker://${registry.host}/wasm/journey:v1`]);
    const { createHash } = await import('node:crypto');
    expect(wp.spec.sha256).toBe(createHash('sha256').update(raw).digest('hex'));
    expect(wp.spec.url).toBe(`oci://${registry.host}/wasm/journey:v1`);
    expect(wp.spec.imagePullSecret).toBeTruthy();
    expect(JSON.stringify(wp.spec.pluginConfig)).not.toContain(user.pass);
    const secretFile = path.join(project, 'deploy', 'secret.yaml');
    expect(statSync(secretFile).mode & 0o777).toBe(0o600);

    const validate = await runCli(['validate', 'deploy/wasmplugin.yaml', '--json'], { cwd: project });
    expect(validate.code).toBe(0);
    expect(JSON.parse(validate.stdout).files[0].documents[0].valid).toBe(true);

    const dry = await runCli(['deploy', '--dry-run'], { cwd: project });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toMatch(/kind: WasmPlugin/);
    expect(dry.stdout).toMatch(/kind: Secret/);
    expect(dry.stdout).not.toContain(Buffer.from(`${user.user}:${user.pass}`).toString('base64'));
  });

  it('deploy without a cluster fails cleanly', async () => {
    const r = await runCli(['deploy'], { cwd: project, env: { KUBECONFIG: path.join(tmp.dir, 'no-kubeconfig') } });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/kubectl cluster-info/);
  });

  it('a wrong password is refused at login and leaves the auth file as it was', async () => {
    const before = readFileSync(authfile(), 'utf8');
    const r = await runCli(['login', registry.host, '-u', user.user, '--password-stdin'], { cwd: project, input: 'wrong\n', env: env() });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/authentication failed for/);
    expect(readFileSync(authfile(), 'utf8')).toBe(before);
  });
});

/**
 * The same path for a TrafficExtension project on Istio 1.30: scaffolded with --kind, built with the
 * toolchain the first project installed (its node_modules, linked: the same template and package.json,
 * so a second `npm install` would only repeat the first), pushed, pinned, validated, dry-run deployed.
 */
describe.runIf(hasRegistry() || process.env.CI)('the same journey as a TrafficExtension (Istio 1.30)', () => {
  const authfile = () => path.join(tmp.dir, 'auth.json');
  const env = () => ({ REGISTRY_AUTH_FILE: authfile() });
  let te: string;

  let digest = '';

  it('scaffold --kind TrafficExtension, build, push', async () => {
    const created = await runCli(['journey-te', '--kind', 'TrafficExtension', '--yes', '--no-git', '--no-install', '--image', `${registry.host}/wasm/journey-te:v1`, '--istio-version', '1.30'], {
      cwd: tmp.dir, bin: 'create-istio-wasm', timeoutMs: 120_000,
    });
    expect(created.code, created.stderr).toBe(0);
    te = path.join(tmp.dir, 'journey-te');
    expect(parseYaml(readFileSync(path.join(te, 'istio-wasm.yaml'), 'utf8')).kind).toBe('TrafficExtension');
    symlinkSync(path.join(project, 'node_modules'), path.join(te, 'node_modules'), 'dir');
    const login = await runCli(['login', registry.host, '-u', user.user, '--password-stdin'], { cwd: te, input: `${user.pass}\n`, env: env() });
    expect(login.code, login.stderr).toBe(0);
    const build = await runCli(['build'], { cwd: te });
    expect(build.code, build.stderr).toBe(0);
    const push = await runCli(['push', '--json'], { cwd: te, env: env() });
    expect(push.code, push.stderr).toBe(0);
    digest = (JSON.parse(push.stdout) as { digest: string }).digest;
  }, 240_000);

  it('manifest --pin, validate, deploy --dry-run', async () => {
    expect(digest, 'the push before').not.toBe('');
    const manifest = await runCli(['manifest', '--pin'], { cwd: te, env: env() });
    expect(manifest.code, manifest.stderr).toBe(0);
    // htpasswd registries are refused by the 1.30 agent: said, not hidden.
    expect(manifest.stderr).toMatch(/cannot pull from/);
    const doc = parseYaml(readFileSync(path.join(te, 'deploy', 'trafficextension.yaml'), 'utf8')) as { kind: string; spec: Record<string, any> };
    expect(doc.kind).toBe('TrafficExtension');
    expect(doc.spec.wasm.sha256).toBe(digest.slice('sha256:'.length));
    expect(doc.spec.wasm.url).toBe(`oci://${registry.host}/wasm/journey-te:v1`);
    expect(doc.spec.wasm.imagePullSecret).toBe('journey-te-pull');
    expect(doc.spec.selector).toEqual({ matchLabels: { istio: 'ingressgateway' } });

    const validate = await runCli(['validate', 'deploy/trafficextension.yaml', '--json'], { cwd: te });
    expect(validate.code, validate.stdout).toBe(0);
    expect(JSON.parse(validate.stdout).files[0].documents[0]).toMatchObject({ kind: 'TrafficExtension', valid: true });

    const dry = await runCli(['deploy', '--dry-run'], { cwd: te });
    expect(dry.code, dry.stderr).toBe(0);
    expect(dry.stdout).toMatch(/kind: TrafficExtension/);
    expect(dry.stdout).toMatch(/kind: Secret/);
    expect(dry.stdout).not.toMatch(/kind: WasmPlugin/);
    expect(dry.stdout).not.toContain(Buffer.from(`${user.user}:${user.pass}`).toString('base64'));
  });
});
