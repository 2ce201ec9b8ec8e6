import { readFileSync, statSync } from 'node:fs';
import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { CliError, messageOf } from '../errors.js';
import { imageBlobs, type Blob, type BuiltImage } from './image.js';
import { mediaTypes, type Descriptor, type Manifest } from './media-types.js';
import { createTar, readTar, type TarEntry } from './tar.js';
import { readBytes, readBytesAsync } from '../util/read-bytes.js';
import { writeFileAtomic } from '../util/write-atomic.js';

/**
 * OCI image layouts (a directory: oci-layout, index.json, blobs/sha256/…) and oci-archive files
 * (the same tree in a tar), as skopeo's `oci:` and `oci-archive:` transports read them.
 */
const refNameKey = 'org.opencontainers.image.ref.name';
const encoder = new TextEncoder();

export interface LayoutIndex {
  schemaVersion: number;
  mediaType?: string;
  manifests: Descriptor[];
}

function layoutFiles(image: BuiltImage, tag: string, existing?: LayoutIndex): Array<{ name: string; data: Uint8Array }> {
  const manifestDescriptor: Descriptor = { ...image.manifest.descriptor, annotations: { [refNameKey]: tag } };
  const others = (existing?.manifests ?? []).filter((m) => m.annotations?.[refNameKey] !== tag);
  const index: LayoutIndex = { schemaVersion: 2, mediaType: mediaTypes.ociIndex, manifests: [...others, manifestDescriptor] };
  const blobs: Blob[] = [...imageBlobs(image), image.manifest];
  return [
    { name: 'oci-layout', data: encoder.encode(JSON.stringify({ imageLayoutVersion: '1.0.0' })) },
    { name: 'index.json', data: encoder.encode(JSON.stringify(index)) },
    ...blobs.map((b) => ({ name: `blobs/sha256/${b.descriptor.digest.slice('sha256:'.length)}`, data: b.data })),
  ];
}

async function readExistingIndex(dir: string): Promise<LayoutIndex | undefined> {
  try {
    const index = JSON.parse(readFileSync(path.join(dir, 'index.json'), 'utf8')) as LayoutIndex;
    return Array.isArray(index.manifests) ? index : undefined;
  } catch {
    return undefined;
  }
}

/** Writes (or adds a tag to) an OCI image layout directory. */
export async function writeLayoutDir(dir: string, image: BuiltImage, tag: string): Promise<void> {
  const existing = await readExistingIndex(dir);
  try {
    await mkdir(path.join(dir, 'blobs', 'sha256'), { recursive: true });
    for (const file of layoutFiles(image, tag, existing)) {
      await writeFileAtomic(path.join(dir, file.name), file.data);
    }
  } catch (error) {
    throw new CliError('LAYOUT_WRITE_FAILED', `cannot write the OCI layout ${dir}: ${messageOf(error)}`, { hint: 'check the output path and its permissions' });
  }
}

/** Writes an oci-archive tar holding one tagged image. */
export async function writeLayoutArchive(file: string, image: BuiltImage, tag: string): Promise<void> {
  const entries: TarEntry[] = [{ name: 'blobs' }, { name: 'blobs/sha256' }];
  for (const f of layoutFiles(image, tag)) entries.push({ name: f.name, data: f.data });
  // skopeo lists directories first; the order is otherwise free. Keep oci-layout before index.json.
  try {
    await writeFileAtomic(path.resolve(file), createTar(entries));
  } catch (error) {
    throw new CliError('LAYOUT_WRITE_FAILED', `cannot write the OCI archive ${file}: ${messageOf(error)}`, { hint: 'check the output path and its permissions' });
  }
}

/** Blobs up to this size are read synchronously (see openLayout). */
const smallBlob = 256 * 1024;

/** A layout opened for reading: its index and its blobs by digest. */
export interface LayoutReader {
  path: string;
  index: LayoutIndex;
  readBlob(digest: string): Promise<Uint8Array>;
}

