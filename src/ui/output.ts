import { styleText } from 'node:util';

/**
 * Where the CLI writes. Progress and logs go to stderr; results go to stdout so `--json` pipes.
 * Colour only when stderr is a TTY and NO_COLOR is unset.
 */
type Style = Parameters<typeof styleText>[0];

function colourOn(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true;
}

export function paint(style: Style, text: string, stream: NodeJS.WriteStream = process.stderr): string {
  return colourOn(stream) ? styleText(style, text) : text;
}

let quiet = false;
let verbose = false;

export function setOutputMode(options: { quiet?: boolean; verbose?: boolean }): void {
  quiet = options.quiet ?? false;
  verbose = options.verbose ?? false;
}

export function isVerbose(): boolean {
  return verbose || Boolean(process.env.DEBUG);
}

/** A line of progress on stderr (silenced by --quiet and --json). */
export function info(text: string): void {
  if (!quiet) process.stderr.write(`${text}\n`);
}

export function step(text: string): void {
  info(`${paint('cyan', '›')} ${text}`);
}

export function success(text: string): void {
  info(`${paint('green', '✔')} ${text}`);
}

/** Warnings are never silenced: they are about things that would break later. */
export function warn(text: string): void {
  process.stderr.write(`${paint('yellow', 'warning:')} ${text}\n`);
}

export function debug(text: string): void {
  if (isVerbose()) process.stderr.write(`${paint('dim', text)}\n`);
}

/** A result for humans on stdout. */
export function result(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

/** One JSON document on stdout. */
export function json(value: unknown): void {
  process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
