/**
 * The one error type the core throws. The CLI's error boundary (src/cli.ts) turns it into one red
 * line on stderr, an optional hint, and the exit code. Core modules never print and never exit.
 */
export class CliError extends Error {
  readonly code: string;
  readonly hint: string | undefined;
  readonly exitCode: number;

  constructor(code: string, message: string, options: { hint?: string; exitCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.code = code;
    this.hint = options.hint;
    this.exitCode = options.exitCode ?? 1;
  }
}

/** Ctrl-C or a cancelled prompt: "Operation cancelled", exit 130, as shells expect after SIGINT. */
export class CancelledError extends CliError {
  constructor() {
    super('CANCELLED', 'Operation cancelled', { exitCode: 130 });
    this.name = 'CancelledError';
  }
}

export function isCliError(error: unknown): error is CliError {
  return error instanceof CliError;
}

/** Message of any thrown value, for wrapping third-party errors into a CliError. */
export function messageOf(error: unknown): string {
  if (error instanceof Error) return error.message;
  return String(error);
}
