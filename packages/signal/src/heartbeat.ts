/**
 * Liveness of one connection: any message counts as a sign of life (the client sends
 * `ping` every `heartbeat.intervalMs` when it has nothing else to say). After
 * `timeoutMs` of silence `onTimeout` runs once.
 *
 * One timer per connection, not one per message: when the timer fires it checks how
 * long the connection has really been silent and re-arms for the remainder.
 */
import type { Clock, TimerHandle } from '@itda/common';

export class Heartbeat {
  readonly timeoutMs: number;
  readonly #clock: Clock;
  readonly #onTimeout: () => void;
  #lastSeen: number;
  #timer: TimerHandle | undefined;

  constructor(clock: Clock, timeoutMs: number, onTimeout: () => void) {
    this.#clock = clock;
    this.timeoutMs = timeoutMs;
    this.#onTimeout = onTimeout;
    this.#lastSeen = clock.now();
    this.#arm(timeoutMs);
  }

  /** Records a sign of life. */
  touch(): void {
    this.#lastSeen = this.#clock.now();
  }

  /** Stops watching; idempotent. */
  stop(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  get lastSeen(): number {
    return this.#lastSeen;
  }

  #arm(ms: number): void {
    this.#timer = this.#clock.setTimeout(() => this.#check(), ms);
  }

  #check(): void {
    this.#timer = undefined;
    const idle = this.#clock.now() - this.#lastSeen;
    if (idle >= this.timeoutMs) {
      this.#onTimeout();
      return;
    }
    this.#arm(this.timeoutMs - idle);
  }
}
