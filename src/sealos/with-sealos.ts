import { spawnSync } from 'node:child_process';
import { CliError } from '../errors.js';
import { runTool } from '../build/exec.js';

/**
 * `--with-sealos`: hand the context to the real `sealos build` / `sealos push` (buildah underneath),
 * for users who want sealos's own image (and its collection of images/shim). Without sealos on
 * PATH this is an error, not a silent fallback: the user asked for it.
 */
export function sealosOnPath(env: NodeJS.ProcessEnv = process.env): boolean {
  return spawnSync('sh', ['-c', 'command -v sealos'], { stdio: 'ignore', env }).status === 0;
}

export function requireSealos(): void {
  if (!sealosOnPath()) {
    throw new CliError('SEALOS_NOT_FOUND', '--with-sealos was given, but sealos is not installed (not on PATH)', {
      hint: 'install sealos (https://sealos.io/docs), or leave out --with-sealos: istio-wasm builds and pushes the same cluster image itself, without sealos or a Docker engine',
    });
  }
}

export async function sealosBuild(contextDir: string, reference: string, options: { signal?: AbortSignal | undefined; onOutput?: (line: string) => void }): Promise<void> {
  requireSealos();
  await runTool('sealos', ['build', '-t', reference, '-f', 'Kubefile', '.'], { cwd: contextDir, signal: options.signal, onOutput: options.onOutput, missingHint: 'install sealos' });
}

export async function sealosPush(reference: string, options: { authfile?: string | undefined; creds?: string | undefined; plainHttp?: boolean | undefined; cwd: string; signal?: AbortSignal | undefined; onOutput?: (line: string) => void }): Promise<void> {
  requireSealos();
  const args = ['push'];
  if (options.authfile) args.push('--authfile', options.authfile);
  // Passed only when the user gave --creds; prefer `sealos login` (it keeps them off the command line).
  if (options.creds) args.push('--creds', options.creds);
  if (options.plainHttp) args.push('--tls-verify=false');
  args.push(reference);
  await runTool('sealos', args, { cwd: options.cwd, signal: options.signal, onOutput: options.onOutput, missingHint: 'install sealos' });
}
