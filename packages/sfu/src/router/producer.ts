/**
 * A Producer: one incoming track of a WebRtcTransport (mediasoup's model). It owns the
 * forwarding fan-out to its Consumers, the stream's history for subscribers' NACKs, and
 * the upstream feedback the publisher needs: keyframe requests (PLI, RFC 4585 §6.3.1)
 * throttled across subscribers (`KeyframeThrottle`), NACKs for packets lost on the way
 * in (`NackGenerator`), and reception statistics for receiver reports (`ReceiveStats`).
 *
 * A simulcast track (RFC 8853) has one `ProducerLayer` per rid, each its own RTP stream;
 * the producer ranks its active layers by bitrate, and each consumer forwards one layer,
 * switching at keyframes (consumer.ts). A plain track is a single layer.
 *
 * Hot path: `receive` is called with the decrypted RTP packet (a Buffer the caller owns
 * until `receive` returns), the parsed view and the layer it came on; it hands the same
 * bytes to every consumer, which copies what it rewrites. No per-packet allocation here.
 */
import { type Clock, TypedEmitter } from '@itda/common';
import type { LastSenderReport } from '../feedback/index.ts';
import { ExtensionUri } from '../rtp/extensions.ts';
import {
  type FullIntraRequest,
  isKeyframeStart,
  type KeyframeCodec,
  keyframeCodec,
  type PictureLossIndication,
  type ReportBlock,
  type RtpPacketView,
} from '../rtp/index.ts';
import type { Consumer } from './consumer.ts';
import { ProducerLayer } from './producer-layer.ts';
import type { RtpObserver } from './rtp-observer.ts';
import type { HeaderExtension, MediaKind, RtpCodec, TrackSource } from './types.ts';

/** Largest RTP packet forwarded or kept, bytes (an Ethernet MTU). */
export const MAX_PACKET = 1500;