export async function openLayout(input: string): Promise<LayoutReader> {
  // Synchronous, as the index is read: a push reads both before its first request.
  let info: ReturnType<typeof statSync>;
  try {
    info = statSync(input, { throwIfNoEntry: false });
  } catch {
    info = undefined;
  }
  if (!info) throw new CliError('LAYOUT_NOT_FOUND', `${input} does not exist`, { hint: 'give an OCI layout directory, an oci-archive .tar, or an image reference' });
  if (info.isDirectory()) {
    const index = await readExistingIndex(input);
    if (!index) throw new CliError('LAYOUT_INVALID', `${input} is not an OCI image layout (no valid index.json)`, { hint: 'make one with `istio-wasm package --output DIR`' });
    return {
      path: input,
      index,
      readBlob: async (digest) => {
        const [algorithm, hex] = digest.split(':');
        const file = path.join(input, 'blobs', algorithm ?? 'sha256', hex ?? '');
        try {
          // A small blob (a manifest, a config) is read at once: a push needs its manifest before
          // the first request, and the thread pool would first have to start its threads (~5 ms).
          // A layer is read on the thread pool, while the requests before its upload go out.
          return (statSync(file).size <= smallBlob ? readBytes(file) : await readBytesAsync(file));
        } catch {
          throw new CliError('LAYOUT_INVALID', `blob ${digest} is missing from the layout ${input}`);
        }
      },
    };
  }
  const files = new Map<string, Uint8Array>();
  try {
    for (const entry of readTar(readBytes(input))) {
      if (entry.type === 'file') files.set(entry.name.replace(/^\.\//, ''), entry.data);
    }
  } catch (error) {
    throw new CliError('LAYOUT_INVALID', `${input} is not an oci-archive tar: ${messageOf(error)}`, { hint: 'make one with `istio-wasm package --output FILE.tar`' });
  }
  const indexBytes = files.get('index.json');
  let index: LayoutIndex | undefined;
  try {
    index = indexBytes ? (JSON.parse(new TextDecoder().decode(indexBytes)) as LayoutIndex) : undefined;
  } catch {
    index = undefined;
  }
  if (!index || !Array.isArray(index.manifests)) throw new CliError('LAYOUT_INVALID', `${input} holds no valid index.json`, { hint: 'make one with `istio-wasm package --output FILE.tar`' });
  return {
    path: input,
    index,
    readBlob: async (digest) => {
      const data = files.get(`blobs/${digest.replace(':', '/')}`);
      if (!data) throw new CliError('LAYOUT_INVALID', `blob ${digest} is missing from the archive ${input}`);
      return data;
    },
  };
}

/** The manifest descriptor for a tag (or the only one when no tag is given). */
export function selectLayoutManifest(layout: LayoutReader, tag?: string): Descriptor {
  const manifests = layout.index.manifests;
  if (tag) {
    const found = manifests.find((m) => m.annotations?.[refNameKey] === tag);
    if (!found) throw new CliError('TAG_NOT_FOUND', `tag "${tag}" is not in the layout ${layout.path}`, { hint: `tags there: ${manifests.map((m) => m.annotations?.[refNameKey] ?? m.digest).join(', ') || 'none'}` });
    return found;
  }
  const only = manifests[0];
  if (!only || manifests.length > 1) {
    throw new CliError('TAG_AMBIGUOUS', `the layout ${layout.path} holds ${manifests.length} images`, { hint: 'name one as PATH:TAG' });
  }
  return only;
}

export function parseManifest(bytes: Uint8Array, what: string): Manifest {
  try {
    const value = JSON.parse(new TextDecoder().decode(bytes)) as Manifest;
    if (typeof value !== 'object' || value === null) throw new Error('not an object');
    return value;
  } catch (error) {
    throw new CliError('BAD_MANIFEST', `${what} is not a valid manifest: ${messageOf(error)}`);
  }
}

export async function removeQuietly(target: string): Promise<void> {
  await rm(target, { recursive: true, force: true }).catch(() => undefined);
}
