/**
 * A Producer: one incoming track of a WebRtcTransport (mediasoup's model). It owns the
 * forwarding fan-out to its Consumers, the stream's history for subscribers' NACKs, and
 * the upstream feedback the publisher needs: keyframe requests (PLI, RFC 4585 §6.3.1)
 * throttled across subscribers (`KeyframeThrottle`), NACKs for packets lost on the way
 * in (`NackGenerator`), and reception statistics for receiver reports (`ReceiveStats`).
 *
 * Hot path: `receive` is called with the decrypted RTP packet (a Buffer the caller owns
 * until `receive` returns) and the parsed view; it hands the same bytes to every
 * consumer, which copies what it rewrites. No per-packet allocation here.
 */
import { type Clock, TypedEmitter } from '@itda/common';
import {
  KeyframeThrottle,
  type LastSenderReport,
  NackGenerator,
  ReceiveStats,
  RetransmissionBuffer,
} from '../feedback/index.ts';
import type {
  FullIntraRequest,
  PictureLossIndication,
  ReportBlock,
  RtpPacketView,
  SenderReport,
} from '../rtp/index.ts';
import type { Consumer } from './consumer.ts';
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
  /** Time for the keyframe throttle and the NACK history. */
  clock: Clock;
  /** SSRC the transport sends its RTCP with (the sender of our keyframe requests). */
  rtcpSsrc: number;
  /** Minimum interval between keyframe requests sent upstream, ms. Default 500. */
  keyframeRequestIntervalMs?: number;
  /**
   * Packets kept to answer subscribers' NACKs (a power of two; video only), for at most
   * 1 s. Default 512 (over 3 s of 1.5 Mbit/s video; at most 750 KiB per video producer).
   * 0: none.
   */
  retransmissionSlots?: number;
}

export type ProducerEvents = {
  /** A keyframe request for the publisher, after throttling (the transport sends it). */
  keyframeRequest: [request: PictureLossIndication | FullIntraRequest];
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
  #closed = false;
  #paused = false;
  readonly #options: ProducerOptions;
  /** Made at the first request once the SSRC is known (it may be learnt from the mid extension). */
  #keyframes: KeyframeThrottle | undefined;
  /** Upstream loss repair: video with RTX negotiated (a retransmission on the primary SSRC would be ambiguous). */
  readonly #nack: NackGenerator | undefined;
  readonly #nackOut: number[] = [];
  /** RFC 3550 A.1/A.3/A.8 reception statistics for the receiver reports sent to the publisher. */
  #receiveStats: ReceiveStats | undefined;
  /**
   * The last packets as received (video only), so a subscriber's NACK is answered from
   * the server; kept once per producer, not per consumer. It also tells a duplicate (a
   * retransmission of a packet that did arrive) from a repair.
   */
  readonly history: RetransmissionBuffer | undefined;
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
    this.#options = options;
    const slots = this.kind === 'video' ? (options.retransmissionSlots ?? 512) : 0;
    this.history =
      slots > 0 ? new RetransmissionBuffer({ slots, maxPacketSize: MAX_PACKET, clock: options.clock }) : undefined;
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
   * Forwards one decrypted RTP packet (the whole of `packet`) to every consumer. `view`
   * is parsed on `packet`.
   * `retransmission`: it came as RTX (RFC 4588) and was already restored to the primary
   * stream; a copy of a packet already forwarded is dropped.
   */
  receive(packet: Buffer, view: RtpPacketView, nowMs: number, retransmission = false): void {
    const seq = view.sequenceNumber;
    if (this.history?.has(seq) === true) {
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
    if (this.#nack?.onPacket(seq, nowMs) === true) this.requestKeyframe();
    this.history?.store(packet, nowMs);
    if (this.#paused) return;
    for (const consumer of this.consumers) consumer.forward(packet, view, nowMs);
  }

  /**
   * A subscriber (or a new consumer) needs a keyframe. At most one request per interval
   * reaches the publisher; one asked for inside the interval is sent when it ends.
   * PLI, or FIR when the publisher negotiated only `ccm fir`.
   */
  requestKeyframe(): void {
    if (this.kind !== 'video' || this.#closed || this.ssrc === undefined) return;
    if (this.#keyframes === undefined) {
      const pli = this.codec.feedback.some((f) => f.type === 'nack' && f.parameter === 'pli');
      const fir = this.codec.feedback.some((f) => f.type === 'ccm' && f.parameter === 'fir');
      this.#keyframes = new KeyframeThrottle({
        clock: this.#options.clock,
        minIntervalMs: this.#options.keyframeRequestIntervalMs ?? 500,
        mode: !pli && fir ? 'fir' : 'pli',
        senderSsrc: this.#options.rtcpSsrc,
        mediaSsrc: this.ssrc,
        send: (request) => this.emit('keyframeRequest', request),
      });
    }
    this.#keyframes.request();
  }

  /** NACKs for packets missing upstream that have come due. */
  tick(nowMs: number): void {
    if (this.#nack !== undefined && this.#nack.poll(nowMs, this.#nackOut) > 0) {
      this.emit('nack', this, this.#nackOut);
    }
  }

  /** The publisher's last sender report of this stream, for lip-sync translation downstream. */
  get lastSenderReport(): LastSenderReport | undefined {
    return this.#receiveStats?.lastSenderReport;
  }

  /** The publisher's sender report of this stream arrived (for LSR/DLSR and lip-sync translation). */
  onSenderReport(sr: SenderReport, nowMs: number): void {
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
    this.#keyframes?.close();
    for (const consumer of [...this.consumers]) consumer.close();
    this.consumers.clear();
    this.emit('closed');
    this.removeAllListeners();
  }
}