/** How often simulcast layers are measured and re-ranked, ms. */
const RANK_INTERVAL_MS = 500;

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
  /**
   * Simulcast: the rids of the layers (RFC 8851, in the offer's `a=simulcast` order), each
   * an RTP stream whose SSRC is learnt from the rid extension (RFC 8852). Default: none,
   * one stream.
   */
  rids?: readonly string[];
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
  /** Ask the publisher to resend these sequence numbers of a layer (the transport sends a NACK, RFC 4585 §6.2.1). */
  nack: [producer: Producer, sequences: readonly number[], layer: ProducerLayer];
  /** `closed`: its own `close()` (the publisher stopped the track); `transport_closed`: its transport ended. */
  closed: [reason: 'closed' | 'transport_closed'];
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
  /** The id of the transport-wide sequence number extension, 0 when not negotiated (consumers renumber it). */
  readonly twccId: number;
  /**
   * Where, in the packet being forwarded (from its first byte), the 2-byte transport-wide
   * number is; −1 without one. Found once per packet, for all consumers (valid during
   * `receive`'s forwarding).
   */
  twccOffset = -1;
  readonly cname: string;
  /** The encodings: one, or one per simulcast rid. */
  readonly layers: readonly ProducerLayer[];
  readonly consumers = new Set<Consumer>();
  /** Observers of this producer's packets (the Router adds them; rtp-observer.ts). */
  readonly #observers: RtpObserver[] = [];
  #closed = false;
  #paused = false;
  /** Keyframes can be told in this codec's payloads (needed to switch layers). */
  readonly keyframeCodec: KeyframeCodec | undefined;
  /** Active layers' indexes, lowest bitrate first (simulcast; updated by `tick`). */
  #ranked: number[] = [];
  #nextRankAtMs = 0;
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
    this.twccId = options.extensions.find((e) => e.uri === ExtensionUri.TransportCc)?.id ?? 0;
    this.cname = options.cname ?? `itda-${options.participantId}`;
    const video = this.kind === 'video';
    const nackable = options.codec.feedback.some((f) => f.type === 'nack' && f.parameter === undefined);
    const pli = options.codec.feedback.some((f) => f.type === 'nack' && f.parameter === 'pli');
    const fir = options.codec.feedback.some((f) => f.type === 'ccm' && f.parameter === 'fir');
    const rids = options.rids !== undefined && options.rids.length > 1 ? options.rids : [undefined];
    this.layers = rids.map(
      (rid, index) =>
        new ProducerLayer({
          producer: this,
          index,
          rid,
          ssrc: index === 0 && rid === undefined ? options.ssrc : undefined,
          rtxSsrc: index === 0 && rid === undefined ? options.rtxSsrc : undefined,
          clockRate: options.codec.clockRate,
          clock: options.clock,
          video,
          retransmissionSlots: video ? (options.retransmissionSlots ?? 512) : 0,
          maxPacketSize: MAX_PACKET,
          nack: video && nackable && options.rtxPayloadType !== undefined,
          keyframeMode: !pli && fir ? 'fir' : 'pli',
          keyframeRequestIntervalMs: options.keyframeRequestIntervalMs ?? 500,
          rtcpSsrc: options.rtcpSsrc,
          sendKeyframeRequest: (request) => this.emit('keyframeRequest', request),
        }),
    );
    this.keyframeCodec = video ? keyframeCodec(`video/${options.codec.name}`) : undefined;
    this.#ranked = this.layers.map((l) => l.index);
  }

  /** A simulcast producer (more than one layer). */
  get simulcast(): boolean {
    return this.layers.length > 1;
  }

  /** The layer of `rid`, if this producer has one. */
  layerByRid(rid: string): ProducerLayer | undefined {
    return this.layers.find((l) => l.rid === rid);
  }

  /** Packets received (after decryption), all layers. */
  get packets(): number {
    let n = 0;
    for (const l of this.layers) n += l.packets;
    return n;
  }

  /** Bytes received (after decryption), all layers. */
  get bytes(): number {
    let n = 0;
    for (const l of this.layers) n += l.bytes;
    return n;
  }

  /** Active layers' indexes, lowest bitrate first (simulcast; `[0]` for a plain track). */
  get rankedLayers(): readonly number[] {
    return this.#ranked.length > 0 ? this.#ranked : [0];
  }

  /**
   * The layer a consumer should forward: among the active layers ranked by bitrate, the
   * one at `rank` counted from the top (0 = the best), or the lowest if there are fewer.
   * Until the first ranking, and while no layer is active, the ranking is the rid order
   * (the last rid counts as the best). Plain tracks: always layer 0.
   */
  targetLayer(rank = 0): number {
    const ranked = this.#ranked;
    return ranked[Math.max(0, ranked.length - 1 - rank)] ?? 0;
  }

  /**
   * Whether `view`'s payload starts a keyframe. A codec whose keyframes cannot be told
   * (none of VP8, VP9, H.264, AV1) answers true: a layer switch then happens at once and
   * the subscriber's decoder asks for a keyframe itself.
   */
  isKeyframe(view: RtpPacketView): boolean {
    const codec = this.keyframeCodec;
    return codec === undefined || isKeyframeStart(codec, view.buf, view.payloadOffset, view.payloadLength);
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
  receive(
    packet: Buffer,
    view: RtpPacketView,
    nowMs: number,
    retransmission = false,
    layer: ProducerLayer = this.layers[0] as ProducerLayer,
  ): void {
    const seq = view.sequenceNumber;
    if (layer.history?.has(seq) === true) {
      this.duplicates++;
      return;
    }
    if (retransmission) this.repaired++;
    else layer.onPacket(view.ssrc, seq, view.timestamp, view.length, nowMs);
    layer.packets++;
    layer.bytes += view.length;
    if (layer.nack?.onPacket(seq, nowMs) === true) layer.requestKeyframe();
    layer.history?.store(packet, nowMs);
    if (this.#paused) return;
    const observers = this.#observers;
    if (!retransmission)
      for (let i = 0; i < observers.length; i++) (observers[i] as RtpObserver).onRtp(this, view, nowMs);
    this.twccOffset =
      this.twccId !== 0 && view.findExtension(this.twccId) && view.foundLength === 2
        ? view.foundOffset - view.offset
        : -1;
    for (const consumer of this.consumers) consumer.forward(packet, view, nowMs, layer);
  }

  /** Hands this producer's packets to `observer` (the Router does, for its observers). */
  observe(observer: RtpObserver): void {
    if (!this.#observers.includes(observer)) this.#observers.push(observer);
  }

  /**
   * A subscriber (or a new consumer) needs a keyframe of layer `index` (default: every
   * layer that has an SSRC). At most one request per interval and layer reaches the
   * publisher; one asked for inside the interval is sent when it ends. PLI, or FIR when
   * the publisher negotiated only `ccm fir`.
   */
  requestKeyframe(index?: number): void {
    if (this.kind !== 'video' || this.#closed) return;
    if (index !== undefined) this.layers[index]?.requestKeyframe();
    else for (const layer of this.layers) layer.requestKeyframe();
  }

  /** NACKs for packets missing upstream that have come due; simulcast layers re-ranked twice a second. */
  tick(nowMs: number): void {
    for (const layer of this.layers) {
      if (layer.nack !== undefined && layer.nack.poll(nowMs, layer.nackOut) > 0) {
        this.emit('nack', this, layer.nackOut, layer);
      }
    }
    if (this.layers.length > 1 && nowMs >= this.#nextRankAtMs) {
      this.#nextRankAtMs = nowMs + RANK_INTERVAL_MS;
      this.#rank(nowMs);
    }
  }

  /** Re-ranks the active layers by bitrate and asks for a keyframe where a consumer waits to switch. */
  #rank(nowMs: number): void {
    for (const layer of this.layers) layer.measure(nowMs, RANK_INTERVAL_MS);
    const active = this.layers.filter((l) => l.active(nowMs));
    if (active.length > 0) {
      active.sort((a, b) => a.bitrate - b.bitrate || a.index - b.index);
      this.#ranked = active.map((l) => l.index);
    }
    for (const consumer of this.consumers) consumer.checkLayer();
  }

  /** The publisher's last sender report of layer 0, for lip-sync translation downstream. */
  get lastSenderReport(): LastSenderReport | undefined {
    return this.layers[0]?.lastSenderReport;
  }

  /** Report blocks about this producer's streams for a receiver report (RFC 3550 §6.4.2), once packets arrived. */
  reportBlocks(nowMs: number, out: ReportBlock[]): void {
    for (const layer of this.layers) {
      const block = layer.reportBlock(nowMs);
      if (block !== undefined) out.push(block);
    }
  }

  /** Closes the producer and every consumer of it (`producer_closed`). Idempotent (the first reason stands). */
  close(reason: 'closed' | 'transport_closed' = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const layer of this.layers) layer.close();
    for (const consumer of [...this.consumers]) consumer.close('producer_closed');
    this.consumers.clear();
    for (const o of this.#observers.splice(0)) o.removeProducer(this);
    this.emit('closed', reason);
    this.removeAllListeners();
  }
}
