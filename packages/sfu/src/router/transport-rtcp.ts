/**
 * The RTCP side of one WebRtcTransport: what it does with the RTCP it receives — a
 * publisher's SR (RFC 3550 §6.4.1, for LSR/DLSR and lip sync), a subscriber's NACK
 * (RFC 4585 §6.2.1), PLI (§6.3.1) and FIR (RFC 5104 §4.3.1) — and the RTCP it sends on
 * the transport's tick: transport-cc feedback every 100 ms for what its publisher sent
 * (draft-holmer-rmcat-transport-wide-cc-extensions-01), sender reports for its consumers
 * and a receiver report for its producers every second.
 *
 * A subscriber's transport-cc feedback goes to the transport's send-side estimate
 * (bwe/transport-bwe.ts), once the transport has sent a packet with a transport-wide
 * sequence number; before that, and on a publisher's transport, it is skipped like
 * everything else that arrives — receiver reports, SDES, BYE, REMB — after its header, so
 * its cost is the walk over the bytes, whatever it claims (issue 10).
 */
import { TransportBwe } from '../bwe/index.ts';
import { buildConsumerSenderReport, TwccRecorder } from '../feedback/index.ts';
import { parseRtcpKinds, type ReportBlock, type RtcpKind, type RtcpPacket, type RtpPacketView } from '../rtp/index.ts';
import { SrtpError, type SrtpSession } from '../srtp/index.ts';
import { type Consumer, MAX_PADDING } from './consumer.ts';
import type { Producer } from './producer.ts';
import type { RtpListener } from './rtp-listener.ts';
import type { SfuStats } from './stats.ts';
import { ExtensionUri } from './types.ts';

const SR_INTERVAL_MS = 1000;
const TWCC_INTERVAL_MS = 100;
const USED_RTCP: ReadonlySet<RtcpKind> = new Set<RtcpKind>(['sr', 'nack', 'pli', 'fir']);
const USED_RTCP_BWE: ReadonlySet<RtcpKind> = new Set<RtcpKind>([...USED_RTCP, 'twcc']);
/**
 * Transport-cc feedback taken from one subscriber: a browser sends 10–20 a second; each
 * costs up to 2,048 steps (bwe/feedback-adapter.ts), so more are dropped (`twcc_excess`).
 */
const TWCC_PER_SECOND = 50;
const TWCC_BURST = 10;

export interface TransportRtcpOptions {
  /** SSRC the transport sends its own RTCP with. */
  rtcpSsrc: number;
  listener: RtpListener;
  producers: ReadonlyMap<string, Producer>;
  consumers: ReadonlyMap<string, Consumer>;
  stats: SfuStats;
  /** Sends RTCP packets as one compound datagram. */
  send: (packets: readonly RtcpPacket[]) => void;
  /** Now, ms (to spread many transports' reports over the interval). */
  nowMs: number;
}

export class TransportRtcp {
  readonly #o: TransportRtcpOptions;
  readonly #consumersBySsrc = new Map<number, Consumer>();
  /** The used packets of the RTCP datagram being handled (reused). */
  readonly #in: RtcpPacket[] = [];
  #twccExtId = 0;
  /** transport-cc receive history (64 KiB), made when a producer negotiates the extension. */
  #twcc: TwccRecorder | undefined;
  #lastSrAt: number;
  #lastTwccAt = 0;
  /** The send-side estimate, made at the first packet this transport numbers. */
  bwe: TransportBwe | undefined;
  #twccTokens = TWCC_BURST;
  #twccRefillAt = 0;

  constructor(options: TransportRtcpOptions) {
    this.#o = options;
    // Spread the periodic reports of many transports over the interval instead of one burst.
    this.#lastSrAt = options.nowMs - Math.random() * SR_INTERVAL_MS;
  }

  /** A producer was added: transport-cc is recorded once one negotiates it. */
  addProducer(producer: Producer): void {
    const ext = producer.extensions.find((e) => e.uri === ExtensionUri.TransportCc);
    if (ext === undefined) return;
    this.#twccExtId = ext.id;
    this.#twcc ??= new TwccRecorder();
  }

  /** The send-side estimate, made on first use. */
  bandwidth(): TransportBwe {
    this.bwe ??= new TransportBwe();
    return this.bwe;
  }

  addConsumer(consumer: Consumer): void {
    this.#consumersBySsrc.set(consumer.ssrc, consumer);
    if (consumer.rtxSsrc !== undefined) this.#consumersBySsrc.set(consumer.rtxSsrc, consumer);
  }

  removeConsumer(consumer: Consumer): void {
    this.#consumersBySsrc.delete(consumer.ssrc);
    if (consumer.rtxSsrc !== undefined) this.#consumersBySsrc.delete(consumer.rtxSsrc);
  }

