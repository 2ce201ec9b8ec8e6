import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { CliError } from '../errors.js';
import { packageRoot } from '../version.js';
import { runTool } from './exec.js';
import type { BuildContext, LanguageBuilder, ToolCheck } from './types.js';

/** The asc entry point of the project's own assemblyscript (its devDependency), if installed. */
export function findAsc(root: string): string | undefined {
  try {
    const require = createRequire(path.join(root, 'package.json'));
    const pkg = require.resolve('assemblyscript/package.json');
    const asc = path.join(path.dirname(pkg), 'bin', 'asc.js');
    return existsSync(asc) ? asc : undefined;
  } catch {
    return undefined;
  }
}

function ascVersion(asc: string): string | undefined {
  try {
    const pkg = JSON.parse(readFileSync(path.join(path.dirname(asc), '..', 'package.json'), 'utf8')) as { version?: string };
    return pkg.version;
  } catch {
    return undefined;
  }
}

/**
 * The asc flags that give an ABI-clean module with our SDK: its own abort handler (no env.abort
 * import), `_initialize` as the reactor start, optimised and small. Kept beside the SDK.
 */
export function ascFlags(): string[] {
  const file = path.join(packageRoot, 'assembly', 'asc-flags.json');
  const data = JSON.parse(readFileSync(file, 'utf8')) as string[] | { args: string[] };
  return Array.isArray(data) ? data : data.args;
}

const installHint = 'run `npm install` in the project (assemblyscript is one of its devDependencies)';

export const assemblyscriptBuilder: LanguageBuilder = {
  language: 'assemblyscript',

  async toolchain(root: string): Promise<ToolCheck[]> {
    const asc = findAsc(root);
    const version = asc ? ascVersion(asc) : undefined;
    const check: ToolCheck = { tool: 'asc (assemblyscript)', found: asc !== undefined, fix: installHint };
    if (version) check.version = version;
    return [check];
  },

  async build(ctx: BuildContext): Promise<void> {
    const asc = findAsc(ctx.root);
    if (!asc) throw new CliError('TOOLCHAIN_MISSING', 'the AssemblyScript compiler (asc) is not installed in this project', { hint: installHint });
    const entry = path.join(ctx.root, 'assembly', 'index.ts');
    if (!existsSync(entry)) {
      throw new CliError('BUILD_FAILED', 'assembly/index.ts not found', { hint: 'an AssemblyScript plugin starts in assembly/index.ts' });
    }
    await runTool(process.execPath, [asc, path.relative(ctx.root, entry), '-o', ctx.output, ...ascFlags()], {
      cwd: ctx.root,
      signal: ctx.signal,
      onOutput: ctx.onOutput,
      missingHint: installHint,
    });
  },
};
