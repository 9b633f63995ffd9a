/**
 * The SFU's send-side bandwidth estimate for one subscriber's transport: Google Congestion
 * Control's two halves combined (draft-ietf-rmcat-gcc-02), fed by transport-cc feedback.
 * - delay-based: packet groups (inter-arrival.ts) → trend of the queueing delay and the
 *   overuse detector (trendline.ts) → AIMD rate (aimd-rate.ts), raised at once by a
 *   probe cluster's result (probe-result.ts) when that is higher;
 * - loss-based (loss-based.ts) on top of it;
 * the target is the smaller, within [minBps, maxBps]. Sans-IO and clock-free: each call
 * carries its time. One instance per subscriber transport; `onFeedback` costs O(packets
 * reported) and allocates nothing per packet beyond the acked-bitrate window.
 */
import { AckedBitrate } from './acked-bitrate.ts';
import { AimdRate, type RateBounds } from './aimd-rate.ts';
import { InterArrival } from './inter-arrival.ts';
import { LossBased } from './loss-based.ts';
import { ProbeResults } from './probe-result.ts';
import { Trendline } from './trendline.ts';
import type { BandwidthUsage, PacketResult } from './types.ts';

export interface BweOptions {
  /** First estimate, bit/s. Default 1,000,000 (1 – maxBps). */
  startBps?: number;
  /** The estimate never goes below this, bit/s. Default 50,000. */
  minBps?: number;
  /** …nor above this, bit/s. Default 20,000,000. */
  maxBps?: number;
}

/** A probe raises the estimate by at most this factor at a time. */
export const PROBE_STEP = 1.5;

export const DEFAULT_BWE: Required<BweOptions> = { startBps: 1_000_000, minBps: 50_000, maxBps: 20_000_000 };

/** What one feedback changed. */
export interface BweUpdate {
  targetBps: number;
  usage: BandwidthUsage;
  /** A probe cluster's result taken in this feedback, bit/s. */
  probeBps: number | undefined;
}

export class SendSideBwe {
  readonly #bounds: RateBounds;
  readonly #arrivals = new InterArrival();
  readonly #trend = new Trendline();
  readonly #acked = new AckedBitrate();
  readonly #aimd: AimdRate;
  readonly #loss = new LossBased();
  readonly #probes = new ProbeResults();
  #target: number;
  #rttMs = 100;
  /** When the target last fell (overuse or loss), ms; −∞ before. */
  #lastDropMs = Number.NEGATIVE_INFINITY;

  constructor(options: BweOptions = {}) {
    const b = { ...DEFAULT_BWE, ...options };
    if (!(b.minBps > 0 && b.minBps <= b.startBps && b.startBps <= b.maxBps)) {
      throw new RangeError('bwe: need 0 < minBps ≤ startBps ≤ maxBps');
    }
    this.#bounds = b;
    this.#aimd = new AimdRate(b);
    this.#target = b.startBps;
  }

  /** The current target, bit/s. */
  get targetBps(): number {
    return this.#target;
  }

  /** The delay-based half alone, bit/s. */
  get delayBasedBps(): number {
    return this.#aimd.bps;
  }

  /** Throughput received over the last 500 ms, bit/s. */
  get ackedBps(): number | undefined {
    return this.#acked.bps();
  }

  get usage(): BandwidthUsage {
    return this.#trend.state;
  }

  get lossFraction(): number {
    return this.#loss.lossFraction;
  }

  /** How long the target has not fallen, ms: a link that keeps cutting it is at its limit. */
  calmForMs(nowMs: number): number {
    return nowMs - this.#lastDropMs;
  }

  /** The round-trip time to the subscriber (RTCP), ms. */
  setRtt(rttMs: number): void {
    this.#rttMs = Math.max(1, rttMs);
    this.#aimd.setRtt(this.#rttMs);
  }

  /** One transport-cc feedback's packets, in sequence order. */
  onFeedback(packets: readonly PacketResult[], nowMs: number): BweUpdate {
    let received = 0;
    let lost = 0;
    let usage = this.#trend.state;
    for (const p of packets) {
      if (p.arrivalMs === undefined) {
        lost++;
        continue;
      }
      received++;
      this.#acked.add(p.arrivalMs, p.size);
      this.#probes.add(p, nowMs);
      const d = this.#arrivals.add(p.sendMs, p.arrivalMs, p.size);
      if (d !== undefined) usage = this.#trend.update(d.sendDeltaMs, d.arrivalDeltaMs, d.arrivalMs);
    }
    const acked = this.#acked.bps();
    const probeBps = this.#probes.take(nowMs);
    if (probeBps !== undefined && usage !== 'overusing' && probeBps > this.#aimd.bps) {
      // The path carried this much just now: both halves start from it — but at most
      // PROBE_STEP times the estimate at a time: a shaper's burst lets a short cluster
      // through at line rate, and a faked step must not be a big one (the next cluster,
      // twice as big, then fails). A real link gives step after step within a second.
      const step = Math.min(probeBps, PROBE_STEP * this.#aimd.bps);
      this.#aimd.setEstimate(step, nowMs);
      this.#target = Math.max(this.#target, Math.min(step, this.#bounds.maxBps));
    } else if (received > 0) {
      this.#aimd.update(usage, acked, nowMs);
    }
    this.#loss.count(received, lost, nowMs);
    const delayBased = this.#aimd.bps;
    // Loss adjusts from the current target, and never lifts it past the delay-based rate.
    const lossBased = this.#loss.adjust(Math.min(this.#target, delayBased), nowMs, this.#rttMs);
    const next = Math.min(Math.max(Math.min(lossBased, delayBased), this.#bounds.minBps), this.#bounds.maxBps);
    if (next < this.#target * 0.97) this.#lastDropMs = nowMs;
    this.#target = next;
    return { targetBps: this.#target, usage, probeBps };
  }
}
