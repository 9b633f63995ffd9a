/**
 * Answers generic NACKs (RFC 4585 §6.2.1) from a subscriber out of a stream's
 * `RetransmissionBuffer`, with a rate limit per packet: the same sequence number is resent
 * at most once per `resendIntervalMs` (about one round trip: a resend still in flight
 * when the next NACK for it arrives would only add load, as libwebrtc's RTPSender also
 * reasons), and at most `maxPacketsPerNack` packets per NACK message, so one hostile or
 * confused NACK cannot turn into a burst.
 *
 * Per-call work is bounded by the NACK's length and allocates nothing (the `send`
 * callback should be a long-lived function, not a closure made per call).
 */
import { intOption, powerOfTwoOption } from './errors.ts';
import type { RetransmissionBuffer } from './retransmission-buffer.ts';

export interface NackResponderOptions {
  /** Minimum time between two resends of one sequence number, ms, 0…5,000. Default 100 (≈ RTT). */
  resendIntervalMs?: number;
  /** Packets resent per NACK message at most, 1…1,024. Default 64; the rest counted in `overLimit`. */
  maxPacketsPerNack?: number;
  /** Slots of the per-sequence-number resend history, power of two 16…32,768. Default 1,024. */
  slots?: number;
}

/** Receives one packet to resend: a view into the buffer, valid during the call only. */
export type ResendFn = (packet: Uint8Array, sequence: number) => void;

export class NackResponder {
  readonly #buffer: RetransmissionBuffer;
  readonly #mask: number;
  readonly #maxPerNack: number;
  readonly #lastSeq: Int32Array;
  readonly #lastAt: Float64Array;
  /** Minimum time between two resends of one sequence number, ms; set it from RTT estimates. */
  resendIntervalMs: number;

  /** Sequence numbers asked for. */
  requested = 0;
  /** Packets handed to `send`. */
  resent = 0;
  /** Requests skipped because the packet was resent less than `resendIntervalMs` ago. */
  throttled = 0;
  /** Requests for packets not (or no longer) in the buffer. */
  missing = 0;
  /** Requests beyond `maxPacketsPerNack` in one NACK. */
  overLimit = 0;

  constructor(buffer: RetransmissionBuffer, options: NackResponderOptions = {}) {
    this.#buffer = buffer;
    this.resendIntervalMs = intOption('resendIntervalMs', options.resendIntervalMs, 100, 0, 5000);
    this.#maxPerNack = intOption('maxPacketsPerNack', options.maxPacketsPerNack, 64, 1, 1024);
    const slots = powerOfTwoOption('slots', options.slots, 1024, 16, 32768);
    this.#mask = slots - 1;
    this.#lastSeq = new Int32Array(slots).fill(-1);
    this.#lastAt = new Float64Array(slots);
  }

  /**
   * Handles the sequence numbers of one NACK (`GenericNack.sequences`, in order): calls
   * `send` for each packet to resend now and returns how many it sent.
   */
  respond(sequences: readonly number[], nowMs: number, send: ResendFn): number {
    let sent = 0;
    const n = sequences.length;
    this.requested += n;
    for (let k = 0; k < n; k++) {
      if (sent >= this.#maxPerNack) {
        this.overLimit += n - k;
        break;
      }
      const seq = (sequences[k] as number) & 0xffff;
      const i = seq & this.#mask;
      if (this.#lastSeq[i] === seq && nowMs - (this.#lastAt[i] as number) < this.resendIntervalMs) {
        this.throttled++;
        continue;
      }
      const packet = this.#buffer.get(seq, nowMs);
      if (packet === undefined) {
        this.missing++;
        continue;
      }
      this.#lastSeq[i] = seq;
      this.#lastAt[i] = nowMs;
      sent++;
      this.resent++;
      send(packet, seq);
    }
    return sent;
  }
}
