import { mkdtemp, rm, copyFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CliError } from '../errors.js';
import { runTool, toolVersion } from './exec.js';
import type { BuildContext } from './types.js';

/** A container engine that can build: docker with a reachable daemon, or podman. */
export async function findContainerEngine(): Promise<{ command: string; version: string } | undefined> {
  const docker = await toolVersion('docker', ['info', '--format', '{{.ServerVersion}}']);
  if (docker) return { command: 'docker', version: docker };
  const podman = await toolVersion('podman', ['version', '--format', '{{.Client.Version}}']);
  if (podman) return { command: 'podman', version: podman };
  return undefined;
}

/**
 * Builds through the project's Dockerfile (builder stage → `FROM scratch` + plugin.wasm) and exports
 * the final stage's filesystem, so no image is left behind and nothing is pushed.
 */
export async function buildWithContainer(ctx: BuildContext): Promise<void> {
  if (!existsSync(path.join(ctx.root, 'Dockerfile'))) {
    throw new CliError('BUILD_FAILED', 'no Dockerfile in the project', { hint: 'restore the Dockerfile the template generated, or build natively without --docker' });
  }
  const engine = await findContainerEngine();
  if (!engine) {
    throw new CliError('DOCKER_UNAVAILABLE', 'no container engine is reachable (`docker info` failed and podman is not installed)', {
      hint: 'start a Docker engine (or install podman); without one, `make push` (istio-wasm build + istio-wasm push) builds natively and pushes with no Docker engine',
    });
  }
  const out = await mkdtemp(path.join(os.tmpdir(), 'istio-wasm-docker-'));
  try {
    await runTool(engine.command, ['build', '--output', `type=local,dest=${out}`, '-f', 'Dockerfile', '.'], {
      cwd: ctx.root,
      signal: ctx.signal,
      onOutput: ctx.onOutput,
      missingHint: 'install Docker or podman',
    });
    const built = path.join(out, 'plugin.wasm');
    if (!existsSync(built)) {
      throw new CliError('BUILD_FAILED', 'the Dockerfile\'s final stage has no /plugin.wasm', { hint: 'the last stage must be FROM scratch with plugin.wasm at /' });
    }
    await copyFile(built, ctx.output);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
