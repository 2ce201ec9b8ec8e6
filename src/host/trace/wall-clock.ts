/**
 * The wall-clock time of a performance.now() reading, reading the wall clock itself at most once a
 * second of running: exchanges start thousands of times a second, and a clock read is much of what
 * starting a record costs. A clock that was set, or a machine that slept, shows within a second.
 */
export class WallClock {
  readonly #read: () => number;
  /** read() minus performance.now(), as last read. */
  #offset = 0;
  /** The performance.now() of that read. */
  #readAt = Number.NEGATIVE_INFINITY;

  constructor(read: () => number = Date.now) {
    this.#read = read;
  }

  /** Milliseconds since the epoch at `now`, a performance.now() reading taken just now (the wall clock may be read against it). */
  at(now: number): number {
    if (now - this.#readAt > 1000 || now < this.#readAt) {
      this.#offset = this.#read() - now;
      this.#readAt = now;
    }
    return now + this.#offset;
  }
}

/** The process's wall clock for exchange records. */
export const wallClock = new WallClock();