  /** Records an incoming RTP packet's transport-wide sequence number, when negotiated. */
  recordRtp(view: RtpPacketView, nowMs: number): void {
    if (this.#twccExtId === 0) return;
    const transportSeq = view.extensionUint(this.#twccExtId);
    if (transportSeq >= 0) this.#twcc?.record(transportSeq & 0xffff, Math.round(nowMs * 1000));
  }

  /**
   * An SRTCP datagram, decrypted with `rx`. One that fails SRTCP or does not parse is
   * counted as a drop (its SRTP code, or `rtcp_malformed`); the packets parsed before a
   * malformed one are acted on.
   */
  receive(rx: SrtpSession, datagram: Uint8Array, nowMs: number): void {
    const packets = this.#in;
    packets.length = 0;
    try {
      parseRtcpKinds(rx.unprotectRtcp(datagram), this.bwe === undefined ? USED_RTCP : USED_RTCP_BWE, packets);
    } catch (err) {
      this.#o.stats.drop(err instanceof SrtpError ? err.code : 'rtcp_malformed');
    }
    for (const p of packets) {
      switch (p.type) {
        case 'sr':
          this.#o.listener.layerBySsrc(p.ssrc)?.onSenderReport(p, nowMs);
          break;
        case 'nack': {
          const consumer = this.#consumersBySsrc.get(p.mediaSsrc);
          if (consumer !== undefined) {
            const before = consumer.retransmitted;
            consumer.retransmit(p.sequences, nowMs);
            this.#o.stats.retransmitted += consumer.retransmitted - before;
          }
          break;
        }
        case 'pli':
          this.#consumersBySsrc.get(p.mediaSsrc)?.requestKeyframe();
          break;
        case 'fir':
          for (const e of p.entries) this.#consumersBySsrc.get(e.ssrc)?.requestKeyframe();
          break;
        case 'twcc':
          if (this.bwe === undefined) break;
          if (!this.#takeTwcc(nowMs)) {
            this.#o.stats.drop('twcc_excess');
            break;
          }
          this.#o.stats.transportCcReceived++;
          this.bwe.onFeedback(p, nowMs);
          break;
        default:
          break;
      }
    }
  }

  /** Probe padding through the first consumer that can carry it (video with RTX and transport-cc). */
  readonly #pad = (bytes: number, cluster: number, nowMs: number): number => {
    for (const c of this.#o.consumers.values()) {
      if (!c.canPad) continue;
      const sent = c.sendPadding(Math.min(bytes, MAX_PADDING), nowMs, cluster);
      if (sent > 0) this.#o.stats.probePadding++;
      return sent;
    }
    return 0;
  };

  #takeTwcc(nowMs: number): boolean {
    this.#twccTokens = Math.min(TWCC_BURST, this.#twccTokens + ((nowMs - this.#twccRefillAt) * TWCC_PER_SECOND) / 1000);
    this.#twccRefillAt = nowMs;
    if (this.#twccTokens < 1) return false;
    this.#twccTokens -= 1;
    return true;
  }

  /** Transport-cc feedback and the periodic reports, once the transport is connected; probe padding. */
  tick(nowMs: number): void {
    const o = this.#o;
    this.bwe?.probeTick(nowMs, this.#pad);
    if (this.#twcc !== undefined && nowMs - this.#lastTwccAt >= TWCC_INTERVAL_MS) {
      this.#lastTwccAt = nowMs;
      const feedback = this.#twcc.buildFeedback(o.rtcpSsrc, o.listener.anySsrc, nowMs);
      if (feedback.length > 0) {
        o.stats.transportCcFeedback += feedback.length;
        o.send(feedback);
      }
    }
    if (nowMs - this.#lastSrAt >= SR_INTERVAL_MS) {
      this.#lastSrAt = nowMs;
      if (o.consumers.size > 0) this.#sendSenderReports(nowMs);
      if (o.producers.size > 0) this.#sendReceiverReport(nowMs);
    }
  }

  /**
   * RFC 3550 §6.4.1 sender reports for every consumer, translated from the producer's
   * last SR so the subscriber can synchronise audio and video of one participant.
   */
  #sendSenderReports(nowMs: number): void {
    const packets: RtcpPacket[] = [];
    for (const c of this.#o.consumers.values()) {
      if (c.packets === 0) continue;
      const sr = buildConsumerSenderReport({
        ssrc: c.ssrc,
        producerSr: c.sourceSenderReport,
        clockRate: c.producer.codec.clockRate,
        timestampOffset: c.timestampOffset,
        packetCount: c.packets,
        octetCount: c.bytes,
        nowMs,
      });
      if (sr === undefined) continue;
      packets.push(sr);
      if (packets.length >= 16) this.#o.send(packets.splice(0));
    }
    this.#o.send(packets);
  }

  /** RFC 3550 §6.4.2 receiver report to the publisher: loss, jitter and LSR/DLSR (its RTT) per stream. */
  #sendReceiverReport(nowMs: number): void {
    const reports: ReportBlock[] = [];
    for (const producer of this.#o.producers.values()) producer.reportBlocks(nowMs, reports);
    reports.length = Math.min(reports.length, 31); // the 5-bit report count
    if (reports.length > 0) {
      this.#o.stats.receiverReports++;
      this.#o.send([{ type: 'rr', ssrc: this.#o.rtcpSsrc, reports }]);
    }
  }
}
