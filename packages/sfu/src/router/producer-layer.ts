/**
 * One encoding of a Producer: the whole track, or one simulcast layer (RFC 8853) of it,
 * named by its rid (RFC 8851) and carried on an SSRC of its own with, optionally, an
 * RTX SSRC (RFC 4588) tied to it by repaired-rid. Everything that is per RTP stream lives
 * here: the SSRCs, reception statistics for receiver reports and the publisher's last
 * sender report, upstream NACKs, the packet history that answers subscribers' NACKs,
 * keyframe-request throttling, and the bitrate that ranks layers for subscribers.
 */
import type { Clock } from '@itda/common';
import {
  KeyframeThrottle,
  type LastSenderReport,
  NackGenerator,
  ReceiveStats,
  RetransmissionBuffer,
} from '../feedback/index.ts';
import type { FullIntraRequest, PictureLossIndication, ReportBlock, SenderReport } from '../rtp/index.ts';
import type { Producer } from './producer.ts';

/** A layer that received nothing for this long is inactive: subscribers move off it. */
export const LAYER_INACTIVE_MS = 1500;

export interface ProducerLayerOptions {
  /** The producer this layer belongs to (the transport finds a layer by SSRC, then delivers to it). */
  producer: Producer;
  index: number;
  rid: string | undefined;
  ssrc: number | undefined;
  rtxSsrc: number | undefined;
  clockRate: number;
  clock: Clock;
  video: boolean;
  /** Packets kept for subscribers' NACKs; 0: none. */
  retransmissionSlots: number;
  maxPacketSize: number;
  /** Make a NackGenerator (video with RTX negotiated). */
  nack: boolean;
  keyframeMode: 'pli' | 'fir';
  keyframeRequestIntervalMs: number;
  rtcpSsrc: number;
  sendKeyframeRequest: (request: PictureLossIndication | FullIntraRequest) => void;
}

export class ProducerLayer {
  readonly producer: Producer;
  readonly index: number;
  readonly rid: string | undefined;
  ssrc: number | undefined;
  rtxSsrc: number | undefined;
  /** The last packets as received, for subscribers' NACKs (video). */
  readonly history: RetransmissionBuffer | undefined;
  readonly nack: NackGenerator | undefined;
  readonly nackOut: number[] = [];
  packets = 0;
  bytes = 0;
  /** When the last packet arrived (ms of the producer's clock); −∞ before the first. */
  lastPacketAtMs = Number.NEGATIVE_INFINITY;
  /** Bits per second over the last measurement window (`measure`). */
  bitrate = 0;
  #receiveStats: ReceiveStats | undefined;
  #keyframes: KeyframeThrottle | undefined;
  readonly #options: ProducerLayerOptions;
  #windowBytes = 0;
  #windowStartMs = Number.NaN;

  constructor(options: ProducerLayerOptions) {
    this.producer = options.producer;
    this.index = options.index;
    this.rid = options.rid;
    this.ssrc = options.ssrc;
    this.rtxSsrc = options.rtxSsrc;
    this.#options = options;
    this.history =
      options.video && options.retransmissionSlots > 0
        ? new RetransmissionBuffer({
            slots: options.retransmissionSlots,
            maxPacketSize: options.maxPacketSize,
            clock: options.clock,
          })
        : undefined;
    this.nack = options.nack ? new NackGenerator() : undefined;
  }

  /** Counts a packet that was not a retransmission (statistics, bitrate, activity). */
  onPacket(ssrc: number, seq: number, timestamp: number, length: number, nowMs: number): void {
    if (this.#receiveStats === undefined || this.#receiveStats.ssrc !== ssrc) {
      this.#receiveStats = new ReceiveStats({ ssrc, clockRate: this.#options.clockRate });
    }
    this.#receiveStats.update(seq, timestamp, nowMs, length);
    this.lastPacketAtMs = nowMs;
    this.#windowBytes += length;
  }

  /** Updates `bitrate` from the bytes since the last call (at most once per `minWindowMs`). */
  measure(nowMs: number, minWindowMs: number): void {
    if (Number.isNaN(this.#windowStartMs)) {
      this.#windowStartMs = nowMs;
      return;
    }
    const elapsed = nowMs - this.#windowStartMs;
    if (elapsed < minWindowMs) return;
    this.bitrate = (this.#windowBytes * 8000) / elapsed;
    this.#windowBytes = 0;
    this.#windowStartMs = nowMs;
  }

  /** Received something within `LAYER_INACTIVE_MS`. */
  active(nowMs: number): boolean {
    return nowMs - this.lastPacketAtMs < LAYER_INACTIVE_MS;
  }

  /** Asks the publisher for a keyframe on this layer's SSRC (throttled). */
  requestKeyframe(): void {
    const o = this.#options;
    if (!o.video || this.ssrc === undefined) return;
    this.#keyframes ??= new KeyframeThrottle({
      clock: o.clock,
      minIntervalMs: o.keyframeRequestIntervalMs,
      mode: o.keyframeMode,
      senderSsrc: o.rtcpSsrc,
      mediaSsrc: this.ssrc,
      send: o.sendKeyframeRequest,
    });
    this.#keyframes.request();
  }

  get lastSenderReport(): LastSenderReport | undefined {
    return this.#receiveStats?.lastSenderReport;
  }

  onSenderReport(sr: SenderReport, nowMs: number): void {
    this.#receiveStats?.onSenderReport(sr, nowMs);
  }

  reportBlock(nowMs: number): ReportBlock | undefined {
    return this.#receiveStats?.reportBlock(nowMs);
  }

  close(): void {
    this.#keyframes?.close();
  }
}
