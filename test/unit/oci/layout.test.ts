import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildImage } from '../../../src/oci/image.js';
import { openLayout, selectLayoutManifest, writeLayoutArchive, writeLayoutDir } from '../../../src/oci/layout.js';
import { readLayoutModule } from '../../../src/oci/pull.js';
import { makeTempDir } from '../../helpers/tmp.js';

const wasm = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);

describe('OCI layouts', () => {
  let dir: string;
  let cleanup: () => Promise<void>;
  beforeEach(async () => ({ dir, cleanup } = await makeTempDir('ciw-layout-')));
  afterEach(async () => cleanup());

  it('writes a directory layout, adds tags, reads the module back', async () => {
    const out = path.join(dir, 'oci');
    await writeLayoutDir(out, buildImage(wasm), 'v1');
    await writeLayoutDir(out, buildImage(wasm, { variant: 'wasm' }), 'v2');
    expect(JSON.parse(await readFile(path.join(out, 'oci-layout'), 'utf8'))).toEqual({ imageLayoutVersion: '1.0.0' });
    const layout = await openLayout(out);
    expect(layout.index.manifests.map((m) => m.annotations?.['org.opencontainers.image.ref.name'])).toEqual(['v1', 'v2']);
    expect(() => selectLayoutManifest(layout)).toThrow(/holds 2 images/);
    expect((await readLayoutModule(out, 'v1')).variant).toBe('compat');
    expect((await readLayoutModule(out, 'v2')).variant).toBe('wasm');
    expect((await readdir(path.join(out, 'blobs/sha256'))).length).toBe(6);
  });

  it('writes a reproducible oci-archive', async () => {
    await writeLayoutArchive(path.join(dir, 'a.tar'), buildImage(wasm), 'latest');
    await writeLayoutArchive(path.join(dir, 'b.tar'), buildImage(wasm), 'latest');
    expect((await readFile(path.join(dir, 'a.tar'))).equals(await readFile(path.join(dir, 'b.tar')))).toBe(true);
    const pulled = await readLayoutModule(path.join(dir, 'a.tar'));
    expect(Buffer.from(pulled.bytes).equals(Buffer.from(wasm))).toBe(true);
    expect(pulled.digest).toBe(buildImage(wasm).manifest.descriptor.digest);
  });
});
