/**
 * The throughput that actually got through: bytes of received packets per arrival-time
 * window (the receiver's clock). The rate controller caps increases by it and bases
 * decreases on it ("acknowledged bitrate" in libwebrtc).
 */

/** Window over which received bytes are counted, ms. */
export const ACKED_WINDOW_MS = 500;

export class AckedBitrate {
  readonly #times: number[] = [];
  readonly #sizes: number[] = [];
  #head = 0;
  #bytes = 0;

  add(arrivalMs: number, size: number): void {
    this.#times.push(arrivalMs);
    this.#sizes.push(size);
    this.#bytes += size;
    this.#trim(arrivalMs);
  }

  /** Bits per second over the last window ending at the newest arrival; undefined before half a window of data. */
  bps(): number | undefined {
    const n = this.#times.length;
    if (n - this.#head < 2) return undefined;
    const newest = this.#times[n - 1] as number;
    const oldest = this.#times[this.#head] as number;
    const span = Math.max(newest - oldest, ACKED_WINDOW_MS / 2);
    if (newest - oldest < ACKED_WINDOW_MS / 2) return undefined;
    return (this.#bytes * 8 * 1000) / Math.max(span, 1);
  }

  #trim(nowMs: number): void {
    while (this.#head < this.#times.length && (this.#times[this.#head] as number) < nowMs - ACKED_WINDOW_MS) {
      this.#bytes -= this.#sizes[this.#head] as number;
      this.#head++;
    }
    if (this.#head > 1024 && this.#head * 2 > this.#times.length) {
      this.#times.splice(0, this.#head);
      this.#sizes.splice(0, this.#head);
      this.#head = 0;
    }
  }
}
