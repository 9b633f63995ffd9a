/**
 * The SFU's receive side of transport-wide congestion control
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01): one recorder per transport whose
 * publisher sends the transport-wide sequence number header extension. `record` notes
 * every packet's arrival (allocation-free, per packet); `buildFeedback`, called every
 * ~50–100 ms, returns the transport-cc feedback messages (RTPFB FMT 15, §3.1) for
 * `writeRtcp`/`encodeRtcp`.
 *
 * Behaviour, after libwebrtc's receive-side estimator proxy (periodic mode):
 * - Each feedback covers the sequence numbers from where the previous one stopped up to
 *   the highest received; packets not received in between are reported as lost.
 * - A packet that arrives after feedback already reported it lost moves the start back,
 *   so the next feedback reports it (and those after it) again, now received.
 * - The reference time is the first received packet's arrival in 64 ms units (24 bits,
 *   wrapping); deltas are 250 µs units, rounded without accumulating error (each delta is
 *   taken from the previous *quantised* time). 0–63.75 ms is a one-byte delta; negative
 *   (reordering) or larger ones take two bytes (−8192…8191.75 ms). A gap beyond that ends
 *   the message and starts a new one with its own reference time.
 * - At most `maxStatusesPerFeedback` statuses per message (default 500, so a message is at
 *   most 20 + 2·⌈500/7⌉ + 2·500 = 1,164 bytes even with only large deltas).
 * - Sequence numbers are unwrapped (16-bit wrap-around); duplicates keep the first arrival.
 */
import { type TransportCc, type TwccPacket, TwccStatus } from '../rtp/index.ts';
import { MAX_TRANSPORT_CC_STATUSES } from '../rtp/rtcp-twcc.ts';
import { intOption, powerOfTwoOption } from './errors.ts';

export interface TwccRecorderOptions {
  /**
   * Arrival history, in packets (power of two, 256…32,768). Default 4,096. Packets more
   * than this far behind the highest sequence number are forgotten (counted as `tooOld`).
   */
  historySlots?: number;
  /** Statuses per feedback message, 1…8,192 (`MAX_TRANSPORT_CC_STATUSES`). Default 500. */
  maxStatusesPerFeedback?: number;
  /** Messages per `buildFeedback` call, 1…64. Default 8; the rest waits for the next call. */
  maxMessagesPerBuild?: number;
  /**
   * Packets received longer ago than this are not reported again (after a late arrival moved
   * the start back), ms, 1…10,000. Default 500 (libwebrtc's back window).
   */
  maxReportAgeMs?: number;
}

/** 2^24 reference time units of 64 ms: the reference time wraps after ~12.4 days. */
const REFERENCE_WRAP = 0x1000000;
const REFERENCE_UNIT_US = 64_000;
const DELTA_UNIT_US = 250;
/** Unwrapped sequence numbers start here, so packets from before the first one stay positive. */
const UNWRAP_ORIGIN = 0x100000000;

export class TwccRecorder {
  readonly #slots: number;
  readonly #maxStatuses: number;
  readonly #maxMessages: number;
  readonly #maxAgeUs: number;
  /** Arrival time (µs) per slot; valid when `#seqOf[slot]` is the packet's unwrapped number. */
  readonly #arrival: Float64Array;
  readonly #seqOf: Float64Array;
  #highest = -1;
  /** First unwrapped sequence number the next feedback reports; -1 before any packet. */
  #start = -1;
  /** Highest unwrapped sequence number a feedback has covered; -1 before the first. */
  #reported = -1;
  #feedbackCount = 0;

  /** Packets recorded (first arrivals). */
  received = 0;
  /** Packets recorded twice (the second arrival is ignored). */
  duplicates = 0;
  /** Packets that arrived after a feedback had reported them lost (they are reported again). */
  late = 0;
  /** Packets older than the history (not recorded). */
  tooOld = 0;
  /** Feedback messages built. */
  messages = 0;

