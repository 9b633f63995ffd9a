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
import type { RtpPacketView } from '../rtp/index.ts';
import type { Consumer } from './consumer.ts';
import type { HeaderExtension, MediaKind, RtpCodec, TrackSource } from './types.ts';

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
}

export type ProducerEvents = {
  /** Ask the publisher for a keyframe (the transport sends the PLI). */
  keyframeRequest: [producer: Producer];
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

  /** Forwards one decrypted RTP packet to every consumer. `view` is parsed on `packet`. */
  receive(packet: Buffer, view: RtpPacketView, nowMs: number): void {
    this.packets++;
    this.bytes += view.length;
    if (this.#paused) return;
    for (const consumer of this.consumers) consumer.forward(packet, view, nowMs);
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

  /** Sends a throttled keyframe request that has come due. */
  tick(nowMs: number): void {
    if (this.#keyframePending && nowMs - this.#lastKeyframeRequestAt >= this.#keyframeIntervalMs) {
      this.requestKeyframe(nowMs);
    }
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
