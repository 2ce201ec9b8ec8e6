import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { gunzip, isGzip } from '../../src/oci/gzip.js';
import { readTar } from '../../src/oci/tar.js';
import { startRegistry } from '../helpers/registry.js';

/**
 * Serves an existing storage root (a cluster image's unpacked `registry/`) with the Debian
 * distribution registry on 127.0.0.1, read-only, under a clean environment. Stopped by its PID.
 */
export async function serveStorageRoot(root: string): Promise<{ host: string; stop: () => Promise<void> }> {
  return startRegistry({ storageRoot: root, readonly: true });
}

/** Unpacks the layers of a `skopeo copy … dir:` (or OCI layout blobs) in order into `target`; returns the regular files. */
export async function unpackLayers(blobFiles: string[], target: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const file of blobFiles) {
    let bytes: Uint8Array = new Uint8Array(await readFile(file));
    if (isGzip(bytes)) bytes = gunzip(bytes);
    for (const entry of readTar(bytes)) {
      const name = entry.name.replace(/^\.\//, '').replace(/\/$/, '');
      if (!name || name === '.') continue;
      const out = path.join(target, ...name.split('/'));
      if (entry.type === 'directory') await mkdir(out, { recursive: true });
      else if (entry.type === 'file') {
        await mkdir(path.dirname(out), { recursive: true });
        await writeFile(out, entry.data);
        files.set(name, Buffer.from(entry.data));
      }
    }
  }
  return files;
}
