/**
 * A token bucket (clock-injected): `burst` tokens, refilled at `ratePerSecond`.
 * Each message takes one token; an empty bucket means the message is over the limit.
 */
import type { Clock } from '@itda/common';

export class TokenBucket {
  readonly ratePerSecond: number;
  readonly burst: number;
  readonly #clock: Clock;
  #tokens: number;
  #last: number;
  #wasFull = true;

  /**
   * @param ratePerSecond refill rate, tokens per second (> 0)
   * @param burst bucket size, the most messages accepted at once (>= 1)
   */
  constructor(clock: Clock, ratePerSecond: number, burst: number) {
    this.#clock = clock;
    this.ratePerSecond = ratePerSecond;
    this.burst = burst;
    this.#tokens = burst;
    this.#last = clock.now();
  }

  /** Refills for the time passed, then takes `cost` tokens (default 1). False (nothing taken) when too few are left. */
  take(cost = 1): boolean {
    const now = this.#clock.now();
    const elapsed = Math.max(0, now - this.#last);
    this.#last = now;
    this.#tokens = Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSecond) / 1000);
    this.#wasFull = this.#tokens >= this.burst;
    if (this.#tokens >= cost) {
      this.#tokens -= cost;
      return true;
    }
    return false;
  }

  /** True when the bucket was full before the last `take`: the sender had been quiet. */
  get wasFull(): boolean {
    return this.#wasFull;
  }

  /** Tokens left now (without taking one). */
  get available(): number {
    const elapsed = Math.max(0, this.#clock.now() - this.#last);
    return Math.min(this.burst, this.#tokens + (elapsed * this.ratePerSecond) / 1000);
  }
}
