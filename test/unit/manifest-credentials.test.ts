import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateManifest } from '../../src/istio/manifest.js';
import { parseIstioVersion } from '../../src/istio/versions.js';
import { makeTempDir } from '../helpers/tmp.js';
import { writeProject } from './sealos-fixtures.js';

let dir: string;
let cleanup: () => Promise<void>;
beforeEach(async () => {
  ({ dir, cleanup } = await makeTempDir('ciw-manifest-creds-'));
});
afterEach(async () => cleanup());

describe('manifest: credentials for the pull Secret', () => {
  it('reads auth.json keys that name a namespace (ghcr.io/acme), as push does', async () => {
    const project = await writeProject(dir, { image: 'ghcr.io/acme/wasm-auth:v1' });
    const authfile = path.join(dir, 'auth.json');
    const auth = Buffer.from('robot:s3cr3t').toString('base64');
    await writeFile(authfile, JSON.stringify({ auths: { 'ghcr.io/acme': { auth }, 'ghcr.io/other': { auth: Buffer.from('x:y').toString('base64') } } }));
    const result = await generateManifest({ project, target: parseIstioVersion('1.22'), env: {}, authfile });
    expect(result.secret?.registry).toBe('ghcr.io');
    const data = (result.secret?.object.data as Record<string, string>)['.dockerconfigjson'] ?? '';
    expect(JSON.parse(Buffer.from(data, 'base64').toString())).toEqual({ auths: { 'ghcr.io': { auth } } });
    expect((result.resource.spec as Record<string, unknown>).imagePullSecret).toBe('wasm-auth-pull');
  });
});

describe('manifest: a Docker identity token', () => {
  it('writes no pull Secret with an empty password, and says why', async () => {
    const project = await writeProject(dir, { image: 'registry.example.com/acme/wasm-auth:v1' });
    const authfile = path.join(dir, 'config.json');
    await writeFile(authfile, JSON.stringify({ auths: { 'registry.example.com': { auth: Buffer.from('me:').toString('base64'), identitytoken: 'REFRESH-TOKEN' } } }));
    const result = await generateManifest({ project, target: parseIstioVersion('1.22'), env: {}, authfile });
    expect(result.secret).toBeUndefined();
    expect(result.notes.join('\n')).toMatch(/identity token/);
    expect(JSON.stringify(result)).not.toContain('REFRESH-TOKEN');
  });
});
