/**
 * Time as a parameter, so protocol cores can be tested by moving a clock instead of
 * sleeping (STYLE.md §2).
 */
export interface TimerHandle {
  cancel(): void;
}

export interface Clock {
  /** Milliseconds, monotonic within one clock. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds unless cancelled. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
}

/** The real clock: `performance.now()` and the platform's timers. */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout(fn, ms) {
    const handle = setTimeout(fn, ms);
    // Timers of a server must not keep a process alive on their own (Node only).
    (handle as { unref?: () => void }).unref?.();
    return { cancel: () => clearTimeout(handle) };
  },
};

/**
 * A clock that moves only when told to: `advance(ms)` runs every timer that falls due,
 * in order. For tests.
 */
export class ManualClock implements Clock {
  #now: number;
  #seq = 0;
  readonly #timers = new Map<number, { at: number; fn: () => void }>();

  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const id = ++this.#seq;
    this.#timers.set(id, { at: this.#now + Math.max(0, ms), fn });
    return { cancel: () => this.#timers.delete(id) };
  }

  /** Moves time forward by `ms`, running due timers in time order. */
  advance(ms: number): void {
    const end = this.#now + ms;
    for (;;) {
      let nextId = -1;
      let nextAt = Number.POSITIVE_INFINITY;
      for (const [id, t] of this.#timers) {
        if (t.at <= end && t.at < nextAt) {
          nextAt = t.at;
          nextId = id;
        }
      }
      if (nextId < 0) break;
      const timer = this.#timers.get(nextId);
      this.#timers.delete(nextId);
      this.#now = nextAt;
      timer?.fn();
    }
    this.#now = end;
  }

  /** Number of timers not yet run or cancelled. */
  get pending(): number {
    return this.#timers.size;
  }
}
