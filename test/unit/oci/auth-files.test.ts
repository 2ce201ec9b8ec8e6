import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { authFileLookupOrder, loadCredentials, normalizeAuthKey, removeCredentials, storeCredentials, writableAuthFile } from '../../../src/oci/auth-files.js';
import { makeTempDir } from '../../helpers/tmp.js';

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe('auth files', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  let savedEnv: NodeJS.ProcessEnv;

  beforeEach(async () => {
    ({ dir, cleanup } = await makeTempDir('ciw-auth-'));
    savedEnv = { ...process.env };
    for (const k of ['REGISTRY_AUTH_FILE', 'XDG_RUNTIME_DIR', 'XDG_CONFIG_HOME', 'DOCKER_CONFIG']) delete process.env[k];
    process.env.HOME = path.join(dir, 'home');
    process.env.XDG_RUNTIME_DIR = path.join(dir, 'run');
  });
  afterEach(async () => {
    process.env = savedEnv;
    await cleanup();
  });

  const write = async (file: string, value: unknown) => {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, JSON.stringify(value));
  };

  it('looks in --authfile/REGISTRY_AUTH_FILE, then XDG_RUNTIME_DIR, then the config dir, then Docker', () => {
    expect(authFileLookupOrder().map((l) => l.path)).toEqual([
      path.join(dir, 'run/containers/auth.json'),
      path.join(dir, 'home/.config/containers/auth.json'),
      path.join(dir, 'home/.docker/config.json'),
    ]);
    process.env.REGISTRY_AUTH_FILE = path.join(dir, 'env.json');
    expect(writableAuthFile()).toBe(path.join(dir, 'env.json'));
    expect(writableAuthFile({ authfile: path.join(dir, 'flag.json') })).toBe(path.join(dir, 'flag.json'));
    process.env.DOCKER_CONFIG = path.join(dir, 'dc');
    expect(authFileLookupOrder().at(-1)?.path).toBe(path.join(dir, 'dc/config.json'));
  });

  it('normalises Docker-style keys', () => {
    expect(normalizeAuthKey('https://index.docker.io/v1/', 'docker')).toBe('docker.io');
    expect(normalizeAuthKey('http://127.0.0.1:5000', 'docker')).toBe('127.0.0.1:5000');
    expect(normalizeAuthKey('quay.io/org/')).toBe('quay.io/org');
  });

  it('takes the first file that knows the registry; longest namespace prefix wins', async () => {
    await write(path.join(dir, 'run/containers/auth.json'), {
      auths: { 'r.io': { auth: b64('host:p1') }, 'r.io/team': { auth: b64('team:p2') }, 'r.io/team/app': { auth: b64('app:p:3') } },
    });
    await write(path.join(dir, 'home/.docker/config.json'), { auths: { 'other.io': { auth: b64('d:pd') }, 'r.io': { auth: b64('docker:x') } } });
    expect(await loadCredentials('r.io')).toEqual({ username: 'host', password: 'p1' });
    expect(await loadCredentials('r.io/team/x')).toEqual({ username: 'team', password: 'p2' });
    expect(await loadCredentials('r.io/team/app')).toEqual({ username: 'app', password: 'p:3' });
    expect(await loadCredentials('r.io/teamster')).toEqual({ username: 'host', password: 'p1' });
    expect(await loadCredentials('other.io')).toEqual({ username: 'd', password: 'pd' });
    expect(await loadCredentials('none.io')).toBeUndefined();
    expect(await loadCredentials('r.io', { creds: 'flag:pw:x' })).toEqual({ username: 'flag', password: 'pw:x' });
  });

  it('reads Docker Hub under its legacy key', async () => {
    await write(path.join(dir, 'home/.docker/config.json'), { auths: { 'https://index.docker.io/v1/': { auth: b64('hub:secret') } } });
    expect(await loadCredentials('docker.io/library/nginx')).toEqual({ username: 'hub', password: 'secret' });
  });

  it('runs credHelpers (which win) and credsStore helpers', async () => {
    const bin = path.join(dir, 'bin');
    await mkdir(bin);
    const helper = path.join(bin, 'docker-credential-fake');
    await writeFile(helper, '#!/bin/sh\nread server\n[ "$1" = get ] || exit 1\nprintf \'{"ServerURL":"%s","Username":"helper-user","Secret":"helper-secret"}\' "$server"\n');
    await chmod(helper, 0o755);
    process.env.PATH = `${bin}:${process.env.PATH ?? ''}`;
    await write(path.join(dir, 'home/.docker/config.json'), {
      auths: { 'h.io': { auth: b64('plain:pw') } },
      credHelpers: { 'h.io': 'fake' },
    });
    expect(await loadCredentials('h.io')).toEqual({ username: 'helper-user', password: 'helper-secret' });
    await write(path.join(dir, 'home/.docker/config.json'), { auths: {}, credsStore: 'fake' });
    expect(await loadCredentials('s.io')).toEqual({ username: 'helper-user', password: 'helper-secret' });
    await write(path.join(dir, 'home/.docker/config.json'), { credsStore: 'missing-helper' });
    expect(await loadCredentials('s.io')).toBeUndefined();
  });

  it('stores with mode 0600, merging with what is there, and removes', async () => {
    const file = path.join(dir, 'run/containers/auth.json');
    await write(file, { auths: { 'keep.io': { auth: b64('k:k') } }, credHelpers: { 'x.io': 'y' } });
    expect(await storeCredentials('127.0.0.1:5000', { username: 'u', password: 'p' })).toBe(file);
    const content = JSON.parse(await readFile(file, 'utf8')) as { auths: Record<string, { auth: string }>; credHelpers: unknown };
    expect(content.auths['keep.io']).toEqual({ auth: b64('k:k') });
    expect(content.auths['127.0.0.1:5000']).toEqual({ auth: b64('u:p') });
    expect(content.credHelpers).toEqual({ 'x.io': 'y' });
    expect((await stat(file)).mode & 0o777).toBe(0o600);
    expect(await loadCredentials('127.0.0.1:5000')).toEqual({ username: 'u', password: 'p' });
    expect(await removeCredentials('127.0.0.1:5000')).toBe(file);
    expect(await removeCredentials('127.0.0.1:5000')).toBeUndefined();
    expect(await loadCredentials('127.0.0.1:5000')).toBeUndefined();
    expect(await loadCredentials('keep.io')).toEqual({ username: 'k', password: 'k' });
  });

  it('names a broken auth file without its content', async () => {
    await write(path.join(dir, 'run/containers/auth.json'), 'x');
    await writeFile(path.join(dir, 'run/containers/auth.json'), '{"auths": {"r.io": {"auth": "c2VjcmV0"}');
    await expect(loadCredentials('r.io')).rejects.toThrow(/auth\.json is not valid JSON/);
  });
});
