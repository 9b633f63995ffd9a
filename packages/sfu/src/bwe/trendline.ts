/**
 * The delay-based overuse detector of Google Congestion Control, after libwebrtc's
 * TrendlineEstimator (draft-ietf-rmcat-gcc-02 §5.3–§5.4 describe its Kalman-filter
 * predecessor; the trendline replaced it): the group delay variations (inter-arrival.ts)
 * are accumulated, smoothed, and a least-squares line is fitted over the last
 * `WINDOW` of them against arrival time. Its slope — is the queue growing? — scaled by
 * the number of deltas and a gain, is compared with an adaptive threshold γ:
 * above it for more than 10 ms and still rising: overusing; below −γ: underusing.
 * γ follows |trend| slowly (k_up 0.0087/ms, k_down 0.039/ms), so that a link whose
 * delay always wobbles (Wi-Fi, a loaded relay) does not read as congested, within
 * 6–600 ms.
 */
import type { BandwidthUsage } from './types.ts';

const WINDOW = 20;
const SMOOTHING = 0.9;
const GAIN = 4;
const MAX_DELTAS = 60;
const OVERUSE_TIME_MS = 10;
const K_UP = 0.0087;
const K_DOWN = 0.039;
const MAX_ADAPT_OFFSET_MS = 15;
const MAX_TIME_DELTA_MS = 100;
const INITIAL_THRESHOLD = 12.5;

export class Trendline {
  #numDeltas = 0;
  #firstArrivalMs: number | undefined;
  #accumulated = 0;
  #smoothed = 0;
  readonly #xs: number[] = [];
  readonly #ys: number[] = [];
  #trend = 0;
  #prevTrend = 0;
  #threshold = INITIAL_THRESHOLD;
  #lastThresholdUpdateMs: number | undefined;
  #overuseMs = -1;
  #overuseCount = 0;
  #state: BandwidthUsage = 'normal';

  get state(): BandwidthUsage {
    return this.#state;
  }

  /** The adaptive threshold γ, ms (for tests and metrics). */
  get threshold(): number {
    return this.#threshold;
  }

  /** One group delta; returns the detector's state after it. */
  update(sendDeltaMs: number, arrivalDeltaMs: number, arrivalMs: number): BandwidthUsage {
    const delta = arrivalDeltaMs - sendDeltaMs;
    this.#numDeltas = Math.min(this.#numDeltas + 1, 1000);
    this.#firstArrivalMs ??= arrivalMs;
    this.#accumulated += delta;
    this.#smoothed = SMOOTHING * this.#smoothed + (1 - SMOOTHING) * this.#accumulated;
    this.#xs.push(arrivalMs - this.#firstArrivalMs);
    this.#ys.push(this.#smoothed);
    if (this.#xs.length > WINDOW) {
      this.#xs.shift();
      this.#ys.shift();
    }
    if (this.#xs.length === WINDOW) this.#trend = slope(this.#xs, this.#ys) ?? this.#trend;
    this.#detect(sendDeltaMs, arrivalMs);
    return this.#state;
  }

  #detect(sendDeltaMs: number, nowMs: number): void {
    if (this.#numDeltas < 2) {
      this.#state = 'normal';
      return;
    }
    const modified = Math.min(this.#numDeltas, MAX_DELTAS) * this.#trend * GAIN;
    if (modified > this.#threshold) {
      this.#overuseMs = this.#overuseMs < 0 ? sendDeltaMs / 2 : this.#overuseMs + sendDeltaMs;
      this.#overuseCount++;
      if (this.#overuseMs > OVERUSE_TIME_MS && this.#overuseCount > 1 && this.#trend >= this.#prevTrend) {
        this.#overuseMs = 0;
        this.#overuseCount = 0;
        this.#state = 'overusing';
      }
    } else if (modified < -this.#threshold) {
      this.#overuseMs = -1;
      this.#overuseCount = 0;
      this.#state = 'underusing';
    } else {
      this.#overuseMs = -1;
      this.#overuseCount = 0;
      this.#state = 'normal';
    }
    this.#prevTrend = this.#trend;
    this.#adaptThreshold(modified, nowMs);
  }

  #adaptThreshold(modified: number, nowMs: number): void {
    const last = this.#lastThresholdUpdateMs ?? nowMs;
    this.#lastThresholdUpdateMs = nowMs;
    const magnitude = Math.abs(modified);
    // A spike far above γ (a route change, a sudden queue) is not let to drag γ up.
    if (magnitude > this.#threshold + MAX_ADAPT_OFFSET_MS) return;
    const k = magnitude < this.#threshold ? K_DOWN : K_UP;
    const dt = Math.min(nowMs - last, MAX_TIME_DELTA_MS);
    this.#threshold += k * (magnitude - this.#threshold) * dt;
    this.#threshold = Math.min(Math.max(this.#threshold, 6), 600);
  }
}

/** Least-squares slope of y over x; undefined when all x are equal. */
function slope(xs: readonly number[], ys: readonly number[]): number | undefined {
  const n = xs.length;
  let sx = 0;
  let sy = 0;
  for (let i = 0; i < n; i++) {
    sx += xs[i] as number;
    sy += ys[i] as number;
  }
  const mx = sx / n;
  const my = sy / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    const dx = (xs[i] as number) - mx;
    num += dx * ((ys[i] as number) - my);
    den += dx * dx;
  }
  return den === 0 ? undefined : num / den;
}
