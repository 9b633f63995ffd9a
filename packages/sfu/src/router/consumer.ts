/**
 * A Consumer: one outgoing copy of a Producer on a subscriber's WebRtcTransport.
 *
 * Each consumer has its own SSRC, sequence-number and timestamp space (RFC 7667 §3.7: an
 * SFU that switches or pauses sources must rewrite them so the receiver sees one
 * continuous stream); after a pause the timestamps continue by wall-clock time. A
 * subscriber's NACK (RFC 4585 §6.2.1) is answered from the producer's history (one copy
 * per producer, however many consumers) through a `NackResponder` (one resend per packet
 * per 100 ms, 64 per NACK), renumbered on the way out, as RTX (RFC 4588) when negotiated.
 *
 * Simulcast (RFC 8853): a consumer forwards one layer of its producer, by default the
 * best active one (`preferredRank` lowers it), and moves to another only at a keyframe
 * of that layer — it keeps forwarding the old layer meanwhile and asks the publisher for
 * the keyframe — re-anchoring sequence numbers and timestamps so the subscriber sees one
 * continuous stream.
 *
 * Hot path: `forward` copies the packet into one scratch buffer shared by all
 * consumers, rewrites SSRC, sequence number and timestamp in place and gives it to the
 * transport, which encrypts into a new buffer.
 */
import { TypedEmitter } from '@itda/common';
import { type LastSenderReport, NackResponder, writeRtx } from '../feedback/index.ts';
import { RtpPacketView, SequenceRewriter, seqNewer, TimestampRewriter } from '../rtp/index.ts';
import { readU32, writeU32 } from '../rtp/rtp-packet.ts';
import { MAX_PACKET, type Producer } from './producer.ts';
import type { ProducerLayer } from './producer-layer.ts';
import type { MediaKind } from './types.ts';

/** What a consumer needs of its transport. */
export interface ConsumerTransport {
  /** Encrypts and sends one RTP packet; the bytes may be reused once it returns. */
  sendRtp(packet: Uint8Array): void;
  readonly connected: boolean;
  /**
   * The next transport-wide sequence number, for a packet of `size` bytes sent now
   * (bwe/transport-bwe.ts); `probe`: it is padding of that probe cluster.
   */
  transportSequence(size: number, nowMs: number, probe?: number): number;
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
  /**
   * Simulcast: which layer to forward, counted from the best active one (0, the default)
   * down; a rank past the lowest gives the lowest.
   */
  preferredRank?: number;
}

/**
 * Why a consumer closed: `closed` (its own `close()`: the subscriber no longer gets the
 * track), `rejected` (the subscriber's answer refused its m-line), `producer_closed`,
 * `transport_closed` (the subscriber's transport ended, or the router closed).
 */
export type ConsumerCloseReason = 'closed' | 'rejected' | 'producer_closed' | 'transport_closed';

export type ConsumerEvents = {
  closed: [reason: ConsumerCloseReason];
  /** Simulcast: the layer forwarded changed (at a keyframe of the new one): its index into `producer.layers`. */
  layerChange: [layer: number];
};

