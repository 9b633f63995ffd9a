/**
 * A log line that an attacker cannot turn into a flood: written at most once per
 * interval, carrying how many occurrences were held back since the last one.
 */
import type { LogFields, Logger } from '@itda/common';

export class ThrottledLog {
  readonly #log: Logger;
  readonly #msg: string;
  readonly #intervalMs: number;
  #lastAt = Number.NEGATIVE_INFINITY;
  #held = 0;

  /** `intervalMs`: at least this long between two lines (1 s – 1 h in practice). */
  constructor(log: Logger, msg: string, intervalMs: number) {
    this.#log = log;
    this.#msg = msg;
    this.#intervalMs = intervalMs;
  }

  /** Logs at info level now, or counts the occurrence for the next line. */
  info(now: number, fields: LogFields): void {
    if (now - this.#lastAt < this.#intervalMs) {
      this.#held++;
      return;
    }
    this.#lastAt = now;
    const suppressed = this.#held;
    this.#held = 0;
    this.#log.info(this.#msg, suppressed > 0 ? { ...fields, suppressed } : fields);
  }
}
