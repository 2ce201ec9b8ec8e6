import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { runCli } from '../helpers/cli.js';
import { hasRegistry, startRegistry, type StartedRegistry } from '../helpers/registry.js';
import { makeTempDir, requireToolInCi } from '../helpers/tmp.js';

interface Report {
  ok: boolean;
  project: { language: string; image: string } | null;
  checks: Array<{ group: string; name: string; status: string; required: boolean; detail?: string; fix?: string }>;
}

const password = 'Doctor-s3cret-pass';
requireToolInCi('docker-registry', hasRegistry());

describe('istio-wasm doctor', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let registry: StartedRegistry | undefined;
  let env: NodeJS.ProcessEnv;

  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir('ciw-doctor-'));
    if (hasRegistry()) registry = await startRegistry({ htpasswd: { user: 'dev', pass: password } });
    env = { HOME: dir, XDG_RUNTIME_DIR: path.join(dir, 'run'), XDG_CONFIG_HOME: path.join(dir, 'config'), DOCKER_CONFIG: path.join(dir, 'docker'), REGISTRY_AUTH_FILE: '', KUBECONFIG: path.join(dir, 'no-kubeconfig') };
  });
  afterAll(async () => {
    await registry?.stop();
    await cleanup();
  });

  async function project(name: string, image: string, version = '1.30'): Promise<string> {
    const root = path.join(dir, name);
    await mkdir(root, { recursive: true });
    await writeFile(
      path.join(root, 'istio-wasm.yaml'),
      stringify({ name, language: 'assemblyscript', module: 'build/plugin.wasm', image, istio: { version }, wasmPlugin: { namespace: 'istio-system' } }),
    );
    return root;
  }

  it('outside a project: Node, the tools and the cluster only; exit 0', async () => {
    const outside = path.join(dir, 'empty');
    await mkdir(outside, { recursive: true });
    const r = await runCli(['doctor', '--json'], { cwd: outside, env });
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as Report;
    expect(report.ok).toBe(true);
    expect(report.project).toBeNull();
    expect(report.checks[0]).toMatchObject({ group: 'node', status: 'ok', required: true });
    expect(report.checks.map((c) => c.name)).toEqual(expect.arrayContaining(['docker engine', 'podman', 'buildah', 'sealos', 'kubectl', 'cluster']));
    expect(report.checks.some((c) => c.group === 'toolchain' || c.group === 'registry')).toBe(false);
    expect(report.checks.filter((c) => c.group !== 'node').every((c) => !c.required)).toBe(true);
    for (const c of report.checks) if (c.status !== 'ok' && c.status !== 'skipped') expect(c.fix, c.name).toBeTruthy();
  });

  it('a project whose toolchain is missing fails with the fix (exit 1)', async () => {
    const root = await project('no-asc', '127.0.0.1:1/wasm/x:v1');
    const r = await runCli(['doctor'], { cwd: root, env });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/✘ asc \(assemblyscript\): missing/);
    expect(r.stdout).toMatch(/fix: .*npm install/i);
    expect(r.stdout).toMatch(/something the project needs is missing/);
  });

  it.skipIf(!hasRegistry())('reports the registry, its auth, credentials without showing them, and the Istio registry trap', async () => {
    const host = registry!.host;
    const root = await project('with-registry', `${host}/wasm/doctor:v1`);
    const without = await runCli(['doctor', '--json'], { cwd: root, env });
    const a = JSON.parse(without.stdout) as Report;
    expect(a.checks.find((c) => c.name === `registry ${host}`)).toMatchObject({ status: 'ok', detail: 'reachable, Basic (htpasswd) auth' });
    expect(a.checks.find((c) => c.name === `credentials for ${host}`)).toMatchObject({ status: 'missing', fix: `istio-wasm login ${host} (or sealos login / podman login / docker login)` });
    expect(a.checks.find((c) => c.name.startsWith('Istio 1.30 pulling from'))).toMatchObject({ status: 'warn' });

    const authfile = path.join(dir, 'auth.json');
    await writeFile(authfile, JSON.stringify({ auths: { [host]: { auth: Buffer.from(`dev:${password}`).toString('base64') } } }));
    const withCreds = await runCli(['doctor'], { cwd: root, env: { ...env, REGISTRY_AUTH_FILE: authfile } });
    expect(withCreds.stdout).toContain(`✔ credentials for ${host}: ok — configured (not shown)`);
    for (const text of [without.stdout, without.stderr, withCreds.stdout, withCreds.stderr]) {
      expect(text).not.toContain(password);
      expect(text).not.toContain(Buffer.from(`dev:${password}`).toString('base64'));
    }
  });
});
