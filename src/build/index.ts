import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { CliError } from '../errors.js';
import type { Language, ProjectConfig } from '../project/schema.js';
import type { LanguageBuilder } from './types.js';

export interface BuildResult {
  /** Module path relative to the project root. */
  module: string;
  size: number;
  sha256: string;
  abiVersion: string | null;
}

/** The native builder for a language (loaded on demand). */
export async function builderFor(language: Language): Promise<LanguageBuilder> {
  switch (language) {
    case 'assemblyscript':
      return (await import('./assemblyscript.js')).assemblyscriptBuilder;
    case 'rust':
      return (await import('./rust.js')).rustBuilder;
    case 'go':
      return (await import('./go.js')).goBuilder;
    case 'cpp':
      return (await import('./cpp.js')).cppBuilder;
  }
}

/**
 * Where a build writes before the module is moved into place: beside it, ending in `.wasm`, because
 * toolchains pick their output format from the name (em++ writes JavaScript to any other suffix and
 * the module next to it).
 */
export function partialModulePath(output: string, pid: number = process.pid): string {
  const base = path.basename(output).replace(/\.wasm$/i, '');
  return path.join(path.dirname(output), `.${base}.partial-${pid}.wasm`);
}

/**
 * Builds the project's module with its native toolchain (or the Dockerfile with `docker: true`),
 * writes it atomically to the module path from istio-wasm.yaml, and checks it as `inspect` does.
 * A module with problems fails the build (the file is kept so it can be inspected).
 */
export async function buildProject(options: {
  root: string;
  config: ProjectConfig;
  docker?: boolean;
  signal?: AbortSignal;
  onOutput?: (line: string) => void;
  onNote?: (line: string) => void;
}): Promise<BuildResult> {
  const { root, config } = options;
  const output = path.resolve(root, config.module);
  await mkdir(path.dirname(output), { recursive: true });
  const partial = partialModulePath(output);
  const ctx = { root, config, output: partial, signal: options.signal, onOutput: options.onOutput, onNote: options.onNote };
  try {
    if (options.docker) {
      const { buildWithContainer } = await import('./docker.js');
      await buildWithContainer(ctx);
    } else {
      const builder = await builderFor(config.language);
      await builder.build(ctx);
    }
    await rename(partial, output);
  } finally {
    await rm(partial, { force: true });
  }
  const bytes = await readFile(output);
  const { inspectWasm } = await import('../wasm/inspect.js');
  const report = inspectWasm(bytes);
  if (report.problems.length > 0) {
    throw new CliError('MODULE_INVALID', `the built module ${config.module} would not load in a proxy:\n  - ${report.problems.join('\n  - ')}`, {
      hint: 'see `istio-wasm inspect ' + config.module + '` for its imports and exports',
    });
  }
  return { module: config.module, size: report.size, sha256: report.sha256, abiVersion: report.abiVersion };
}
