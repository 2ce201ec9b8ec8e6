import { CliError } from '../errors.js';

/** Slow side effects after the files are placed; `--dry-run` lists them instead. */
export interface QueuedStep {
  id: 'install' | 'git';
  /** The command as a user would type it. */
  command: string;
}

export type PackageManager = 'npm' | 'pnpm' | 'yarn' | 'bun';

/** The package manager that ran us (`npm create`, `pnpm create`, …), from npm_config_user_agent. */
export function detectPackageManager(env: NodeJS.ProcessEnv): PackageManager {
  const agent = env.npm_config_user_agent ?? '';
  const name = agent.split(' ')[0]?.split('/')[0];
  return name === 'pnpm' || name === 'yarn' || name === 'bun' ? name : 'npm';
}

export async function runInstall(dir: string, pm: PackageManager, options: { signal?: AbortSignal | undefined; onOutput?: ((line: string) => void) | undefined }): Promise<void> {
  const { execa } = await import('execa');
  const child = execa(pm, ['install'], { cwd: dir, all: true, reject: false, ...(options.signal ? { cancelSignal: options.signal } : {}) });
  child.all?.setEncoding('utf8');
  child.all?.on('data', (chunk: string) => {
    for (const line of chunk.split('\n')) if (line.trim()) options.onOutput?.(line);
  });
  const result = await child;
  if (options.signal?.aborted) throw options.signal.reason;
  if ((result.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOENT') {
    throw new CliError('INSTALL_FAILED', `${pm} is not installed`, { hint: `install ${pm}, or pass --no-install and install the dependencies yourself` });
  }
  if (result.exitCode !== 0) {
    const tail = String(result.all ?? '').trim().split('\n').slice(-8).join('\n');
    throw new CliError('INSTALL_FAILED', `${pm} install failed (exit ${result.exitCode ?? 'unknown'}):\n${tail}`, {
      hint: `the project files are complete: fix the problem and run \`${pm} install\` in ${dir}`,
    });
  }
}

/** `git init` and a first commit, unless the directory is already inside a work tree. */
export async function initGit(dir: string): Promise<'initialized' | 'inside-repository'> {
  const { simpleGit } = await import('simple-git');
  const git = simpleGit(dir);
  const inside = await git.revparse(['--is-inside-work-tree']).then((out) => out.trim() === 'true', () => false);
  if (inside) return 'inside-repository';
  await git.init();
  await git.add('-A');
  const name = (await git.getConfig('user.name')).value;
  const email = (await git.getConfig('user.email')).value;
  const identity = name && email ? [] : ['-c', `user.name=${name ?? 'create-istio-wasm'}`, '-c', `user.email=${email ?? 'create-istio-wasm@localhost'}`];
  await git.raw([...identity, 'commit', '--quiet', '--no-verify', '-m', 'Initial commit from create-istio-wasm']);
  return 'initialized';
}
