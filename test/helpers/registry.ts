import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/**
 * A real CNCF distribution registry (Debian `docker-registry`) on 127.0.0.1 on a free port, with
 * optional htpasswd auth. Started under a clean environment (REGISTRY_* variables would override the
 * config), stopped by its PID.
 */
export const registryBinary = '/usr/bin/docker-registry';

export function hasRegistry(): boolean {
  return existsSync(registryBinary) || spawnSync('sh', ['-c', 'command -v docker-registry'], { stdio: 'ignore' }).status === 0;
}

export function hasTool(tool: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
}

export interface StartedRegistry {
  /** http://127.0.0.1:PORT */
  url: string;
  /** 127.0.0.1:PORT */
  host: string;
  port: number;
  /** Storage root (for tests that look at what was stored). */
  root: string;
  stop(): Promise<void>;
}

function bcryptHtpasswd(file: string, user: string, pass: string): void {
  const done = spawnSync('htpasswd', ['-Bbc', file, user, pass], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (done.status !== 0) throw new Error(`htpasswd failed: ${done.stderr?.toString() ?? ''}`);
}

export interface RegistryOptions {
  htpasswd?: { user: string; pass: string };
  /** Serve an existing storage root (e.g. a cluster image's unpacked registry/) instead of a new one; it is not deleted on stop. */
  storageRoot?: string;
  /** Refuse writes (maintenance read-only mode). */
  readonly?: boolean;
}

export async function startRegistry(options: RegistryOptions = {}): Promise<StartedRegistry> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'ciw-registry-'));
  const storage = options.storageRoot ?? path.join(root, 'storage');
  const lines = [
    'version: 0.1',
    'log: { level: info, accesslog: { disabled: true } }',
    'storage:',
    `  filesystem: { rootdirectory: ${JSON.stringify(storage)} }`,
    options.readonly ? '  maintenance: { readonly: { enabled: true }, uploadpurging: { enabled: false } }' : '  delete: { enabled: true }',
    'http:',
    '  addr: 127.0.0.1:0',
  ];
  if (options.htpasswd) {
    const file = path.join(root, 'htpasswd');
    bcryptHtpasswd(file, options.htpasswd.user, options.htpasswd.pass);
    lines.push('auth:', `  htpasswd: { realm: test-registry, path: ${JSON.stringify(file)} }`);
  }
  const config = path.join(root, 'registry.yml');
  await writeFile(config, `${lines.join('\n')}\n`);
  const binary = existsSync(registryBinary) ? registryBinary : 'docker-registry';
  const child: ChildProcess = spawn(binary, ['serve', config], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: root }, stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await new Promise<number>((resolve, reject) => {
    let stderr = '';
    const timer = setTimeout(() => reject(new Error(`registry did not start within 15 s:\n${stderr}`)), 15_000);
    child.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
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
  const host = `127.0.0.1:${port}`;
  return {
    url: `http://${host}`,
    host,
    port,
    root,
    stop: async () => {
      if (child.exitCode === null && child.pid !== undefined) {
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        child.kill('SIGTERM');
        const timer = setTimeout(() => child.kill('SIGKILL'), 3_000);
        await exited;
        clearTimeout(timer);
      }
      await rm(root, { recursive: true, force: true });
    },
  };
}
