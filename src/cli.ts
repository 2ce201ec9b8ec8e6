import { isCliError, messageOf } from './errors.js';
import { installInterruptHandler } from './runtime.js';
import { paint, isVerbose } from './ui/output.js';
import { packageInfo } from './version.js';
import type { Entry } from './program.js';

export type { Entry };

/** The one error boundary: every failure becomes one red line (plus hint) and an exit code. */
export async function main(argv: string[], entry: Entry): Promise<void> {
  const args = argv.slice(2);
  // Fast path: `--version` needs no command modules.
  if (args.length === 1 && (args[0] === '--version' || args[0] === '-v')) {
    process.stdout.write(`${packageInfo().version}\n`);
    return;
  }
  installInterruptHandler();
  // `istio-wasm … | head` closes stdout early: that is the reader's choice, not an error.
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
      throw error;
    });
  }
  // commander and the command modules load only past the --version fast path.
  const { buildProgram } = await import('./program.js');
  const program = buildProgram(entry);
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = reportError(error);
  }
}

export function reportError(error: unknown): number {
  if (error instanceof Error && error.name === 'CommanderError') {
    // commander already printed its message (or help/version, which exit 0).
    return (error as Error & { exitCode: number }).exitCode === 0 ? 0 : 2;
  }
  if (isCliError(error)) {
    const line = error.code === 'CANCELLED' ? error.message : `error: ${error.message}`;
    process.stderr.write(`${paint('red', line)}\n`);
    if (error.hint) process.stderr.write(`${paint('dim', `hint: ${error.hint}`)}\n`);
    if (isVerbose() && error.stack) process.stderr.write(`${paint('dim', error.stack)}\n`);
    return error.exitCode;
  }
  if (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')) {
    process.stderr.write(`${paint('red', 'Operation cancelled')}\n`);
    return 130;
  }
  process.stderr.write(`${paint('red', `error: unexpected failure: ${messageOf(error)}`)}\n`);
  if (isVerbose() && error instanceof Error && error.stack) process.stderr.write(`${paint('dim', error.stack)}\n`);
  else process.stderr.write(`${paint('dim', 'hint: run again with --verbose for the stack trace, and report it if it persists')}\n`);
  return 1;
}
