/**
 * The replay list of RFC 3711 §3.3.2 as a sliding window over packet indices: a
 * packet is accepted once when its index is newer than the highest seen, or within
 * `size` of it and not yet seen. `check` does not change state; `commit` records the
 * index and is called only after the packet authenticated, so forged packets cannot
 * move the window.
 */
import { SrtpError, SrtpErrorCode } from './errors.ts';

/** Default window: 128 packets (RFC 3711 §3.3.2 asks for at least 64). */
export const DEFAULT_REPLAY_WINDOW = 128;
/** Largest window accepted. */
export const MAX_REPLAY_WINDOW = 32768;

export class ReplayWindow {
  readonly size: number;
  /** seen[i % size] for the `size` indices up to `#highest`. */
  readonly #seen: Uint8Array;
  #highest = -1;

  /** @param size 64 … 32,768 packets; default 128. */
  constructor(size: number = DEFAULT_REPLAY_WINDOW) {
    if (!Number.isInteger(size) || size < 64 || size > MAX_REPLAY_WINDOW) {
      throw new RangeError(`replay window must be an integer in 64..${MAX_REPLAY_WINDOW}, got ${size}`);
    }
    this.size = size;
    this.#seen = new Uint8Array(size);
  }

  /** Highest index committed, or -1 before the first. */
  get highest(): number {
    return this.#highest;
  }

  /** Throws `srtp_replayed` or `srtp_replay_too_old` when `index` must be dropped. */
  check(index: number): void {
    if (index > this.#highest) return;
    if (this.#highest - index >= this.size) {
      throw new SrtpError(SrtpErrorCode.ReplayTooOld, 'packet index is older than the replay window', {
        details: { index, highest: this.#highest },
      });
    }
    if (this.#seen[index % this.size] === 1) {
      throw new SrtpError(SrtpErrorCode.Replayed, 'packet index already received', { details: { index } });
    }
  }

  /** Records `index` as received (after `check` passed and the packet authenticated). */
  commit(index: number): void {
    const size = this.size;
    if (index > this.#highest) {
      // Clear the slots the window slides over: at most `size` of them.
      const steps = this.#highest < 0 ? size : Math.min(index - this.#highest, size);
      for (let k = 0; k < steps; k++) this.#seen[(index - k) % size] = 0;
      this.#highest = index;
    }
    this.#seen[index % size] = 1;
  }
}
