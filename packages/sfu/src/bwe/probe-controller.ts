/**
 * When to probe for headroom, and at what rate (after libwebrtc's ProbeController, and
 * LiveKit's: probe when the allocator wants more than the estimate):
 * - at the start: clusters at 3× and then 6× the start rate (capped by the max), to find a
 *   fast link without waiting for 8 %-a-second growth;
 * - when something is wanted above the estimate (`want`, e.g. a layer upgrade): a cluster
 *   at that rate, or at twice the estimate when that is less (probe in steps), and again
 *   at twice the result while each step succeeds;
 * - then no more than one cluster per `PROBE_INTERVAL_MS` while the want stays unmet; a
 *   probe that fails (its result under 70 % of its rate) doubles that interval, up to 10 s.
 * Sans-IO: `next(nowMs)` returns a cluster to send now (the transport sends padding or
 * RTX at `bps` for `durationMs`, each packet tagged with `id`), `onResult` takes what the
 * estimator made of it.
 */

export interface ProbeCluster {
  id: number;
  /** Rate to send the cluster at, bit/s (media included). */
  bps: number;
  /** How long to send it, ms: 15, or longer for `MIN_PROBE_PACKETS` 1,200-byte packets at `bps`. */
  durationMs: number;
}

import { MIN_PROBE_PACKETS } from './probe-result.ts';

const PROBE_INTERVAL_MS = 5000;
/** Failed probes do not space the next ones further: a limit that goes should be found within 5 s (measured in the lab: 25 s with a 10 s back-off). */
const MAX_INTERVAL_MS = PROBE_INTERVAL_MS;
const CLUSTER_MS = 15;
const SUCCESS_RATIO = 0.7;

export class ProbeController {
  readonly #maxBps: number;
  #nextId = 1;
  #pending: number[] = [];
  #wantBps = 0;
  #lastProbeMs: number | undefined;
  #intervalMs = PROBE_INTERVAL_MS;
  #waiting: { id: number; bps: number; sentMs: number } | undefined;

  constructor(startBps: number, maxBps: number) {
    this.#maxBps = maxBps;
    this.#pending = [3 * startBps, 6 * startBps].map((b) => Math.min(b, maxBps));
  }

  /** What the allocator would send with an unlimited link, bit/s (0: nothing more). */
  want(bps: number): void {
    if (bps > this.#wantBps) this.#intervalMs = PROBE_INTERVAL_MS;
    this.#wantBps = Math.min(bps, this.#maxBps);
  }

  /** A cluster to send now, if one is due. */
  next(nowMs: number, estimateBps: number): ProbeCluster | undefined {
    if (this.#waiting !== undefined) {
      if (nowMs - this.#waiting.sentMs < 1000) return undefined;
      this.#failed(); // no result within a second
    }
    let bps = this.#pending.shift();
    if (bps === undefined) {
      if (this.#wantBps <= estimateBps * 1.05) return undefined;
      if (this.#lastProbeMs !== undefined && nowMs - this.#lastProbeMs < this.#intervalMs) return undefined;
      bps = Math.min(this.#wantBps, 2 * estimateBps);
    }
    if (bps <= estimateBps) return undefined;
    const id = this.#nextId++;
    this.#lastProbeMs = nowMs;
    this.#waiting = { id, bps, sentMs: nowMs };
    // At least MIN_PROBE_PACKETS full-size packets at the cluster's rate, and CLUSTER_MS.
    const durationMs = Math.max(CLUSTER_MS, Math.ceil((MIN_PROBE_PACKETS * 1200 * 8000) / bps));
    return { id, bps, durationMs };
  }

  /** The estimator's result for the cluster in flight (bit/s). */
  onResult(resultBps: number, estimateBps: number): void {
    const w = this.#waiting;
    if (w === undefined) return;
    this.#waiting = undefined;
    if (resultBps < SUCCESS_RATIO * w.bps) {
      this.#failed();
      return;
    }
    this.#intervalMs = PROBE_INTERVAL_MS;
    // It fit: keep climbing while more is wanted (start-up clusters are already queued).
    if (this.#pending.length === 0 && this.#wantBps > resultBps * 1.05) {
      this.#pending.push(Math.min(this.#wantBps, 2 * Math.max(resultBps, estimateBps)));
    }
  }

  #failed(): void {
    this.#waiting = undefined;
    this.#pending = [];
    this.#intervalMs = Math.min(this.#intervalMs * 2, MAX_INTERVAL_MS);
  }
}
