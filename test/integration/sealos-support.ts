import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { gunzip, isGzip } from '../../src/oci/gzip.js';
import { readTar } from '../../src/oci/tar.js';
import { registryBinary } from '../helpers/registry.js';

/**
 * Serves an existing storage root (a cluster image's unpacked `registry/`) with the Debian
 * distribution registry on 127.0.0.1, read-only, under a clean environment. Stopped by its PID.
 */
export async function serveStorageRoot(root: string): Promise<{ host: string; stop: () => Promise<void> }> {
  const confDir = await mkdtemp(path.join(os.tmpdir(), 'ciw-sealos-serve-'));
  const config = path.join(confDir, 'registry.yml');
  await writeFile(
    config,
    [
      'version: 0.1',
      'log: { level: info, accesslog: { disabled: true } }',
      'storage:',
      `  filesystem: { rootdirectory: ${JSON.stringify(root)} }`,
      '  maintenance: { readonly: { enabled: true }, uploadpurging: { enabled: false } }',
      'http:',
      '  addr: 127.0.0.1:0',
      '',
    ].join('\n'),
  );
  const binary = existsSync(registryBinary) ? registryBinary : 'docker-registry';
  const child: ChildProcess = spawn(binary, ['serve', config], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: confDir }, stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`registry did not start within 15 s:\n${stderr}`)), 15_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`registry exited with ${code}:\n${stderr}`));
    });
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
      const match = /listening on 127\.0\.0\.1:(\d+)/.exec(stderr);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
  });
  child.stderr?.removeAllListeners('data');
  child.stderr?.resume();
  child.removeAllListeners('exit');
  return {
    host: `127.0.0.1:${port}`,
    stop: async () => {
      if (child.exitCode === null && child.pid !== undefined) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(confDir, { recursive: true, force: true });
    },
  };
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
