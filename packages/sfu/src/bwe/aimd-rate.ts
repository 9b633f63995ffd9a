/**
 * The delay-based rate controller of GCC (draft-ietf-rmcat-gcc-02 §5.5), after libwebrtc's
 * AimdRateControl. The detector's verdict drives a state: normal → increase, overusing →
 * decrease, underusing → hold (the queue is draining; let it).
 * - Increase: multiplicative (8 % a second) while the link's capacity is unknown; once an
 *   overuse has shown where it is, additive — about one packet per response time (RTT +
 *   100 ms) — near it. Never above 1.5 × the acknowledged throughput + 10 kbit/s: an
 *   estimate must not run away from what actually gets through.
 * - Decrease: to 0.85 × the acknowledged throughput, at most once per RTT (10–200 ms)
 *   unless the estimate is over twice the throughput; then hold.
 * The capacity seen at each overuse is averaged (link-capacity below); a throughput far
 * outside it forgets it, and increases go multiplicative again.
 */

export interface RateBounds {
  /** Where the estimate starts, bit/s. */
  startBps: number;
  minBps: number;
  maxBps: number;
}

const BETA = 0.85;
const MULTIPLICATIVE_PER_S = 1.08;
const MIN_INCREASE_BPS_PER_S = 4000;

/** The link capacity seen at overuses: an average and its spread (libwebrtc LinkCapacityEstimator). */
class LinkCapacity {
  #estimate: number | undefined;
  #variance = 0.4;

  get estimate(): number | undefined {
    return this.#estimate;
  }

  #spread(): number {
    return 3 * Math.sqrt(this.#variance * (this.#estimate ?? 0));
  }

  upper(): number | undefined {
    return this.#estimate === undefined ? undefined : this.#estimate + this.#spread();
  }

  lower(): number | undefined {
    return this.#estimate === undefined ? undefined : Math.max(0, this.#estimate - this.#spread());
  }

  onOveruse(ackedBps: number): void {
    const kbps = ackedBps / 1000;
    const est = this.#estimate === undefined ? kbps : (0.95 * this.#estimate) / 1000 + 0.05 * kbps;
    const err = est - kbps;
    this.#variance = Math.min(Math.max(0.95 * this.#variance + (0.05 * err * err) / Math.max(est, 1), 0.4), 2.5);
    this.#estimate = est * 1000;
  }

  reset(): void {
    this.#estimate = undefined;
  }
}

export class AimdRate {
  readonly #bounds: RateBounds;
  #bps: number;
  #state: 'hold' | 'increase' | 'decrease' = 'hold';
  #lastUpdateMs: number | undefined;
  #lastDecreaseMs: number | undefined;
  readonly #capacity = new LinkCapacity();
  #rttMs = 200;

  constructor(bounds: RateBounds) {
    this.#bounds = bounds;
    this.#bps = clamp(bounds.startBps, bounds);
  }

  get bps(): number {
    return this.#bps;
  }

  /** The link capacity learnt at overuses, bit/s, if any. */
  get capacityBps(): number | undefined {
    return this.#capacity.estimate;
  }

  setRtt(rttMs: number): void {
    this.#rttMs = rttMs;
  }

  /** Sets the estimate outright (a probe's result). */
  setEstimate(bps: number, nowMs: number): void {
    this.#bps = clamp(bps, this.#bounds);
    this.#lastUpdateMs = nowMs;
  }

  /** One feedback's worth of control; returns the new estimate. */
  update(usage: 'normal' | 'underusing' | 'overusing', ackedBps: number | undefined, nowMs: number): number {
    if (usage === 'overusing') {
      if (this.#state !== 'decrease' && this.#mayDecrease(ackedBps, nowMs)) this.#state = 'decrease';
      else if (this.#state !== 'decrease') this.#state = 'hold';
    } else if (usage === 'underusing') this.#state = 'hold';
    else if (this.#state === 'hold') this.#state = 'increase';
    const dtMs = this.#lastUpdateMs === undefined ? 0 : Math.min(Math.max(nowMs - this.#lastUpdateMs, 0), 1000);
    this.#lastUpdateMs = nowMs;
    if (this.#state === 'increase') this.#increase(ackedBps, dtMs);
    else if (this.#state === 'decrease') this.#decrease(ackedBps, nowMs);
    return this.#bps;
  }

  #mayDecrease(ackedBps: number | undefined, nowMs: number): boolean {
    if (this.#lastDecreaseMs === undefined) return true;
    const interval = Math.min(Math.max(this.#rttMs, 10), 200);
    if (nowMs - this.#lastDecreaseMs >= interval) return true;
    return ackedBps !== undefined && this.#bps / 2 > ackedBps;
  }

  #increase(ackedBps: number | undefined, dtMs: number): void {
    const upper = this.#capacity.upper();
    if (ackedBps !== undefined && upper !== undefined && ackedBps > upper) this.#capacity.reset();
    let increase: number;
    if (this.#capacity.estimate !== undefined) {
      const responseMs = this.#rttMs + 100;
      const bitsPerFrame = this.#bps / 30;
      const packetsPerFrame = Math.ceil(bitsPerFrame / (1200 * 8));
      const packetBits = bitsPerFrame / packetsPerFrame;
      increase = Math.max(MIN_INCREASE_BPS_PER_S, (packetBits * 1000) / responseMs) * (dtMs / 1000);
    } else {
      increase = Math.max(this.#bps * (MULTIPLICATIVE_PER_S ** (dtMs / 1000) - 1), dtMs > 0 ? 1000 : 0);
    }
    let next = this.#bps + increase;
    if (ackedBps !== undefined) {
      const cap = 1.5 * ackedBps + 10_000;
      if (next > cap) next = Math.max(this.#bps, cap);
    }
    this.#bps = clamp(next, this.#bounds);
  }

  #decrease(ackedBps: number | undefined, nowMs: number): void {
    if (ackedBps !== undefined) {
      const lower = this.#capacity.lower();
      if (lower !== undefined && ackedBps < lower) this.#capacity.reset();
      let next = BETA * ackedBps;
      const cap = this.#capacity.estimate;
      if (next > this.#bps && cap !== undefined) next = BETA * cap;
      if (next < this.#bps) this.#bps = clamp(next, this.#bounds);
      this.#capacity.onOveruse(ackedBps);
    } else {
      this.#bps = clamp(this.#bps * BETA, this.#bounds);
    }
    this.#lastDecreaseMs = nowMs;
    this.#state = 'hold';
  }
}

function clamp(bps: number, b: RateBounds): number {
  return Math.min(Math.max(bps, b.minBps), b.maxBps);
}
