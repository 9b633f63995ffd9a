/**
 * A Consumer: one outgoing copy of a Producer on a subscriber's WebRtcTransport.
 *
 * Each consumer has its own SSRC, sequence-number and timestamp space (RFC 7667 §3.7: an
 * SFU that switches or pauses sources must rewrite them so the receiver sees one
 * continuous stream); after a pause the timestamps continue by wall-clock time. Forwarded
 * video packets are kept in a retransmission ring so a subscriber's NACK (RFC 4585
 * §6.2.1) is answered from the server, as RTX (RFC 4588) when negotiated.
 *
 * Hot path: `forward` copies the packet into one scratch buffer shared by all
 * consumers, rewrites SSRC and sequence number in place and gives it to the transport,
 * which encrypts into a new buffer. NACKs are answered from the producer's ring (one
 * copy per producer, however many consumers), rewritten on the way out.
 */
import { TypedEmitter } from '@itda/common';
import { type RtpPacketView, SequenceRewriter, seqNewer, TimestampRewriter } from '../rtp/index.ts';
import { readU32, writeU32 } from '../rtp/rtp-packet.ts';
import { MAX_PACKET, type Producer } from './producer.ts';
import type { MediaKind } from './types.ts';

/** What a consumer needs of its transport. */
export interface ConsumerTransport {
  /** Encrypts and sends one RTP packet; the bytes may be reused once it returns. */
  sendRtp(packet: Uint8Array): void;
  readonly connected: boolean;
}

export interface ConsumerOptions {
  id: string;
  producer: Producer;
  transport: ConsumerTransport;
  /** The subscriber's mid for this track. */
  mid: string;
  ssrc: number;
  rtxSsrc?: number;
  /** Start paused (e.g. until the subscriber's answer is applied). Default false. */
  paused?: boolean;
  /**
   * The payload type the subscriber negotiated for the producer's codec, when it differs
   * from the publisher's (a WHEP player's offer chooses its own numbers, RFC 3264 §6.1):
   * forwarded packets get it written in place. Default: the producer's, unchanged.
   */
  payloadType?: number;
  /** Likewise for RTX (RFC 4588). Default: the producer's `rtxPayloadType`. */
  rtxPayloadType?: number;
}

export type ConsumerEvents = {
  closed: [];
};

/** One scratch buffer for every consumer: forwarding is synchronous and single-threaded. */
const scratch = Buffer.allocUnsafe(MAX_PACKET);
/** Where an RTX packet is built from a rewritten one (two more bytes than the original). */
const rtxScratch = Buffer.allocUnsafe(MAX_PACKET + 2);

export class Consumer extends TypedEmitter<ConsumerEvents> {
  readonly id: string;
  readonly producer: Producer;
  readonly kind: MediaKind;
  readonly mid: string;
  readonly ssrc: number;
  readonly rtxSsrc: number | undefined;
  readonly #transport: ConsumerTransport;
  readonly #seq = new SequenceRewriter();
  readonly #ts: TimestampRewriter;
  /** Output sequence number of the first packet after the last source switch (resume). */
  #switchedAt = -1;
  #switchPending = false;
  /** Payload type written into forwarded packets, or −1 to keep the producer's. */
  readonly #payloadType: number;
  readonly #rtxPayloadType: number | undefined;
  #rtxSeq = (Math.random() * 0x10000) >>> 0;
  #paused: boolean;
  #closed = false;
  /** Packets and bytes sent (before encryption), retransmissions sent, NACKed packets not found. */
  packets = 0;
  bytes = 0;
  retransmitted = 0;
  nackMisses = 0;
  /** Highest RTP timestamp sent and when, for sender reports. */
  lastRtpTimestamp = 0;
  lastSentAt = 0;

  constructor(options: ConsumerOptions) {
    super();
    this.id = options.id;
    this.producer = options.producer;
    this.kind = options.producer.kind;
    this.mid = options.mid;
    this.ssrc = options.ssrc;
    this.rtxSsrc = options.rtxSsrc;
    this.#transport = options.transport;
    this.#ts = new TimestampRewriter(options.producer.codec.clockRate);
    this.#paused = options.paused ?? false;
    const pt = options.payloadType;
    this.#payloadType = pt === undefined || pt === options.producer.codec.payloadType ? -1 : pt & 0x7f;
    this.#rtxPayloadType = options.rtxPayloadType ?? options.producer.rtxPayloadType;
    options.producer.consumers.add(this);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Added (mod 2^32) to the producer's RTP timestamps on this consumer's stream. */
  get timestampOffset(): number {
    return this.#ts.offset;
  }

  get paused(): boolean {
    return this.#paused;
  }

  pause(): void {
    this.#paused = true;
  }

  /** Resumes forwarding; video asks the publisher for a keyframe so the picture starts at once. */
  resume(nowMs: number): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#seq.switchSource();
    this.#ts.switchSource();
    this.#switchPending = true;
    this.producer.requestKeyframe(nowMs);
  }

