import { execFile } from 'node:child_process';
import { readFile, readdir } from 'node:fs/promises';
import path from 'node:path';
import { promisify } from 'node:util';
import { extractModule } from '../../../src/oci/extract.js';
import { digestOf } from '../../../src/oci/image.js';
import type { Manifest } from '../../../src/oci/media-types.js';

const run = promisify(execFile);

/** skopeo with a clean auth setup; throws with stderr on failure. */
export async function skopeo(args: string[], env: NodeJS.ProcessEnv = {}): Promise<string> {
  const { stdout } = await run('skopeo', args, { env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, maxBuffer: 256 * 1024 * 1024, encoding: 'utf8' });
  return stdout;
}

export async function skopeoFails(args: string[]): Promise<string> {
  try {
    await skopeo(args);
  } catch (error) {
    return String((error as { stderr?: string }).stderr ?? error);
  }
  throw new Error(`skopeo ${args.join(' ')} succeeded`);
}

/**
 * Checks a pushed image with skopeo: raw manifest digest, config, every blob copied to dir:,
 * and the module extracted from those blobs by Istio's rules. Returns the module bytes.
 */
export async function checkWithSkopeo(image: string, digest: string, outDir: string, creds?: string): Promise<{ manifest: Manifest; module: Uint8Array; variant: string }> {
  const auth = creds ? ['--creds', creds] : [];
  const raw = await skopeo(['inspect', '--raw', '--tls-verify=false', ...auth, `docker://${image}`]);
  if (digestOf(new TextEncoder().encode(raw)) !== digest) throw new Error(`skopeo's manifest of ${image} has another digest than ${digest}`);
  const manifest = JSON.parse(raw) as Manifest;
  const config = await skopeo(['inspect', '--config', '--raw', '--tls-verify=false', ...auth, `docker://${image}`]);
  if (manifest.config && digestOf(new TextEncoder().encode(config)) !== manifest.config.digest) throw new Error('config digest differs');
  await skopeo(['copy', '--src-tls-verify=false', ...(creds ? ['--src-creds', creds] : []), `docker://${image}`, `dir:${outDir}`]);
  const files = await readdir(outDir);
  for (const layer of manifest.layers ?? []) {
    const hex = layer.digest.slice(7);
    if (!files.includes(hex)) throw new Error(`blob ${hex} missing from skopeo's copy`);
    const bytes = await readFile(path.join(outDir, hex));
    if (digestOf(bytes) !== layer.digest) throw new Error(`blob ${hex} bytes differ`);
  }
  const extracted = await extractModule(manifest, async (d) => new Uint8Array(await readFile(path.join(outDir, d.digest.slice(7)))));
  return { manifest, module: extracted.bytes, variant: extracted.variant };
}

/** A module that passes the agent's checks: `\0asm` + version + random custom-section-ish bytes. */
export function fakeModule(size: number, seed = 1): Uint8Array {
  const out = new Uint8Array(size);
  out.set([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  let x = Math.imul(seed, 2654435761) >>> 0;
  for (let i = 8; i < size; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    out[i] = x >>> 24;
  }
  return out;
}
