/**
 * The send-side bandwidth estimate of one subscriber transport, wired: every RTP packet the
 * transport sends with the transport-wide sequence number extension gets the next number
 * of this transport (`stamp`, on the forwarding path: a ring write, no allocation), and
 * the subscriber's transport-cc feedback (`onFeedback`) is matched with what was sent and
 * fed to the estimator (send-side-bwe.ts).
 *
 * Probing (probe-controller.ts): on the transport's tick, a cluster due is sent as padding
 * (`probeTick`'s `pad`, the transport's padding-only RTX packets) at the cluster's rate,
 * minus the media sent meanwhile, which belongs to the cluster too; the cluster lasts at
 * least `MIN_CLUSTER_MS` (60 ms). Its
 * result, from the feedback, goes back to the controller.
 */
import type { TransportCc } from '../rtp/index.ts';
import { FeedbackAdapter } from './feedback-adapter.ts';
import { ProbeController } from './probe-controller.ts';
import { type BweOptions, SendSideBwe } from './send-side-bwe.ts';
import { SentHistory } from './sent-history.ts';
import type { BandwidthUsage } from './types.ts';

/** A cluster is spread over at least this long (three 20 ms ticks, so its send times span an interval), ms. */
export const MIN_CLUSTER_MS = 60;

/** The transport tick, ms (RtcServer): how much a cluster's first tick sends. */
const TICK_MS = 20;

/** No probe until the estimate has not fallen for this long, ms. */
export const CALM_BEFORE_PROBE_MS = 5000;

export class TransportBwe {
  readonly #history = new SentHistory();
  readonly #adapter = new FeedbackAdapter(this.#history);
  readonly #bwe: SendSideBwe;
  readonly #probes: ProbeController;
  /** The cluster being sent: its rate, end, when it last sent, and the bytes it still owes. */
  #cluster: { id: number; bps: number; untilMs: number; lastMs: number; mediaBytes: number } | undefined;
  /** Transport-cc feedback messages taken. */
  feedbacks = 0;
  /** Probe clusters sent, and results the estimator took from them. */
  probeClusters = 0;
  probeResults = 0;
  /** The last probe result, bit/s. */
  lastProbeBps: number | undefined;

  constructor(options: BweOptions = {}) {
    this.#bwe = new SendSideBwe(options);
    this.#probes = new ProbeController(this.#bwe.targetBps, options.maxBps ?? 20_000_000);
  }

  /** The 16-bit transport-wide sequence number for a packet of `size` bytes sent now (media during a cluster belongs to it). */
  stamp(size: number, nowMs: number, probe?: number): number {
    const c = this.#cluster;
    if (probe === undefined && c !== undefined) {
      c.mediaBytes += size;
      return this.#history.record(size, nowMs, c.id);
    }
    return this.#history.record(size, nowMs, probe ?? 0);
  }

  /** What the subscriber would take with no limit (the allocator's want), bit/s: probes climb towards it. */
  want(bps: number): void {
    this.#probes.want(bps);
  }

  /**
   * On the transport's tick: sends what the probe cluster owes since the last tick through
   * `pad(bytes, cluster)` (which returns the bytes it sent, 0 when it cannot), starting a
   * cluster when one is due.
   */
  probeTick(nowMs: number, pad: (bytes: number, cluster: number, nowMs: number) => number): void {
    let c = this.#cluster;
    if (c === undefined) {
      // A link that cut the estimate lately is at its limit: a short probe would only be
      // fooled by its shaper's burst (and the upgrade it allows would freeze the video).
      if (this.#bwe.calmForMs(nowMs) < CALM_BEFORE_PROBE_MS) return;
      const next = this.#probes.next(nowMs, this.#bwe.targetBps);
      if (next === undefined) return;
      this.probeClusters++;
      c = {
        id: next.id,
        bps: next.bps,
        untilMs: nowMs + Math.max(next.durationMs, MIN_CLUSTER_MS),
        // The first tick sends one tick's worth.
        lastMs: nowMs - TICK_MS,
        mediaBytes: 0,
      };
      this.#cluster = c;
    }
    const owed = (c.bps * (nowMs - c.lastMs)) / 8000 - c.mediaBytes;
    c.lastMs = nowMs;
    c.mediaBytes = 0;
    let left = owed;
    // Bounded: at most 64 packets a tick (16 KiB at 255 bytes of padding).
    for (let i = 0; i < 64 && left > 0; i++) {
      const sent = pad(left, c.id, nowMs);
      if (sent === 0) break;
      left -= sent;
    }
    if (nowMs >= c.untilMs) this.#cluster = undefined;
  }

  onFeedback(fb: TransportCc, nowMs: number): void {
    this.feedbacks++;
    const u = this.#bwe.onFeedback(this.#adapter.results(fb), nowMs);
    if (u.probeBps !== undefined) {
      this.probeResults++;
      this.lastProbeBps = u.probeBps;
      this.#probes.onResult(u.probeBps, u.targetBps);
    }
  }

  setRtt(rttMs: number): void {
    this.#bwe.setRtt(rttMs);
  }

  /** What the estimator allows now, bit/s. */
  get estimateBps(): number {
    return this.#bwe.targetBps;
  }

  /** What the subscriber received over the last 500 ms, bit/s. */
  get receivedBps(): number | undefined {
    return this.#bwe.ackedBps;
  }

  get usage(): BandwidthUsage {
    return this.#bwe.usage;
  }

  get lossFraction(): number {
    return this.#bwe.lossFraction;
  }

  /** Packets sent with a transport-wide sequence number. */
  get stamped(): number {
    return this.#history.sent;
  }

  /** Feedback statuses that matched nothing sent. */
  get unmatched(): number {
    return this.#adapter.unmatched;
  }
}
