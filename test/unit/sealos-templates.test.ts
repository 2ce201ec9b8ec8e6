import { spawnSync } from 'node:child_process';
import { chmod, copyFile, readFile, readdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { hasTool } from '../helpers/registry.js';
import { makeTempDir, requireToolInCi } from '../helpers/tmp.js';

/**
 * The seed template's defects that live in the files a project gets (templates/_shared, the Rust
 * template): each test here fails on the seed's version of the file.
 */
const shared = path.join(repoRoot, 'templates', '_shared');

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await filesUnder(full)));
    else out.push(full);
  }
  return out;
}

const hasMake = hasTool('make');
requireToolInCi('make', hasMake);

describe.skipIf(!hasMake)('the generated Makefile, evaluated by make (defect 1: `REPO?=sealos.hub:5000 #reg.` kept a blank)', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let fake: string;
  beforeAll(async () => {
    ({ dir, cleanup } = await makeTempDir('ciw-make-'));
    await copyFile(path.join(shared, 'Makefile'), path.join(dir, 'Makefile'));
    fake = path.join(dir, 'fake-istio-wasm');
    // Prints what the CLI would receive: its arguments and REPO/IMG exactly, in brackets.
    await writeFile(fake, '#!/bin/sh\nprintf "args=[%s] REPO=[%s] IMG=[%s]\\n" "$*" "${REPO-unset}" "${IMG-unset}"\n');
    await chmod(fake, 0o755);
  });
  afterAll(async () => cleanup());

  function make(args: string[], env: Record<string, string> = {}) {
    const base: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: dir };
    const done = spawnSync('make', ['--no-print-directory', `ISTIO_WASM=${fake}`, ...args], { cwd: dir, env: { ...base, ...env }, encoding: 'utf8' });
    return { code: done.status, out: `${done.stdout}${done.stderr}` };
  }

  it('passes REPO and IMG through exactly, with no blank added, to build and sealos push', () => {
    const r = make(['sealos-push'], { REPO: '127.0.0.1:5000', IMG: 'wasm/wasm-auth:v1' });
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('args=[build] REPO=[127.0.0.1:5000] IMG=[wasm/wasm-auth:v1]');
    expect(r.out).toContain('args=[sealos push] REPO=[127.0.0.1:5000] IMG=[wasm/wasm-auth:v1]');
  });

  it('sets no default of its own when REPO and IMG are unset (istio-wasm.yaml decides)', () => {
    const r = make(['sealos-push']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('args=[sealos push] REPO=[] IMG=[]');
    expect(r.out).not.toMatch(/REPO=\[[^\]]*\s\]/);
  });

  it('takes REPO/IMG given on the make command line too, and SEALOS_FLAGS', () => {
    const r = make(['sealos-build', 'REPO=sealos.hub:5000', 'IMG=wasm/wasm-auth:latest', 'SEALOS_FLAGS=--istio-version 1.16.2']);
    expect(r.code, r.out).toBe(0);
    expect(r.out).toContain('args=[sealos build --istio-version 1.16.2] REPO=[sealos.hub:5000] IMG=[wasm/wasm-auth:latest]');
  });

  it('every documented target parses and names istio-wasm (make -n)', () => {
    for (const target of ['build', 'push', 'docker-build', 'oci-build', 'sealos-build', 'sealos-push', 'doctor']) {
      const r = make(['-n', target], { REPO: 'sealos.hub:5000', IMG: 'wasm/wasm-auth:latest' });
      expect(r.code, `${target}: ${r.out}`).toBe(0);
      expect(r.out).toContain(fake);
    }
    expect(make(['-n', 'docker-build']).out).toContain(`${fake} push --variant docker`);
    expect(make(['-n', 'oci-build']).out).toContain(`${fake} package --output build/oci`);
  });
});

describe('seed defects fixed in the template files', () => {
  it('uses no sed anywhere (defect 5: `sed -i` rewrote the chart once, GNU only)', async () => {
    for (const file of await filesUnder(shared)) {
      const text = await readFile(file, 'utf8');
      expect(text, path.relative(shared, file)).not.toMatch(/\bsed\b/);
    }
  });

  it('builds Rust for wasm32-wasip1, never the removed wasm32-wasi (defect 6)', async () => {
    const rust = path.join(repoRoot, 'templates', 'rust');
    for (const file of await filesUnder(rust)) {
      for (const line of (await readFile(file, 'utf8')).split('\n')) {
        if (/(--target|target add|targets\s*=)/.test(line) && /wasm32-wasi/.test(line)) expect(line, path.relative(rust, file)).toMatch(/wasm32-wasip1/);
        // Old name only in explanations of the rename.
        if (/wasm32-wasi(?!p1)/.test(line)) expect(line, path.relative(rust, file)).toMatch(/renamed|was called|before Rust/);
      }
    }
    const { versions } = await import('../../src/versions.js');
    expect(versions.rustTarget).toBe('wasm32-wasip1');
  });

  it('keeps Go-template braces out of the files handlebars renders (defect 8: `{{ .Values }}` collided with the generator)', async () => {
    for (const file of (await filesUnder(shared)).filter((f) => f.endsWith('.hbs'))) {
      expect(await readFile(file, 'utf8'), path.relative(shared, file)).not.toMatch(/\{\{-?\s*\./);
    }
    // The non-.hbs file that documents sealos's own {{ .KEY }} syntax is copied, not rendered.
    expect(await readFile(path.join(shared, 'deploy', 'manifests', 'README.md'), 'utf8')).toContain('{{ .KEY }}');
  });

  it('the Kubefile applies manifests only: no registry.sh that logs the password (defect 7), and the cluster image is FROM scratch', async () => {
    const kubefile = await readFile(path.join(shared, 'deploy', 'Kubefile'), 'utf8');
    expect(kubefile).toMatch(/^FROM scratch$/m);
    expect(kubefile).toMatch(/^CMD \["kubectl apply -f manifests\/"\]$/m);
    expect(kubefile).not.toMatch(/registry\.sh|helm /);
  });

  it('docker-build without a Docker engine points to `make push`', async () => {
    const docker = await readFile(path.join(repoRoot, 'src', 'build', 'docker.ts'), 'utf8');
    const hint = /'DOCKER_UNAVAILABLE'[\s\S]*?hint: '([^']*)'/.exec(docker)?.[1] ?? '';
    expect(hint).toContain('`make push`');
    const makefile = await readFile(path.join(shared, 'Makefile'), 'utf8');
    expect(makefile).toMatch(/docker-build:[^\n]*\n\t\$\(ISTIO_WASM\) build --docker\n/);
  });
});
