/**
 * What a subscriber transport sent, by transport-wide sequence number, so that its
 * transport-cc feedback can be turned into packet results (feedback-adapter.ts). A ring
 * of `SENT_HISTORY_SLOTS` entries in typed arrays: nothing is allocated per packet. At
 * 2.5 Mbit/s (≈ 260 packets/s) it spans about 8 s; feedback comes every ~100 ms.
 *
 * The sequence numbers are the 16-bit ones on the wire; `nextSequence` counts them and
 * the ring keeps each slot's full number, so a stale slot (wrapped over) is told from the
 * one asked for.
 */

export const SENT_HISTORY_SLOTS = 2048;
const MASK = SENT_HISTORY_SLOTS - 1;

export class SentHistory {
  /** The unwrapped sequence number in each slot (−1: empty). */
  readonly #seq = new Float64Array(SENT_HISTORY_SLOTS).fill(-1);
  readonly #sendMs = new Float64Array(SENT_HISTORY_SLOTS);
  readonly #size = new Uint16Array(SENT_HISTORY_SLOTS);
  readonly #probe = new Int32Array(SENT_HISTORY_SLOTS);
  /** The next unwrapped sequence number to hand out. */
  #next = 0;

  /** Packets sent so far (the unwrapped number of the next one). */
  get sent(): number {
    return this.#next;
  }

  /** Records one packet about to be sent; returns the 16-bit number to write into it. */
  record(size: number, sendMs: number, probeCluster = 0): number {
    const n = this.#next++;
    const slot = n & MASK;
    this.#seq[slot] = n;
    this.#sendMs[slot] = sendMs;
    this.#size[slot] = Math.min(size, 0xffff);
    this.#probe[slot] = probeCluster;
    return n & 0xffff;
  }

  /**
   * The unwrapped number of 16-bit `seq`: the one closest below the next to hand out
   * (feedback is about packets sent in the last few seconds). −1 if it was never sent.
   */
  unwrap(seq: number): number {
    const next = this.#next;
    let n = next - 1 - ((next - 1 - seq) & 0xffff);
    if (n < 0) n = -1;
    return n;
  }

  /** Send time of packet `n` (unwrapped), or undefined when not held. */
  sendMs(n: number): number | undefined {
    return n >= 0 && this.#seq[n & MASK] === n ? this.#sendMs[n & MASK] : undefined;
  }

  size(n: number): number {
    return this.#size[n & MASK] as number;
  }

  probeCluster(n: number): number | undefined {
    const p = this.#probe[n & MASK] as number;
    return p === 0 ? undefined : p;
  }
}
