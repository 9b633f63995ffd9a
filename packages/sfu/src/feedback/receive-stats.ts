/**
 * Reception statistics of one incoming RTP stream (a publisher's SSRC), for the report
 * block the SFU sends back in its receiver reports (RFC 3550 §6.4.1), following RFC 3550
 * Appendix A literally:
 * - A.1 sequence number validity: a new source is on probation until `MIN_SEQUENTIAL` (2)
 *   packets in sequence; a jump of `MAX_DROPOUT` (3000) or more is taken as a restart
 *   only when the next packet follows it; anything within `MAX_MISORDER` (100) behind is a
 *   duplicate or reordered packet (counted as received, as the RFC does);
 * - A.3 extended highest sequence number, cycles, expected, cumulative lost (24-bit
 *   signed, clamped) and the fraction lost since the previous report (8-bit fixed point);
 * - A.8 interarrival jitter in RTP timestamp units: J += (|D| − J) / 16;
 * - LSR/DLSR: the middle 32 bits of the last SR's NTP timestamp and the delay since it
 *   arrived, in 1/65536 s (§6.4.1).
 *
 * `update` runs per packet and allocates nothing. Feed it original packets only: an RTX
 * retransmission (RFC 4588) has its own stream and a retransmitted packet's arrival time
 * would distort the jitter.
 */
import type { ReportBlock, SenderReport } from '../rtp/index.ts';
import { intOption } from './errors.ts';

const RTP_SEQ_MOD = 0x10000;
const MAX_DROPOUT = 3000;
const MAX_MISORDER = 100;
const MIN_SEQUENTIAL = 2;

export interface ReceiveStatsOptions {
  /** The stream's SSRC (the report block is about it). */
  ssrc: number;
  /** RTP clock rate, Hz (90,000 video, 48,000 Opus), 1…1,000,000. */
  clockRate: number;
}

/** The last sender report of the stream as the SFU received it. */
export interface LastSenderReport {
  ntpSeconds: number;
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  /** When it arrived, ms on the SFU's clock. */
  receivedAtMs: number;
}

export class ReceiveStats {
  readonly ssrc: number;
  readonly clockRate: number;
  #maxSeq = 0;
  #cycles = 0;
  #baseSeq = 0;
  #badSeq = RTP_SEQ_MOD + 1;
  #probation = MIN_SEQUENTIAL;
  #started = false;
  #received = 0;
  #expectedPrior = 0;
  #receivedPrior = 0;
  #transitValid = false;
  #lastArrivalUnits = 0;
  #lastTimestamp = 0;
  #jitter = 0;
  #lastSr: LastSenderReport | undefined;
  /** Bytes of the packets counted as received (as given to `update`). */
  bytes = 0;

  constructor(options: ReceiveStatsOptions) {
    this.ssrc = options.ssrc >>> 0;
    this.clockRate = intOption('clockRate', options.clockRate, 90_000, 1, 1_000_000);
  }

