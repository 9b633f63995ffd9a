/**
 * A Producer: one incoming track of a WebRtcTransport (mediasoup's model). It owns the
 * forwarding fan-out to its Consumers and the upstream feedback the publisher needs:
 * keyframe requests (PLI, RFC 4585 §6.3.1) throttled across subscribers.
 *
 * Hot path: `receive` is called with the decrypted RTP packet (a Buffer the caller owns
 * until `receive` returns) and the parsed view; it hands the same bytes to every
 * consumer, which copies what it rewrites. No per-packet allocation here.
 */
import { TypedEmitter } from '@itda/common';
import { NackGenerator, ReceiveStats } from '../feedback/index.ts';
import type { ReportBlock, RtpPacketView, SenderReport } from '../rtp/index.ts';
import type { Consumer } from './consumer.ts';
import { RetransmissionRing } from './retransmission-ring.ts';
import type { HeaderExtension, MediaKind, RtpCodec, TrackSource } from './types.ts';

/** Largest RTP packet forwarded or kept, bytes (an Ethernet MTU). */
export const MAX_PACKET = 1500;

export interface ProducerOptions {
  id: string;
  /** Id of the participant (or WHIP session) that publishes it. */
  participantId: string;
  kind: MediaKind;
  source: TrackSource;
  /** The publisher's mid of this track. */
  mid: string;
  /** Primary SSRC, when the SDP declared it (Chromium does); else learnt from the mid extension. */
  ssrc?: number;
  /** RTX SSRC (RFC 4588), when declared. */
  rtxSsrc?: number;
  codec: RtpCodec;
  /** RTX payload type paired with `codec`, when negotiated. */
  rtxPayloadType?: number;
  /** Extensions negotiated on the publisher's m-line, ids as the publisher uses them. */
  extensions: HeaderExtension[];
  /** Canonical name from the publisher's `a=ssrc … cname:`; reused downstream for lip sync. */
  cname?: string;
  /** Minimum interval between keyframe requests sent upstream, ms. Default 500. */
  keyframeRequestIntervalMs?: number;
  /**
   * Packets kept to answer subscribers' NACKs (a power of two; video only). Default 512
   * (about 3 s of 1.5 Mbit/s video; 750 KiB per video producer). 0: none.
   */
  retransmissionSlots?: number;
}

export type ProducerEvents = {
  /** Ask the publisher for a keyframe (the transport sends the PLI). */
  keyframeRequest: [producer: Producer];
  /** Ask the publisher to resend these sequence numbers (the transport sends a NACK, RFC 4585 §6.2.1). */
  nack: [producer: Producer, sequences: readonly number[]];
  closed: [];
};

export class Producer extends TypedEmitter<ProducerEvents> {
  readonly id: string;
  readonly participantId: string;
  readonly kind: MediaKind;
  readonly source: TrackSource;
  readonly mid: string;
  readonly codec: RtpCodec;
  readonly rtxPayloadType: number | undefined;
  readonly extensions: readonly HeaderExtension[];
  readonly cname: string;
  ssrc: number | undefined;
  rtxSsrc: number | undefined;
  readonly consumers = new Set<Consumer>();
  /** Packets and bytes received (after decryption). */
  packets = 0;
  bytes = 0;
  /** Last sender report of this stream: NTP (seconds, fraction), RTP time, arrival ms. */
  lastSr: { ntpSeconds: number; ntpFraction: number; rtpTimestamp: number; at: number } | undefined;
  #closed = false;
  #paused = false;
  readonly #keyframeIntervalMs: number;
  #lastKeyframeRequestAt = Number.NEGATIVE_INFINITY;
  #keyframePending = false;
  /** Upstream loss repair: video with RTX negotiated (a retransmission on the primary SSRC would be ambiguous). */
  readonly #nack: NackGenerator | undefined;
  readonly #nackOut: number[] = [];
  /** One bit per sequence number received recently, to drop duplicate retransmissions. */
  readonly #seen = new Uint8Array(8192);
  #highestSeq = -1;
  /** RFC 3550 A.1/A.3/A.8 reception statistics for the receiver reports sent to the publisher. */
  #receiveStats: ReceiveStats | undefined;
  /**
   * The last packets as received (video only), so a subscriber's NACK is answered from
   * the server; kept once per producer, not per consumer. `retransmissionSlots`.
   */
  readonly ring: RetransmissionRing | undefined;
  /** Retransmissions forwarded, and duplicates dropped. */
  repaired = 0;
  duplicates = 0;

