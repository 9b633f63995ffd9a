/**
 * Keyframe requests from many subscribers to one publisher's video stream (PLI, RFC 4585
 * §6.3.1; FIR, RFC 5104 §4.3.1): every subscriber that joins, switches layer or loses a
 * frame asks, and a publisher that answered each one would send nothing but keyframes.
 * The throttle forwards at most one request per `minIntervalMs`; a request inside the
 * interval is remembered and forwarded when the interval ends, unless a keyframe arrived
 * in the meantime (which answers it).
 *
 * Defaults elsewhere: LiveKit throttles PLIs per layer at 500 ms (low quality) and 1 s (mid,
 * high) (`DefaultPLIThrottleConfig`); Janus's VideoRoom sends at most one PLI per second per
 * publisher stream and remembers one made inside that second; mediasoup forwards the first
 * request per SSRC and ignores the rest until the keyframe arrives or 1 s passes
 * (`KeyFrameRequestManager`), with an optional extra `keyFrameRequestDelay` (default 0).
 * Ours: 500 ms, the fastest of those, as a room's first frame for a new subscriber matters
 * more than the publisher's bitrate for one extra keyframe per half second.
 *
 * FIR command sequence numbers (RFC 5104 §4.3.1.1): +1 (mod 256) for each new request; a
 * request forwarded again because no keyframe arrived since the last one is a repetition
 * and keeps the number.
 */
import type { Clock, TimerHandle } from '@itda/common';
import type { FullIntraRequest, PictureLossIndication } from '../rtp/index.ts';
import { intOption } from './errors.ts';

export interface KeyframeThrottleOptions {
  clock: Clock;
  /** Minimum time between two requests sent to the publisher, ms, 0…10,000. Default 500. */
  minIntervalMs?: number;
  /** What the publisher understands: `'pli'` (rtcp-fb `nack pli`, the default) or `'fir'` (`ccm fir`). */
  mode?: 'pli' | 'fir';
  /** Our RTCP sender SSRC toward the publisher. */
  senderSsrc: number;
  /** The publisher's media SSRC the requests are about. */
  mediaSsrc: number;
  /** Sends one request to the publisher (synchronously, or later from the clock's timer). */
  send: (request: PictureLossIndication | FullIntraRequest) => void;
}

export class KeyframeThrottle {
  readonly #clock: Clock;
  readonly #minIntervalMs: number;
  readonly #mode: 'pli' | 'fir';
  readonly #senderSsrc: number;
  readonly #mediaSsrc: number;
  readonly #send: KeyframeThrottleOptions['send'];
  #lastSentAt = Number.NEGATIVE_INFINITY;
  #pending = false;
  #timer: TimerHandle | undefined;
  /** True once a keyframe arrived after the last request sent (the next request is new). */
  #answered = true;
  #firSequence = -1;
  #closed = false;

  /** Requests received from subscribers. */
  requested = 0;
  /** Requests sent to the publisher. */
  forwarded = 0;
  /** Requests folded into one sent earlier or later. */
  suppressed = 0;

  constructor(options: KeyframeThrottleOptions) {
    this.#clock = options.clock;
    this.#minIntervalMs = intOption('minIntervalMs', options.minIntervalMs, 500, 0, 10_000);
    this.#mode = options.mode ?? 'pli';
    this.#senderSsrc = options.senderSsrc >>> 0;
    this.#mediaSsrc = options.mediaSsrc >>> 0;
    this.#send = options.send;
  }

  /** The FIR sequence number last sent, −1 before the first FIR. */
  get firSequence(): number {
    return this.#firSequence;
  }

  /** A subscriber asked for a keyframe (PLI or FIR). Forwards now, or once the interval ends. */
  request(): void {
    if (this.#closed) return;
    this.requested++;
    const now = this.#clock.now();
    const wait = this.#lastSentAt + this.#minIntervalMs - now;
    if (wait <= 0) {
      this.#forward(now);
      return;
    }
    this.suppressed++;
    if (this.#pending) return;
    this.#pending = true;
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined;
      if (this.#pending && !this.#closed) this.#forward(this.#clock.now());
    }, wait);
  }

  /** The publisher sent a keyframe: a request still waiting for the interval is answered. */
  keyframeReceived(): void {
    this.#answered = true;
    if (this.#pending) {
      this.#pending = false;
      this.#timer?.cancel();
      this.#timer = undefined;
    }
  }

  /** Cancels a waiting request; later calls do nothing. */
  close(): void {
    this.#closed = true;
    this.#pending = false;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  #forward(now: number): void {
    this.#pending = false;
    this.#lastSentAt = now;
    this.forwarded++;
    if (this.#mode === 'pli') {
      this.#answered = false;
      this.#send({ type: 'pli', senderSsrc: this.#senderSsrc, mediaSsrc: this.#mediaSsrc });
      return;
    }
    // RFC 5104 §4.3.1.1: a new request increments the sequence number; a repetition does not.
    if (this.#answered || this.#firSequence < 0) this.#firSequence = (this.#firSequence + 1) & 0xff;
    this.#answered = false;
    this.#send({
      type: 'fir',
      senderSsrc: this.#senderSsrc,
      mediaSsrc: 0, // RFC 5104 §4.3.1.2: the target is in the FCI entry
      entries: [{ ssrc: this.#mediaSsrc, sequence: this.#firSequence }],
    });
  }
}
