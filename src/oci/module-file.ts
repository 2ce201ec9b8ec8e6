import { readBytes } from '../util/read-bytes.js';
import path from 'node:path';
import { CliError, messageOf } from '../errors.js';
import type { Project } from '../project/load.js';
import { formatBytes } from '../util/format-bytes.js';

/** The .wasm a command works on: `--wasm`, else the project's `module`. */
export async function readModuleFile(flag: string | undefined, project: Project | undefined, cwd: string): Promise<{ file: string; bytes: Uint8Array }> {
  const file = flag ? path.resolve(cwd, flag) : project ? path.resolve(project.root, project.config.module) : undefined;
  if (!file) {
    throw new CliError('NO_MODULE', 'no module given and no istio-wasm.yaml here', { hint: 'pass --wasm path/to/plugin.wasm, or run inside a project' });
  }
  try {
    return { file, bytes: readBytes(file) };
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new CliError(missing ? 'MODULE_NOT_FOUND' : 'MODULE_UNREADABLE', missing ? `module ${file} does not exist` : `cannot read ${file}: ${messageOf(error)}`, {
      hint: flag ? 'check the --wasm path' : 'run `istio-wasm build` first, or pass --wasm',
    });
  }
}

/** Human size: 1.2 MiB. */
export { formatBytes };
