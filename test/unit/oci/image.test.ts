import { describe, expect, it } from 'vitest';
import { gunzipSync } from 'node:zlib';
import { buildImage, digestOf } from '../../../src/oci/image.js';
import { extractModule } from '../../../src/oci/extract.js';
import { createTar, readTar } from '../../../src/oci/tar.js';
import { mediaTypes, type Manifest } from '../../../src/oci/media-types.js';

const wasm = new Uint8Array([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x00, 0x04, 0x6e, 0x61, 0x6d, 0x65]);
const decode = (b: Uint8Array) => JSON.parse(new TextDecoder().decode(b)) as Manifest & Record<string, unknown>;

describe('buildImage', () => {
  it('is reproducible: same module, same bytes and digests, for every variant', () => {
    for (const variant of ['compat', 'wasm', 'docker'] as const) {
      const a = buildImage(wasm, { variant });
      const b = buildImage(wasm.slice(), { variant });
      expect(Buffer.from(a.manifest.data).equals(Buffer.from(b.manifest.data))).toBe(true);
      expect(a.layers.map((l) => l.descriptor.digest)).toEqual(b.layers.map((l) => l.descriptor.digest));
      expect(a.manifest.descriptor.digest).toBe(digestOf(a.manifest.data));
    }
    expect(buildImage(wasm).manifest.descriptor.digest).not.toBe(buildImage(wasm, { epoch: 1_700_000_000 }).manifest.descriptor.digest);
  });

  it('compat: OCI manifest, config consistent with the layer, one tar+gzip layer with plugin.wasm first', () => {
    const image = buildImage(wasm);
    const manifest = decode(image.manifest.data);
    expect(manifest.mediaType).toBe(mediaTypes.ociManifest);
    expect(manifest.annotations).toEqual({ 'module.wasm.image/variant': 'compat' });
    expect(manifest.layers?.map((l) => l.mediaType)).toEqual([mediaTypes.ociLayerTarGzip]);
    const layer = image.layers[0]!.data;
    // Fixed gzip header: no name, mtime 0, OS unknown.
    expect([...layer.subarray(0, 10)]).toEqual([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff]);
    const tar = new Uint8Array(gunzipSync(layer));
    const entries = [...readTar(tar)];
    expect(entries.map((e) => [e.name, e.type, e.size])).toEqual([['plugin.wasm', 'file', wasm.length]]);
    expect(Buffer.from(entries[0]!.data).equals(Buffer.from(wasm))).toBe(true);
    const config = decode(image.config.data) as unknown as { rootfs: { diff_ids: string[] }; created: string; os: string; architecture: string };
    expect(config.rootfs.diff_ids).toEqual([digestOf(tar)]);
    expect(config.created).toBe('1970-01-01T00:00:00Z');
    expect([config.os, config.architecture]).toEqual(['linux', 'amd64']);
  });

  it('wasm variant: two layers, wasm config as config and first layer, raw module second', () => {
    const image = buildImage(wasm, { variant: 'wasm', rootIds: ['my_root'] });
    const manifest = decode(image.manifest.data);
    expect(manifest.config?.mediaType).toBe(mediaTypes.wasmConfig);
    expect(manifest.layers?.map((l) => [l.mediaType, l.annotations?.['org.opencontainers.image.title']])).toEqual([
      [mediaTypes.wasmConfig, 'runtime-config.json'],
      [mediaTypes.wasmContentLayer, 'filter.wasm'],
    ]);
    expect(decode(image.config.data)).toMatchObject({ type: 'envoy_proxy', config: { root_ids: ['my_root'] } });
    expect(image.layers[1]!.descriptor.digest).toBe(digestOf(wasm));
  });

  it('docker variant: Docker v2 media types', () => {
    const manifest = decode(buildImage(wasm, { variant: 'docker' }).manifest.data);
    expect(manifest.mediaType).toBe(mediaTypes.dockerManifest);
    expect(manifest.config?.mediaType).toBe(mediaTypes.dockerConfig);
    expect(manifest.layers?.map((l) => l.mediaType)).toEqual([mediaTypes.dockerLayerTarGzip]);
  });

  it('extracts the module back out of every variant as Istio does', async () => {
    for (const variant of ['compat', 'wasm', 'docker'] as const) {
      const image = buildImage(wasm, { variant });
      const blobs = new Map([...image.layers, image.config].map((b) => [b.descriptor.digest, b.data]));
      const got = await extractModule(decode(image.manifest.data), async (d) => blobs.get(d.digest)!);
      expect(got.variant).toBe(variant);
      expect(Buffer.from(got.bytes).equals(Buffer.from(wasm))).toBe(true);
    }
  });

  it('follows the agent\'s rules: last layer, any directory, docker failure is final', async () => {
    const { gzipReproducible } = await import('../../../src/oci/gzip.js');
    const layer = gzipReproducible(createTar([{ name: 'etc' }, { name: 'etc/readme', data: new Uint8Array([1]) }, { name: 'x/y/plugin.wasm', data: wasm }]));
    const other = gzipReproducible(createTar([{ name: 'plugin.wasm', data: new Uint8Array([9, 9, 9, 9, 9, 9, 9, 9]) }]));
    const d = (data: Uint8Array, mediaType: string) => ({ mediaType, digest: digestOf(data), size: data.length });
    const blobs = new Map([layer, other].map((b) => [digestOf(b), b]));
    const read = async (x: { digest: string }) => blobs.get(x.digest)!;
    const oci: Manifest = { schemaVersion: 2, mediaType: mediaTypes.ociManifest, layers: [d(other, mediaTypes.ociLayerTarGzip), d(layer, mediaTypes.ociLayerTarGzip)] };
    expect(Buffer.from((await extractModule(oci, read)).bytes).equals(Buffer.from(wasm))).toBe(true);
    const zstd: Manifest = { schemaVersion: 2, mediaType: mediaTypes.ociManifest, layers: [d(layer, 'application/vnd.oci.image.layer.v1.tar+zstd')] };
    await expect(extractModule(zstd, read)).rejects.toThrow(/no Wasm plugin Istio can load/);
    const docker: Manifest = { schemaVersion: 2, mediaType: mediaTypes.dockerManifest, layers: [d(layer, mediaTypes.ociLayerTarGzip)] };
    await expect(extractModule(docker, read)).rejects.toThrow(/last layer is application\/vnd.oci/);
  });
});

describe('tar', () => {
  it('round-trips long names and sizes that are not multiples of 512', () => {
    const long = `${'d'.repeat(120)}/plugin.wasm`;
    const data = new Uint8Array(1000).fill(7);
    const entries = [...readTar(createTar([{ name: long, data }, { name: 'empty', data: new Uint8Array() }]))];
    expect(entries.map((e) => [e.name, e.size])).toEqual([[long, 1000], ['empty', 0]]);
  });
  it('rejects a truncated archive', () => {
    const tar = createTar([{ name: 'a', data: new Uint8Array(600) }]);
    expect(() => [...readTar(tar.subarray(0, 700))]).toThrow(/unexpected end/);
  });
});
