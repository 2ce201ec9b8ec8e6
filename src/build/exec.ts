import { CliError, CancelledError } from '../errors.js';

/**
 * Runs a toolchain command, streaming its output lines to `onOutput`. A missing executable becomes
 * TOOLCHAIN_MISSING, a non-zero exit BUILD_FAILED with the last lines of output, Ctrl-C CANCELLED.
 */
export async function runTool(
  command: string,
  args: string[],
  options: { cwd: string; signal?: AbortSignal | undefined; onOutput?: ((line: string) => void) | undefined; env?: NodeJS.ProcessEnv; missingHint: string },
): Promise<void> {
  const { execa } = await import('execa');
  const tail: string[] = [];
  const child = execa(command, args, {
    cwd: options.cwd,
    all: true,
    reject: false,
    env: options.env,
    ...(options.signal ? { cancelSignal: options.signal } : {}),
  });
  child.all?.setEncoding('utf8');
  let pending = '';
  child.all?.on('data', (chunk: string) => {
    pending += chunk;
    const lines = pending.split('\n');
    pending = lines.pop() ?? '';
    for (const line of lines) {
      tail.push(line);
      if (tail.length > 30) tail.shift();
      options.onOutput?.(line);
    }
  });
  const result = await child;
  if (pending) {
    tail.push(pending);
    options.onOutput?.(pending);
  }
  if (result.isCanceled || options.signal?.aborted) throw new CancelledError();
  const spawnError = result.cause as NodeJS.ErrnoException | undefined;
  if (spawnError?.code === 'ENOENT') {
    throw new CliError('TOOLCHAIN_MISSING', `${command} is not installed (or not on PATH)`, { hint: options.missingHint });
  }
  if (result.exitCode !== 0) {
    const shown = tail.filter((l) => l.trim()).slice(-12).join('\n');
    throw new CliError('BUILD_FAILED', `${command} ${args[0] ?? ''} failed with exit code ${result.exitCode ?? 'unknown'}${shown ? `:\n${shown}` : ''}`, {
      hint: 'fix the errors above and run the build again',
    });
  }
}

/** First line a tool prints for `--version`, or undefined when it is not installed. */
export async function toolVersion(command: string, args: string[] = ['--version'], cwd?: string): Promise<string | undefined> {
  const { execa } = await import('execa');
  try {
    const result = await execa(command, args, { reject: false, timeout: 10_000, ...(cwd ? { cwd } : {}) });
    if (result.exitCode !== 0) return undefined;
    return `${result.stdout}${result.stderr}`.trim().split('\n')[0];
  } catch {
    return undefined;
  }
}
