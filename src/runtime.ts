import { CancelledError } from './errors.js';

/**
 * Ctrl-C handling shared by every command: the first SIGINT aborts this signal so the running
 * operation can clean up (temp dirs, half-open uploads) and fail with CancelledError; a second
 * SIGINT exits at once.
 */
const controller = new AbortController();
let installed = false;

export function installInterruptHandler(): void {
  if (installed) return;
  installed = true;
  process.on('SIGINT', () => {
    if (controller.signal.aborted) process.exit(130);
    controller.abort(new CancelledError());
  });
}

export function cancelSignal(): AbortSignal {
  return controller.signal;
}

export function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw signal.reason instanceof Error ? signal.reason : new CancelledError();
}