/** One scratch buffer for every consumer: forwarding is synchronous and single-threaded. */
const scratch = Buffer.allocUnsafe(MAX_PACKET);
/** Where an RTX packet is built from a rewritten one (two more bytes than the original). */
const rtxScratch = Buffer.allocUnsafe(MAX_PACKET + 2);
/** Reads a resent packet's header extensions (resends are rare: one view for all). */
const resendView = new RtpPacketView();
/** Largest padding of one padding-only packet (RFC 3550 §5.1: the count is one octet). */
export const MAX_PADDING = 255;
/** Where padding-only packets are built: header, one extension word, padding. */
const padScratch = Buffer.alloc(12 + 8 + MAX_PADDING);

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
  /** NACK answering, made at the first NACK (most consumers on a good network never see one). */
  #responder: NackResponder | undefined;
  /** The layer whose history `#responder` answers from. */
  #responderLayer = 0;
  readonly #originals: number[] = [];
  /** Payload type written into forwarded packets, or −1 to keep the producer's. */
  readonly #payloadType: number;
  readonly #rtxPayloadType: number | undefined;
  #rtxSeq = (Math.random() * 0x10000) >>> 0;
  /** The time of the NACK being answered (for the resends' transport-wide numbers). */
  #resendAtMs = 0;
  #paused: boolean;
  #closed = false;
  /** The producer layer being forwarded (−1: none yet; a simulcast consumer waits for a keyframe). */
  #layer: number;
  #preferredRank: number;
  /** Simulcast: how far below the best layer the subscriber's bandwidth allows (allocation). */
  #bandwidthRank = 0;
  /** Video stopped for this subscriber because not even the lowest layer fits its bandwidth. */
  #starved = false;
  /** Simulcast layer switches done. */
  layerSwitches = 0;
  /** Packets and bytes sent (before encryption), retransmissions sent, NACKed packets not held (or older than 1 s). */
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
    this.#preferredRank = Math.max(0, Math.floor(options.preferredRank ?? 0));
    this.#layer = options.producer.simulcast ? -1 : 0;
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
  resume(): void {
    if (!this.#paused) return;
    this.#paused = false;
    this.#seq.switchSource();
    this.#ts.switchSource();
    this.#switchPending = true;
    if (this.producer.simulcast) this.#layer = -1; // start again at a keyframe of the target layer
    this.requestKeyframe();
  }

  /** The simulcast layer being forwarded (index into `producer.layers`), −1 before the first keyframe. */
  get layer(): number {
    return this.#layer;
  }

  /** Simulcast: forward the layer `rank` steps below the best active one (0 = the best). */
  set preferredRank(rank: number) {
    this.#preferredRank = Math.max(0, Math.floor(rank));
    this.checkLayer();
  }

  get preferredRank(): number {
    return this.#preferredRank;
  }

  /** The rank forwarded: the lower of what the subscriber asked for and what its bandwidth allows. */
  get rank(): number {
    return Math.max(this.#preferredRank, this.#bandwidthRank);
  }

  /** Simulcast: the rank the subscriber's bandwidth allows (router/subscriber-allocation.ts). */
  set bandwidthRank(rank: number) {
    const r = Math.max(0, Math.floor(rank));
    if (r === this.#bandwidthRank) return;
    this.#bandwidthRank = r;
    this.checkLayer();
  }

  get bandwidthRank(): number {
    return this.#bandwidthRank;
  }

  /**
   * Video the subscriber's bandwidth cannot carry at all: stopped (audio goes on) until
   * cleared, then it starts again at a keyframe, like a resume.
   */
  get starved(): boolean {
    return this.#starved;
  }

  set starved(starved: boolean) {
    if (starved === this.#starved) return;
    this.#starved = starved;
    if (starved || this.#paused) return;
    this.#seq.switchSource();
    this.#ts.switchSource();
    this.#switchPending = true;
    if (this.producer.simulcast) this.#layer = -1;
    this.requestKeyframe();
  }

  /** Asks the publisher for a keyframe of the layer this consumer forwards, or waits for. */
  requestKeyframe(): void {
    this.producer.requestKeyframe(this.producer.targetLayer(this.rank));
  }

  /** The layer to forward changed (producer re-ranked, or the preference did): ask for its keyframe. */
  checkLayer(): void {
    if (!this.producer.simulcast || this.#paused || this.#closed) return;
    const target = this.producer.targetLayer(this.rank);
    if (target !== this.#layer) this.producer.requestKeyframe(target);
  }

  /** The publisher's last sender report of the layer forwarded, for translated SRs. */
  get sourceSenderReport(): LastSenderReport | undefined {
    return this.producer.layers[Math.max(0, this.#layer)]?.lastSenderReport;
  }

  /** Forwards one packet of the producer that came on `layer` (default: its first). */
  forward(packet: Buffer, view: RtpPacketView, nowMs: number, layer?: ProducerLayer): void {
    if (this.#paused || this.#starved || this.#closed || !this.#transport.connected) return;
    const index = layer?.index ?? 0;
    if (index !== this.#layer) {
      // Simulcast: switch only to the target layer, and only at a keyframe of it.
      if (index !== this.producer.targetLayer(this.rank) || !this.producer.isKeyframe(view)) return;
      if (this.#layer >= 0) {
        this.#seq.switchSource();
        this.#ts.switchSource();
        this.#switchPending = true;
        this.layerSwitches++;
      }
      this.#layer = index;
      this.emit('layerChange', index);
    }
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
    const at = this.producer.twccOffset;
    if (at >= 0) {
      const tseq = this.#transport.transportSequence(length, nowMs);
      scratch[at] = tseq >>> 8;
      scratch[at + 1] = tseq & 0xff;
    }
    const out = scratch.subarray(0, length);
    this.packets++;
    this.bytes += length;
    this.lastRtpTimestamp = ts;
    this.lastSentAt = nowMs;
    this.#transport.sendRtp(out);
  }

  /**
   * Answers a NACK (RFC 4585 §6.2.1) for sequence numbers of this consumer's stream:
   * resends each packet the producer still holds (at most 1 s old), as RTX when an RTX
   * SSRC and payload type exist; numbers sent before the last resume came under another
   * offset and are not answered.
   */
  retransmit(sequences: readonly number[], nowMs: number): void {
    const history = this.producer.layers[Math.max(0, this.#layer)]?.history;
    if (this.#closed || !this.#transport.connected || history === undefined) return;
    if (this.#responder === undefined || this.#responderLayer !== this.#layer) {
      this.#responder = new NackResponder(history, { slots: 256 });
      this.#responderLayer = this.#layer;
    }
    const originals = this.#originals;
    originals.length = 0;
    for (const seq of sequences) {
      if (this.#switchedAt >= 0 && seqNewer(this.#switchedAt, seq & 0xffff)) this.nackMisses++;
      else originals.push(this.#seq.original(seq));
    }
    const r = this.#responder;
    this.#resendAtMs = nowMs;
    const missingBefore = r.missing;
    this.retransmitted += r.respond(originals, nowMs, this.#resend);
    this.nackMisses += r.missing - missingBefore;
  }

  /** Sends one held packet again in this consumer's numbering (`NackResponder`'s callback). */
  readonly #resend = (stored: Uint8Array, original: number): void => {
    const length = stored.length;
    scratch.set(stored, 0);
    writeU32(scratch, 8, this.ssrc);
    if (this.#payloadType >= 0) scratch[1] = (scratch[1]! & 0x80) | this.#payloadType;
    const seq = this.#seq.map(original);
    scratch[2] = seq >>> 8;
    scratch[3] = seq & 0xff;
    writeU32(scratch, 4, (readU32(scratch, 4) + this.#ts.offset) >>> 0);
    const packet = scratch.subarray(0, length);
    this.#stampResend(packet);
    const rtxPt = this.#rtxPayloadType;
    if (this.rtxSsrc === undefined || rtxPt === undefined) {
      this.#transport.sendRtp(packet);
      return;
    }
    const rtxSeq = this.#rtxSeq;
    this.#rtxSeq = (rtxSeq + 1) & 0xffff;
    this.#transport.sendRtp(rtxScratch.subarray(0, writeRtx(packet, this.rtxSsrc, rtxPt, rtxSeq, rtxScratch)));
  };

  /** Whether this consumer can carry probe padding: video with RTX and a transport-wide sequence number. */
  get canPad(): boolean {
    return (
      this.producer.twccId !== 0 &&
      this.producer.twccId <= 14 &&
      this.rtxSsrc !== undefined &&
      this.#rtxPayloadType !== undefined
    );
  }

  /**
   * Sends one padding-only RTX packet (RFC 4588 §4, RFC 3550 §5.1: P bit, the last octet
   * counts the padding) carrying a transport-wide sequence number of probe cluster
   * `probe`: what the send-side estimate probes the subscriber's downlink with (the
   * browser drops the packet after counting it in its transport-cc feedback). Returns the
   * bytes sent, 0 when this consumer cannot pad (`canPad`) or is not sending.
   */
  sendPadding(padding: number, nowMs: number, probe: number): number {
    const rtxSsrc = this.rtxSsrc;
    const rtxPt = this.#rtxPayloadType;
    if (!this.canPad || rtxSsrc === undefined || rtxPt === undefined) return 0;
    if (this.#paused || this.#closed || !this.#transport.connected || this.packets === 0) return 0;
    const pad = Math.max(1, Math.min(MAX_PADDING, Math.floor(padding)));
    const size = 20 + pad;
    const b = padScratch;
    b[0] = 0xb0; // V=2, P=1, X=1
    b[1] = rtxPt & 0x7f;
    const rtxSeq = this.#rtxSeq;
    this.#rtxSeq = (rtxSeq + 1) & 0xffff;
    b[2] = rtxSeq >>> 8;
    b[3] = rtxSeq & 0xff;
    writeU32(b, 4, this.lastRtpTimestamp);
    writeU32(b, 8, rtxSsrc);
    // One-byte header extensions (RFC 8285 §4.2): one word, the 2-byte transport-wide number.
    b[12] = 0xbe;
    b[13] = 0xde;
    b[14] = 0;
    b[15] = 1;
    const tseq = this.#transport.transportSequence(size, nowMs, probe);
    b[16] = (this.producer.twccId << 4) | 1;
    b[17] = tseq >>> 8;
    b[18] = tseq & 0xff;
    b[19] = 0;
    b.fill(0, 20, 20 + pad - 1);
    b[20 + pad - 1] = pad;
    this.#transport.sendRtp(b.subarray(0, size));
    return size;
  }

  /** A resent packet gets a transport-wide number of its own (the estimator counts what is sent, resends too). */
  #stampResend(packet: Buffer): void {
    if (this.producer.twccId === 0) return;
    try {
      resendView.parse(packet);
    } catch {
      return; // it was parsed when it came in; nothing to stamp if not
    }
    if (!resendView.findExtension(this.producer.twccId) || resendView.foundLength !== 2) return;
    const size = this.rtxSsrc === undefined ? packet.length : packet.length + 2;
    const tseq = this.#transport.transportSequence(size, this.#resendAtMs);
    packet[resendView.foundOffset] = tseq >>> 8;
    packet[resendView.foundOffset + 1] = tseq & 0xff;
  }

  /** Closes the consumer and detaches it from its producer. Idempotent (the first reason stands). */
  close(reason: ConsumerCloseReason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    this.producer.consumers.delete(this);
    this.emit('closed', reason);
    this.removeAllListeners();
  }
}
