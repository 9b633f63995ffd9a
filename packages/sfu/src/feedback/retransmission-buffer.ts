/**
 * The last packets of one outgoing stream, kept to answer NACKs (RFC 4585 §6.2.1), and the
 * RTX packet format for resending them on a separate stream (RFC 4588 §4).
 *
 * A ring of `slots` entries indexed by sequence number (`seq & (slots − 1)`): a packet
 * is kept until a packet `slots` sequence numbers later overwrites it, or until it is
 * older than `maxAgeMs`, whichever comes first. Packets are copied into fixed slot
 * buffers of `maxPacketSize` bytes, each allocated the first time its slot is used and
 * reused after that, so storing allocates nothing in the steady state. Memory per stream
 * is at most `slots × maxPacketSize` (1024 × 1500 B ≈ 1.5 MB with the defaults).
 */
import type { Clock } from '@itda/common';
import { systemClock } from '@itda/common';
import { RTP_HEADER_LENGTH, RtpPacketView } from '../rtp/index.ts';
import { FeedbackError, FeedbackErrorCode, intOption, powerOfTwoOption } from './errors.ts';

export interface RetransmissionBufferOptions {
  /** Ring slots, a power of two, 16…32,768. Default 1,024. */
  slots?: number;
  /** Oldest packet answered, ms, 1…10,000. Default 1,000. */
  maxAgeMs?: number;
  /** Largest packet kept, bytes, 12…1,500. Default 1,500; larger packets are counted in `oversize`. */
  maxPacketSize?: number;
  /** Time source for `store` (default the system clock). */
  clock?: Clock;
}

const EMPTY = new Uint8Array(0);

export class RetransmissionBuffer {
  readonly #mask: number;
  readonly #maxAgeMs: number;
  readonly #maxPacketSize: number;
  readonly #clock: Clock;
  readonly #slots: Uint8Array[];
  readonly #lengths: Uint16Array;
  /** Sequence number per slot, −1 when empty. */
  readonly #seqs: Int32Array;
  readonly #storedAt: Float64Array;

  /** Packets stored. */
  stored = 0;
  /** Packets not stored because they were longer than `maxPacketSize` (or shorter than an RTP header). */
  oversize = 0;
  /** `get` calls that found nothing (never stored or overwritten). */
  misses = 0;
  /** `get` calls that found a packet older than `maxAgeMs`. */
  expired = 0;

  constructor(options: RetransmissionBufferOptions = {}) {
    const slots = powerOfTwoOption('slots', options.slots, 1024, 16, 32768);
    this.#mask = slots - 1;
    this.#maxAgeMs = intOption('maxAgeMs', options.maxAgeMs, 1000, 1, 10_000);
    this.#maxPacketSize = intOption('maxPacketSize', options.maxPacketSize, 1500, RTP_HEADER_LENGTH, 1500);
    this.#clock = options.clock ?? systemClock;
    this.#slots = new Array<Uint8Array>(slots).fill(EMPTY);
    this.#lengths = new Uint16Array(slots);
    this.#seqs = new Int32Array(slots).fill(-1);
    this.#storedAt = new Float64Array(slots);
  }

  /**
   * Keeps a copy of the RTP packet `packet` under its sequence number (bytes 2–3), with
   * `nowMs` (default the clock's now) as its age reference. Returns false, counting it in
   * `oversize`, when it is longer than `maxPacketSize` or shorter than an RTP header.
   */
  store(packet: Uint8Array, nowMs: number = this.#clock.now()): boolean {
    const n = packet.length;
    if (n > this.#maxPacketSize || n < RTP_HEADER_LENGTH) {
      this.oversize++;
      return false;
    }
    const seq = ((packet[2] as number) << 8) | (packet[3] as number);
    const i = seq & this.#mask;
    let slot = this.#slots[i] as Uint8Array;
    if (slot === EMPTY) {
      slot = new Uint8Array(this.#maxPacketSize);
      this.#slots[i] = slot;
    }
    slot.set(packet, 0);
    this.#lengths[i] = n;
    this.#seqs[i] = seq;
    this.#storedAt[i] = nowMs;
    this.stored++;
    return true;
  }

  /**
   * The stored packet with sequence number `seq`, or undefined when it was never stored,
   * was overwritten, or is older than `maxAgeMs` at `nowMs`. The result is a view into the
   * slot: valid until the next `store` that lands in the same slot; copy or send it first.
   */
  get(seq: number, nowMs: number): Uint8Array | undefined {
    const i = seq & this.#mask;
    if (this.#seqs[i] !== (seq & 0xffff)) {
      this.misses++;
      return undefined;
    }
    if (nowMs - (this.#storedAt[i] as number) > this.#maxAgeMs) {
      this.expired++;
      return undefined;
    }
    return (this.#slots[i] as Uint8Array).subarray(0, this.#lengths[i]);
  }

  /**
   * Whether a packet with sequence number `seq` is held (however old): a packet arriving
   * again — a retransmission of one that did arrive, or a network duplicate — is known
   * without counting a miss. No allocation.
   */
  has(seq: number): boolean {
    return this.#seqs[seq & this.#mask] === (seq & 0xffff);
  }

  /** Forgets every stored packet (e.g. on an SSRC change); slot buffers are kept for reuse. */
  clear(): void {
    this.#seqs.fill(-1);
  }
}

const RTX_VIEW = new RtpPacketView();

/**
 * Writes the RTX packet (RFC 4588 §4) for the RTP packet `original` into `out` and
 * returns its length: the original header (CSRCs and header extensions included) with
 * SSRC `rtxSsrc`, payload type `rtxPt` and sequence number `rtxSeq` (the RTX stream's
 * own), then the original sequence number (OSN, 2 bytes), then the original payload
 * without its padding (the P bit is cleared). The timestamp and marker are kept.
 * Throws `RtpError` when `original` is not a valid RTP packet and `FeedbackError`
 * (`feedback_bad_option`) when `out` has fewer than `original.length + 2` bytes.
 * Allocates no buffers (two short-lived subarray views).
 */
export function writeRtx(
  original: Uint8Array,
  rtxSsrc: number,
  rtxPt: number,
  rtxSeq: number,
  out: Uint8Array,
): number {
  const v = RTX_VIEW.parse(original);
  const headerLength = v.payloadOffset;
  const length = headerLength + 2 + v.payloadLength;
  if (out.length < length) {
    throw new FeedbackError(FeedbackErrorCode.BadOption, `RTX output buffer of ${out.length} bytes, need ${length}`);
  }
  out.set(original.subarray(0, headerLength), 0);
  out[0] = (out[0] as number) & ~0x20; // no padding
  out[1] = ((out[1] as number) & 0x80) | (rtxPt & 0x7f);
  out[2] = (rtxSeq >> 8) & 0xff;
  out[3] = rtxSeq & 0xff;
  out[8] = (rtxSsrc >>> 24) & 0xff;
  out[9] = (rtxSsrc >>> 16) & 0xff;
  out[10] = (rtxSsrc >>> 8) & 0xff;
  out[11] = rtxSsrc & 0xff;
  out[headerLength] = (v.sequenceNumber >> 8) & 0xff;
  out[headerLength + 1] = v.sequenceNumber & 0xff;
  out.set(original.subarray(v.payloadOffset, v.payloadOffset + v.payloadLength), headerLength + 2);
  return length;
}