  /** Forwards one packet of the producer. */
  forward(packet: Buffer, view: RtpPacketView, nowMs: number): void {
    if (this.#paused || this.#closed || !this.#transport.connected) return;
    const length = view.length;
    if (length > MAX_PACKET) return;
    packet.copy(scratch, 0, view.offset, view.offset + length);
    writeU32(scratch, 8, this.ssrc);
    if (this.#payloadType >= 0) scratch[1] = (scratch[1]! & 0x80) | this.#payloadType;
    const seq = this.#seq.rewrite(view.sequenceNumber);
    if (this.#switchPending) {
      this.#switchPending = false;
      this.#switchedAt = seq;
    }
    scratch[2] = seq >>> 8;
    scratch[3] = seq & 0xff;
    const ts = this.#ts.rewrite(view.timestamp, nowMs);
    writeU32(scratch, 4, ts);
    const out = scratch.subarray(0, length);
    this.packets++;
    this.bytes += length;
    this.lastRtpTimestamp = ts;
    this.lastSentAt = nowMs;
    this.#transport.sendRtp(out);
  }

  /**
   * Answers a NACK (RFC 4585 §6.2.1) for sequence numbers of this consumer's stream:
   * resends each stored packet, as RTX when an RTX SSRC and payload type exist.
   */
  retransmit(sequences: readonly number[]): void {
    if (this.#closed || !this.#transport.connected) return;
    const ring = this.producer.ring;
    if (ring === undefined) return;
    const rtxPt = this.#rtxPayloadType;
    for (const seq of sequences) {
      // Numbers from before the last resume came under another offset: not ours to find.
      const stored =
        this.#switchedAt >= 0 && seqNewer(this.#switchedAt, seq & 0xffff)
          ? undefined
          : ring.get(this.#seq.original(seq));
      if (stored === undefined) {
        this.nackMisses++;
        continue;
      }
      this.retransmitted++;
      const length = stored.length;
      scratch.set(stored, 0);
      writeU32(scratch, 8, this.ssrc);
      if (this.#payloadType >= 0) scratch[1] = (scratch[1]! & 0x80) | this.#payloadType;
      scratch[2] = (seq >>> 8) & 0xff;
      scratch[3] = seq & 0xff;
      writeU32(scratch, 4, (readU32(scratch, 4) + this.#ts.offset) >>> 0);
      const packet = scratch.subarray(0, length);
      if (this.rtxSsrc !== undefined && rtxPt !== undefined) {
        this.#transport.sendRtp(this.#toRtx(packet, rtxPt, this.rtxSsrc));
      } else {
        this.#transport.sendRtp(packet);
      }
    }
  }

  /**
   * RFC 4588 §4: the RTX packet has the RTX SSRC and payload type, its own sequence
   * number, the original timestamp, and the original sequence number (OSN) as the
   * first two payload bytes.
   */
  #toRtx(original: Uint8Array, rtxPt: number, rtxSsrc: number): Uint8Array {
    const csrcCount = original[0]! & 0x0f;
    let headerLength = 12 + csrcCount * 4;
    if ((original[0]! & 0x10) !== 0) {
      const words = (original[headerLength + 2]! << 8) | original[headerLength + 3]!;
      headerLength += 4 + words * 4;
    }
    let end = original.length;
    if ((original[0]! & 0x20) !== 0) end -= original[end - 1]!;
    const out = rtxScratch;
    out.set(original.subarray(0, headerLength), 0);
    out[0] = out[0]! & ~0x20; // padding is not carried over
    out[1] = (out[1]! & 0x80) | rtxPt;
    const rtxSeq = this.#rtxSeq;
    this.#rtxSeq = (rtxSeq + 1) & 0xffff;
    out[2] = rtxSeq >>> 8;
    out[3] = rtxSeq & 0xff;
    writeU32(out, 8, rtxSsrc);
    out[headerLength] = original[2]!;
    out[headerLength + 1] = original[3]!;
    out.set(original.subarray(headerLength, end), headerLength + 2);
    return out.subarray(0, headerLength + 2 + (end - headerLength));
  }

  /** Closes the consumer and detaches it from its producer. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.producer.consumers.delete(this);
    this.emit('closed');
    this.removeAllListeners();
  }
}
