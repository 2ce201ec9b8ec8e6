import type { Entry } from './program.js';

export type { Entry };

type Reporting = Pick<typeof import('./errors.js'), 'isCliError' | 'messageOf'> & Pick<typeof import('./ui/output.js'), 'paint' | 'isVerbose' | 'write'>;

/**
 * The one error boundary: every failure becomes one red line (plus hint) and an exit code. The
 * bins answer a lone `--version` themselves; everything here loads only past that (this file
 * imports nothing of ours statically).
 */
export async function main(argv: string[], entry: Entry): Promise<void> {
  const [errors, output, { installInterruptHandler }, { buildProgram }] = await Promise.all([
    import('./errors.js'),
    import('./ui/output.js'),
    import('./runtime.js'),
    // commander and the command modules load only past the --version fast path.
    import('./program.js'),
  ]);
  installInterruptHandler();
  // Output goes through ui/output (which also handles `istio-wasm … | head` closing stdout early):
  // process.stdout and process.stderr are built only when a terminal or a prompt needs them.
  const program = await buildProgram(entry, argv.slice(2));
  try {
    await program.parseAsync(argv);
  } catch (error) {
    process.exitCode = reportError(error, { ...errors, ...output });
  }
}

/** Every `--help` page of one bin (see help-pages.ts); the build stores them for the bins. */
export async function helpPages(entry: Entry, width: number): Promise<Record<string, string>> {
  return (await import('./help-pages.js')).helpPages(entry, width);
}

function reportError(error: unknown, { isCliError, messageOf, paint, isVerbose, write }: Reporting): number {
  if (error instanceof Error && error.name === 'CommanderError') {
    // commander already printed its message (or help/version, which exit 0).
    return (error as Error & { exitCode: number }).exitCode === 0 ? 0 : 2;
  }
  if (isCliError(error)) {
    const line = error.code === 'CANCELLED' ? error.message : `error: ${error.message}`;
    write('stderr', `${paint('red', line)}\n`);
    if (error.hint) write('stderr', `${paint('dim', `hint: ${error.hint}`)}\n`);
    if (isVerbose() && error.stack) write('stderr', `${paint('dim', error.stack)}\n`);
    return error.exitCode;
  }
  if (error instanceof Error && (error.name === 'ExitPromptError' || error.name === 'AbortPromptError')) {
    write('stderr', `${paint('red', 'Operation cancelled')}\n`);
    return 130;
  }
  write('stderr', `${paint('red', `error: unexpected failure: ${messageOf(error)}`)}\n`);
  if (isVerbose() && error instanceof Error && error.stack) write('stderr', `${paint('dim', error.stack)}\n`);
  else write('stderr', `${paint('dim', 'hint: run again with --verbose for the stack trace, and report it if it persists')}\n`);
  return 1;
}
