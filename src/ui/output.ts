import { fstatSync, statSync, writeSync } from 'node:fs';
import { styleText } from 'node:util';

/**
 * Where the CLI writes. Progress and logs go to stderr; results go to stdout so `--json` pipes.
 * Colour only when the stream is a terminal and NO_COLOR is unset.
 *
 * Everything the CLI prints goes through here. Text for a file, a pipe or /dev/null is written
 * straight to the descriptor: Node's process.stdout and process.stderr cost 2-5 ms to build (its
 * stream modules, and a socket for a pipe), which a scaffold in CI or a script would pay for a few
 * lines. A terminal (or a character device that may be one) gets Node's stream, as prompts do.
 */
type Style = Parameters<typeof styleText>[0];
export type Output = 'stdout' | 'stderr';

const fdOf = (to: Output): 1 | 2 => (to === 'stdout' ? 1 : 2);
const direct = new Map<Output, boolean>();

/** A file, a pipe or the null device: never a terminal, written with writeSync. */
function isDirect(to: Output): boolean {
  let known = direct.get(to);
  if (known === undefined) {
    try {
      const info = fstatSync(fdOf(to));
      known = !info.isCharacterDevice() || info.rdev === statSync('/dev/null', { throwIfNoEntry: false })?.rdev;
    } catch {
      known = false;
    }
    direct.set(to, known);
  }
  return known;
}

/** `istio-wasm … | head` closes stdout early: that is the reader's choice, not an error. */
function readerGone(): never {
  process.exit(process.exitCode ?? 0);
}

const streams = new Set<Output>();

/** Node's stream for stdout or stderr (for a prompt, or a terminal), its early-closed reader handled. */
export function stream(to: Output): NodeJS.WriteStream {
  const node = to === 'stdout' ? process.stdout : process.stderr;
  if (!streams.has(to)) {
    streams.add(to);
    node.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EPIPE') readerGone();
      throw error;
    });
  }
  return node;
}

/** Whether stdout or stderr is a terminal. */
export function isTerminal(to: Output): boolean {
  return !isDirect(to) && stream(to).isTTY === true;
}

/** Text to stdout or stderr, as it is. */
export function write(to: Output, text: string): void {
  if (!isDirect(to)) {
    stream(to).write(text);
    return;
  }
  const bytes = Buffer.from(text, 'utf8');
  let done = 0;
  try {
    while (done < bytes.length) done += writeSync(fdOf(to), bytes, done);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EPIPE') readerGone();
    if (code !== 'EAGAIN') throw error;
    // A pipe left non-blocking by another process, and full: Node's stream waits for it.
    direct.set(to, false);
    stream(to).write(bytes.subarray(done));
  }
}

function colourOn(to: Output): boolean {
  if (process.env.NO_COLOR !== undefined && process.env.NO_COLOR !== '') return false;
  if (process.env.FORCE_COLOR !== undefined && process.env.FORCE_COLOR !== '0') return true;
  return isTerminal(to);
}

export function paint(style: Style, text: string, to: Output = 'stderr'): string {
  return colourOn(to) ? styleText(style, text) : text;
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
  if (!quiet) write('stderr', `${text}\n`);
}

export function step(text: string): void {
  info(`${paint('cyan', '›')} ${text}`);
}

export function success(text: string): void {
  info(`${paint('green', '✔')} ${text}`);
}

/** Warnings are never silenced: they are about things that would break later. */
export function warn(text: string): void {
  write('stderr', `${paint('yellow', 'warning:')} ${text}\n`);
}

export function debug(text: string): void {
  if (isVerbose()) write('stderr', `${paint('dim', text)}\n`);
}

/** A result for humans on stdout. */
export function result(text: string): void {
  write('stdout', text.endsWith('\n') ? text : `${text}\n`);
}

/** One JSON document on stdout. */
export function json(value: unknown): void {
  write('stdout', `${JSON.stringify(value, null, 2)}\n`);
}