  constructor(options: TwccRecorderOptions = {}) {
    this.#slots = powerOfTwoOption('historySlots', options.historySlots, 4096, 256, 32768);
    this.#maxStatuses = intOption(
      'maxStatusesPerFeedback',
      options.maxStatusesPerFeedback,
      500,
      1,
      MAX_TRANSPORT_CC_STATUSES,
    );
    this.#maxMessages = intOption('maxMessagesPerBuild', options.maxMessagesPerBuild, 8, 1, 64);
    this.#maxAgeUs = intOption('maxReportAgeMs', options.maxReportAgeMs, 500, 1, 10_000) * 1000;
    this.#arrival = new Float64Array(this.#slots);
    this.#seqOf = new Float64Array(this.#slots).fill(-1);
  }

  /** The feedback packet count the next message carries (0–255, RFC: "fb pkt. count"). */
  get feedbackCount(): number {
    return this.#feedbackCount;
  }

  /**
   * Notes the arrival of the packet with transport-wide sequence number `transportSeq`
   * (16 bits) at `arrivalTimeUs` (µs, the same clock as `buildFeedback`'s `nowMs` × 1000).
   * Allocates nothing.
   */
  record(transportSeq: number, arrivalTimeUs: number): void {
    const seq = transportSeq & 0xffff;
    let u: number;
    if (this.#highest < 0) {
      u = UNWRAP_ORIGIN + seq;
      this.#highest = u;
      this.#start = u;
    } else {
      const d = ((seq - (this.#highest % 0x10000) + 0x8000) & 0xffff) - 0x8000;
      u = this.#highest + d;
      if (u <= this.#highest - this.#slots) {
        this.tooOld++;
        return;
      }
      if (u > this.#highest) this.#highest = u;
    }
    const slot = u % this.#slots;
    if (this.#seqOf[slot] === u) {
      this.duplicates++;
      return;
    }
    this.#seqOf[slot] = u;
    this.#arrival[slot] = arrivalTimeUs;
    this.received++;
    if (u < this.#start) {
      if (u <= this.#reported) this.late++;
      this.#start = u;
    }
  }

  /**
   * Feedback for everything recorded since the previous call (see the module comment),
   * or `[]` when there is nothing new. `nowMs` bounds re-reports to `maxReportAgeMs`.
   * Each message takes the next feedback packet count (mod 256).
   */
  buildFeedback(senderSsrc: number, mediaSsrc: number, nowMs: number): TransportCc[] {
    const out: TransportCc[] = [];
    const highest = this.#highest;
    if (highest < 0 || this.#start > highest) return out;
    let u = Math.max(this.#start, highest - this.#slots + 1);
    // Do not report again what arrived longer ago than maxReportAgeMs (nor the losses before it).
    const cutoffUs = nowMs * 1000 - this.#maxAgeUs;
    for (let v = u; v <= highest; v++) {
      const slot = v % this.#slots;
      if (this.#seqOf[slot] === v && (this.#arrival[slot] as number) < cutoffUs) u = v + 1;
    }
    while (u <= highest && out.length < this.#maxMessages) {
      let first = u;
      while (this.#seqOf[first % this.#slots] !== first) first++; // `highest` was received
      const refUnits = Math.floor((this.#arrival[first % this.#slots] as number) / REFERENCE_UNIT_US);
      let lastUs = refUnits * REFERENCE_UNIT_US;
      const base = u;
      const received: TwccPacket[] = [];
      for (; u <= highest && u - base < this.#maxStatuses; u++) {
        const slot = u % this.#slots;
        if (this.#seqOf[slot] !== u) continue; // not received
        const units = Math.round(((this.#arrival[slot] as number) - lastUs) / DELTA_UNIT_US);
        if (units < -0x8000 || units > 0x7fff) break; // needs a new reference time
        lastUs += units * DELTA_UNIT_US;
        const status = units >= 0 && units <= 0xff ? TwccStatus.SMALL_DELTA : TwccStatus.LARGE_DELTA;
        received.push({ sequence: u % 0x10000, status, deltaUs: units * DELTA_UNIT_US });
      }
      const wrapped = ((refUnits % REFERENCE_WRAP) + REFERENCE_WRAP) % REFERENCE_WRAP;
      out.push({
        type: 'twcc',
        senderSsrc,
        mediaSsrc,
        baseSequence: base % 0x10000,
        referenceTime: wrapped >= REFERENCE_WRAP / 2 ? wrapped - REFERENCE_WRAP : wrapped,
        feedbackCount: this.#feedbackCount,
        statusCount: u - base,
        received,
      });
      this.#feedbackCount = (this.#feedbackCount + 1) & 0xff;
      this.messages++;
    }
    this.#start = u;
    if (u - 1 > this.#reported) this.#reported = u - 1;
    return out;
  }
}
