/**
 * Turns a subscriber's transport-cc feedback (RTPFB FMT 15, draft-holmer-rmcat-
 * transport-wide-cc-extensions-01 §3.1) into packet results for the estimator: each
 * status matched with what was sent (sent-history.ts). Arrival times are the reference
 * time (64 ms units, 24 bits, wrapping) plus the running sum of receive deltas (250 µs
 * units), on the receiver's clock; a wrap of the reference time between two feedbacks is
 * undone so arrival times keep growing. Statuses for packets not in the history (too old,
 * never sent) are skipped; a packet reported twice (lost, then received) gives two results,
 * the estimator counts each feedback as it comes, as libwebrtc does.
 */
import type { TransportCc, TwccPacket } from '../rtp/index.ts';
import { SENT_HISTORY_SLOTS, type SentHistory } from './sent-history.ts';
import type { PacketResult } from './types.ts';

const REFERENCE_UNIT_MS = 64;
const REFERENCE_RANGE = 1 << 24;

export class FeedbackAdapter {
  readonly #history: SentHistory;
  /** Reference time of the last feedback, unwrapped (units of 64 ms). */
  #lastReference: number | undefined;
  /** Feedbacks and statuses that matched nothing sent (for stats). */
  unmatched = 0;

  constructor(history: SentHistory) {
    this.#history = history;
  }

  /**
   * The results of one feedback, in sequence order (a new array). Only statuses of packets
   * the history still holds are visited: however many statuses a message claims (up to
   * 8,192), the work is at most `SENT_HISTORY_SLOTS` steps plus one per received packet.
   */
  results(fb: TransportCc): PacketResult[] {
    const reference = this.#unwrapReference(fb.referenceTime);
    const out: PacketResult[] = [];
    let arrivalUs = reference * REFERENCE_UNIT_MS * 1000;
    const received = fb.received;
    const base = fb.baseSequence;
    const history = this.#history;
    // The statuses' range as unwrapped numbers, cut to what the history holds.
    const first = history.unwrap(base);
    const held = history.sent - SENT_HISTORY_SLOTS;
    let r = 0;
    let i = 0;
    if (first < 0 || first + fb.statusCount <= held) {
      this.unmatched += fb.statusCount;
      return out;
    }
    if (first < held) {
      // Skip what is gone, keeping the arrival-time sum of the received packets skipped.
      i = held - first;
      while (r < received.length) {
        const p = received[r] as TwccPacket;
        if (((p.sequence - base) & 0xffff) >= i) break;
        arrivalUs += p.deltaUs;
        r++;
      }
      this.unmatched += i;
    }
    // Nor past what was sent.
    const end = Math.min(fb.statusCount, history.sent - first);
    this.unmatched += fb.statusCount - end;
    for (; i < end; i++) {
      const n = first + i;
      const seq = (base + i) & 0xffff;
      const got = received[r];
      let arrivalMs: number | undefined;
      if (got !== undefined && got.sequence === seq) {
        arrivalUs += got.deltaUs;
        arrivalMs = arrivalUs / 1000;
        r++;
      }
      const sendMs = history.sendMs(n);
      if (sendMs === undefined) {
        this.unmatched++;
        continue;
      }
      out.push({ seq: n, sendMs, size: history.size(n), arrivalMs, probeCluster: history.probeCluster(n) });
    }
    return out;
  }

  #unwrapReference(ref: number): number {
    const last = this.#lastReference;
    if (last === undefined) {
      this.#lastReference = ref;
      return ref;
    }
    // The step from the last reference, taken the short way round the 24-bit circle.
    const norm = (x: number): number => ((x % REFERENCE_RANGE) + REFERENCE_RANGE) % REFERENCE_RANGE;
    let step = (norm(ref) - norm(last) + REFERENCE_RANGE) % REFERENCE_RANGE;
    if (step >= REFERENCE_RANGE / 2) step -= REFERENCE_RANGE;
    const unwrapped = last + step;
    this.#lastReference = unwrapped;
    return unwrapped;
  }
}