  constructor(options: ProducerOptions) {
    super();
    this.id = options.id;
    this.participantId = options.participantId;
    this.kind = options.kind;
    this.source = options.source;
    this.mid = options.mid;
    this.codec = options.codec;
    this.rtxPayloadType = options.rtxPayloadType;
    this.extensions = options.extensions;
    this.cname = options.cname ?? `itda-${options.participantId}`;
    this.ssrc = options.ssrc;
    this.rtxSsrc = options.rtxSsrc;
    this.#keyframeIntervalMs = options.keyframeRequestIntervalMs ?? 500;
    const slots = this.kind === 'video' ? (options.retransmissionSlots ?? 512) : 0;
    this.ring = slots > 0 ? new RetransmissionRing(slots, MAX_PACKET) : undefined;
    const nackable = options.codec.feedback.some((f) => f.type === 'nack' && f.parameter === undefined);
    this.#nack =
      this.kind === 'video' && nackable && options.rtxPayloadType !== undefined ? new NackGenerator() : undefined;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** A paused producer forwards nothing (the publisher muted at the server's request). */
  get paused(): boolean {
    return this.#paused;
  }

  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
  }

  /**
   * Forwards one decrypted RTP packet to every consumer. `view` is parsed on `packet`.
   * `retransmission`: it came as RTX (RFC 4588) and was already restored to the primary
   * stream; a copy of a packet already forwarded is dropped.
   */
  receive(packet: Buffer, view: RtpPacketView, nowMs: number, retransmission = false): void {
    const seq = view.sequenceNumber;
    if (this.#markSeen(seq)) {
      this.duplicates++;
      return;
    }
    if (retransmission) this.repaired++;
    else {
      if (this.#receiveStats === undefined || this.#receiveStats.ssrc !== view.ssrc) {
        this.#receiveStats = new ReceiveStats({ ssrc: view.ssrc, clockRate: this.codec.clockRate });
      }
      this.#receiveStats.update(seq, view.timestamp, nowMs, view.length);
    }
    this.packets++;
    this.bytes += view.length;
    if (this.#nack?.onPacket(seq, nowMs) === true) this.requestKeyframe(nowMs);
    this.ring?.store(seq, packet, view.offset, view.length);
    if (this.#paused) return;
    for (const consumer of this.consumers) consumer.forward(packet, view, nowMs);
  }

  /** Marks `seq` received; true when it already was (within the last 32,768). */
  #markSeen(seq: number): boolean {
    const seen = this.#seen;
    if (this.#highestSeq < 0) {
      this.#highestSeq = seq;
    } else {
      const d = ((seq - this.#highestSeq + 0x8000) & 0xffff) - 0x8000;
      if (d > 0) {
        // Forget the bits of the numbers we moved past (at most half the space).
        for (let v = this.#highestSeq + 1, end = this.#highestSeq + Math.min(d, 0x8000); v <= end; v++) {
          const u = (v + 0x8000) & 0xffff;
          seen[u >>> 3] = (seen[u >>> 3] as number) & ~(1 << (u & 7));
        }
        this.#highestSeq = seq;
      }
    }
    const byte = seen[seq >>> 3] as number;
    const bit = 1 << (seq & 7);
    if ((byte & bit) !== 0) return true;
    seen[seq >>> 3] = byte | bit;
    return false;
  }

  /**
   * A subscriber (or a new consumer) needs a keyframe. Requests closer together than the
   * throttle interval collapse into one, sent when the interval has passed (`tick`).
   */
  requestKeyframe(nowMs: number): void {
    if (this.kind !== 'video' || this.#closed) return;
    if (nowMs - this.#lastKeyframeRequestAt >= this.#keyframeIntervalMs) {
      this.#lastKeyframeRequestAt = nowMs;
      this.#keyframePending = false;
      this.emit('keyframeRequest', this);
    } else {
      this.#keyframePending = true;
    }
  }

  /** Sends a throttled keyframe request that has come due, and NACKs for missing packets. */
  tick(nowMs: number): void {
    if (this.#keyframePending && nowMs - this.#lastKeyframeRequestAt >= this.#keyframeIntervalMs) {
      this.requestKeyframe(nowMs);
    }
    if (this.#nack !== undefined && this.#nack.poll(nowMs, this.#nackOut) > 0) {
      this.emit('nack', this, this.#nackOut);
    }
  }

  /** The publisher's sender report of this stream arrived (for LSR/DLSR and lip-sync translation). */
  onSenderReport(sr: SenderReport, nowMs: number): void {
    this.lastSr = { ntpSeconds: sr.ntpSeconds, ntpFraction: sr.ntpFraction, rtpTimestamp: sr.rtpTimestamp, at: nowMs };
    this.#receiveStats?.onSenderReport(sr, nowMs);
  }

  /** The report block about this stream for a receiver report (RFC 3550 §6.4.2), once packets arrived. */
  reportBlock(nowMs: number): ReportBlock | undefined {
    return this.#receiveStats?.reportBlock(nowMs);
  }

  /** Closes the producer and every consumer of it. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const consumer of [...this.consumers]) consumer.close();
    this.consumers.clear();
    this.emit('closed');
    this.removeAllListeners();
  }
}
