/**
 * The loss-based side of GCC (draft-ietf-rmcat-gcc-02 §6), after libwebrtc's classic
 * SendSideBandwidthEstimation: the fraction of packets lost since the last decision,
 * taken once at least `MIN_PACKETS` were expected or a second has passed:
 * - under 2 %: the target may grow 8 % (+1 kbit/s), at most once a second;
 * - 2–10 %: hold;
 * - over 10 %: down to (1 − loss/2) × target, at most once per 300 ms + RTT.
 * Random loss below 10 % — what NACK/RTX repairs — does not lower the target.
 */

const MIN_PACKETS = 20;
const MAX_INTERVAL_MS = 1000;
const LOW_LOSS = 0.02;
const HIGH_LOSS = 0.1;

export class LossBased {
  #expected = 0;
  #lost = 0;
  #windowStartMs: number | undefined;
  #lastIncreaseMs: number | undefined;
  #lastDecreaseMs: number | undefined;
  #lossFraction = 0;

  /** The loss fraction of the last decision (0–1). */
  get lossFraction(): number {
    return this.#lossFraction;
  }

  /** Counts one feedback's packets. */
  count(received: number, lost: number, nowMs: number): void {
    this.#windowStartMs ??= nowMs;
    this.#expected += received + lost;
    this.#lost += lost;
  }

  /** The target after loss is taken into account (from the current `targetBps`). */
  adjust(targetBps: number, nowMs: number, rttMs: number): number {
    const start = this.#windowStartMs;
    if (start === undefined) return targetBps;
    if (this.#expected < MIN_PACKETS && nowMs - start < MAX_INTERVAL_MS) return targetBps;
    if (this.#expected === 0) return targetBps;
    const loss = this.#lost / this.#expected;
    this.#lossFraction = loss;
    this.#expected = 0;
    this.#lost = 0;
    this.#windowStartMs = nowMs;
    if (loss <= LOW_LOSS) {
      if (this.#lastIncreaseMs === undefined || nowMs - this.#lastIncreaseMs >= 1000) {
        this.#lastIncreaseMs = nowMs;
        return targetBps * 1.08 + 1000;
      }
      return targetBps;
    }
    if (loss <= HIGH_LOSS) return targetBps;
    if (this.#lastDecreaseMs === undefined || nowMs - this.#lastDecreaseMs >= 300 + rttMs) {
      this.#lastDecreaseMs = nowMs;
      return targetBps * (1 - 0.5 * loss);
    }
    return targetBps;
  }
}
