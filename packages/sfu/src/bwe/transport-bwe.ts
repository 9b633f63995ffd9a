/**
 * The send-side bandwidth estimate of one subscriber transport, wired: every RTP packet the
 * transport sends with the transport-wide sequence number extension gets the next number
 * of this transport (`stamp`, on the forwarding path: a ring write, no allocation), and
 * the subscriber's transport-cc feedback (`onFeedback`) is matched with what was sent and
 * fed to the estimator (send-side-bwe.ts).
 */
import type { TransportCc } from '../rtp/index.ts';
import { FeedbackAdapter } from './feedback-adapter.ts';
import { type BweOptions, SendSideBwe } from './send-side-bwe.ts';
import { SentHistory } from './sent-history.ts';
import type { BandwidthUsage } from './types.ts';

export class TransportBwe {
  readonly #history = new SentHistory();
  readonly #adapter = new FeedbackAdapter(this.#history);
  readonly #bwe: SendSideBwe;
  /** Transport-cc feedback messages taken. */
  feedbacks = 0;

  constructor(options: BweOptions = {}) {
    this.#bwe = new SendSideBwe(options);
  }

  /** The 16-bit transport-wide sequence number for a packet of `size` bytes sent now. */
  stamp(size: number, nowMs: number): number {
    return this.#history.record(size, nowMs);
  }

  onFeedback(fb: TransportCc, nowMs: number): void {
    this.feedbacks++;
    this.#bwe.onFeedback(this.#adapter.results(fb), nowMs);
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