  /**
   * Accounts one received packet: sequence number, RTP timestamp, arrival time (ms, the
   * SFU's clock) and size. Returns false when RFC 3550 A.1 does not count it (probation, or
   * the first packet after a very large jump).
   */
  update(seq: number, rtpTimestamp: number, arrivalMs: number, bytes = 0): boolean {
    seq &= 0xffff;
    if (!this.#started) {
      // A.1: a new source starts on probation, with max_seq one below its first packet.
      this.#initSeq(seq);
      this.#maxSeq = (seq - 1) & 0xffff;
      this.#probation = MIN_SEQUENTIAL;
      this.#started = true;
    }
    const udelta = (seq - this.#maxSeq) & 0xffff;
    if (this.#probation > 0) {
      if (seq === ((this.#maxSeq + 1) & 0xffff)) {
        this.#probation--;
        this.#maxSeq = seq;
        if (this.#probation === 0) {
          this.#initSeq(seq);
          this.#count(rtpTimestamp, arrivalMs, bytes);
          return true;
        }
      } else {
        this.#probation = MIN_SEQUENTIAL - 1;
        this.#maxSeq = seq;
      }
      return false;
    }
    if (udelta < MAX_DROPOUT) {
      if (seq < this.#maxSeq) this.#cycles += RTP_SEQ_MOD; // wrapped
      this.#maxSeq = seq;
    } else if (udelta <= RTP_SEQ_MOD - MAX_MISORDER) {
      // A very large jump: a restart if the next packet follows it.
      if (seq === this.#badSeq) {
        this.#initSeq(seq);
      } else {
        this.#badSeq = (seq + 1) & 0xffff;
        return false;
      }
    }
    // else: duplicate or reordered packet.
    this.#count(rtpTimestamp, arrivalMs, bytes);
    return true;
  }

  #initSeq(seq: number): void {
    this.#baseSeq = seq;
    this.#maxSeq = seq;
    this.#badSeq = RTP_SEQ_MOD + 1;
    this.#cycles = 0;
    this.#received = 0;
    this.#receivedPrior = 0;
    this.#expectedPrior = 0;
  }

  #count(rtpTimestamp: number, arrivalMs: number, bytes: number): void {
    this.#received++;
    this.bytes += bytes;
    // A.8: D(i-1, i) = (R_i − R_{i−1}) − (S_i − S_{i−1}) in timestamp units; S wraps at 2^32.
    const arrivalUnits = (arrivalMs * this.clockRate) / 1000;
    if (this.#transitValid) {
      const d = arrivalUnits - this.#lastArrivalUnits - ((rtpTimestamp - this.#lastTimestamp) | 0);
      this.#jitter += (Math.abs(d) - this.#jitter) / 16;
    }
    this.#transitValid = true;
    this.#lastArrivalUnits = arrivalUnits;
    this.#lastTimestamp = rtpTimestamp >>> 0;
  }

  /** Packets counted as received (duplicates included, RFC 3550 A.3). */
  get received(): number {
    return this.#received;
  }

  /** Sequence number wrap count, shifted left 16 bits (A.1 `cycles`). */
  get cycles(): number {
    return this.#cycles;
  }

  /** Extended highest sequence number received: cycles + max_seq (A.3). */
  get extendedHighest(): number {
    return this.#cycles + this.#maxSeq;
  }

  /** Packets expected: extended highest − base + 1 (A.3); 0 before the first counted packet. */
  get expected(): number {
    return this.#received === 0 ? 0 : this.extendedHighest - this.#baseSeq + 1;
  }

  /** Cumulative packets lost: expected − received (negative with duplicates). */
  get lost(): number {
    return this.expected - this.#received;
  }

  /** Interarrival jitter, RTP timestamp units (A.8). */
  get jitter(): number {
    return this.#jitter;
  }

  /** The last sender report received on this stream, if any. */
  get lastSenderReport(): LastSenderReport | undefined {
    return this.#lastSr;
  }

  /** Keeps an SR of this stream for LSR/DLSR (and sender report translation). */
  onSenderReport(sr: SenderReport, receivedAtMs: number): void {
    this.#lastSr = {
      ntpSeconds: sr.ntpSeconds >>> 0,
      ntpFraction: sr.ntpFraction >>> 0,
      rtpTimestamp: sr.rtpTimestamp >>> 0,
      packetCount: sr.packetCount >>> 0,
      octetCount: sr.octetCount >>> 0,
      receivedAtMs,
    };
  }

  /**
   * The report block for a receiver report sent at `nowMs` (RFC 3550 §6.4.1, A.3), or
   * undefined before the first counted packet. Each call starts a new interval for
   * `fractionLost`.
   */
  reportBlock(nowMs: number): ReportBlock | undefined {
    if (this.#received === 0) return undefined;
    const expected = this.expected;
    const expectedInterval = expected - this.#expectedPrior;
    this.#expectedPrior = expected;
    const receivedInterval = this.#received - this.#receivedPrior;
    this.#receivedPrior = this.#received;
    const lostInterval = expectedInterval - receivedInterval;
    const fractionLost =
      expectedInterval === 0 || lostInterval <= 0 ? 0 : Math.floor((lostInterval * 256) / expectedInterval);
    const lost = Math.max(-0x800000, Math.min(0x7fffff, expected - this.#received));
    const sr = this.#lastSr;
    let lastSr = 0;
    let delaySinceLastSr = 0;
    if (sr !== undefined) {
      // Middle 32 bits of the 64-bit NTP timestamp; delay in 1/65536 s.
      lastSr = ((sr.ntpSeconds & 0xffff) * 0x10000 + (sr.ntpFraction >>> 16)) >>> 0;
      delaySinceLastSr = Math.max(0, Math.min(0xffffffff, Math.round(((nowMs - sr.receivedAtMs) * 65536) / 1000)));
    }
    return {
      ssrc: this.ssrc,
      fractionLost: Math.min(255, fractionLost),
      cumulativeLost: lost,
      highestSequence: this.extendedHighest >>> 0,
      jitter: Math.min(0xffffffff, Math.floor(this.#jitter)),
      lastSr,
      delaySinceLastSr,
    };
  }
}
