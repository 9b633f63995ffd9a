/**
 * A WebRtcTransport: one browser peer connection as the server sees it — an ICE-lite
 * agent (RFC 8445 §2.5), a DTLS-SRTP session (RFC 5764) and the two SRTP contexts it
 * keys, the producers it receives and the consumers it sends. Closing it closes them.
 *
 * It does no I/O: the node layer demultiplexes datagrams to it (`receiveStun`,
 * `receiveDtls`, `receiveSrtp`) and it sends through a `DatagramSink` to the
 * ICE-selected tuple. Periodic work (consent, RTCP reports, keyframe throttling,
 * transport-cc feedback) happens in `tick`, called by one timer for all transports.
 */
import { type Clock, type Logger, silentLogger, TypedEmitter } from '@itda/common';
import type { DecodedStunMessage } from '@itda/stun';
import type { DtlsCertificate, DtlsFingerprint, SrtpKeyingMaterial } from '../dtls/index.ts';
import { DtlsSession } from '../dtls/index.ts';
import { buildConsumerSenderReport, TwccRecorder } from '../feedback/index.ts';
import { type IceCredentials, IceLiteAgent } from '../ice/index.ts';
import {
  encodeRtcp,
  isRtcp,
  parseRtcpKinds,
  type ReportBlock,
  type RtcpKind,
  type RtcpPacket,
  RtpPacketView,
} from '../rtp/index.ts';
import { SrtpError, SrtpSession } from '../srtp/index.ts';
import { Consumer, type ConsumerOptions, type ConsumerTransport } from './consumer.ts';
import { SfuError, SfuErrorCode } from './errors.ts';
import { Producer, type ProducerOptions } from './producer.ts';
import { RtpListener } from './rtp-listener.ts';
import type { SfuStats } from './stats.ts';
import { type DatagramSink, ExtensionUri, type RtpEgress, type RtpEgressProvider, type Tuple } from './types.ts';

export interface WebRtcTransportOptions {
  id: string;
  ice: IceCredentials;
  certificate: DtlsCertificate;
  sink: DatagramSink;
  clock: Clock;
  stats: SfuStats;
  logger?: Logger;
  /** Consent freshness timeout (RFC 7675 §5.1), ms. Default 30,000. */
  consentTimeoutMs?: number;
  /** DTLS handshake timeout, ms. Default 10,000. */
  dtlsTimeoutMs?: number;
  /** Most producers on this transport. Default 16. */
  maxProducers?: number;
  /** Most consumers on this transport. Default 512. */
  maxConsumers?: number;
  /**
   * Media workers: when set, outgoing RTP on a UDP tuple is encrypted and sent by a worker
   * (opened at the first RTP packet, so a publisher's transport never uses one). RTCP,
   * STUN and DTLS stay on this thread. Default: none, everything sent here.
   */
  egress?: RtpEgressProvider;
}

export type WebRtcTransportEvents = {
  /** ICE selected a tuple and DTLS is done: media can flow. */
  connected: [];
  /** Consent expired, DTLS failed, or `close()`. `reason` is a stable code. */
  closed: [reason: string];
  /** The ICE-selected tuple changed (first selection, UDP→TCP, NAT rebinding). */
  tuple: [tuple: Tuple];
  /** New local ICE credentials (ICE restart): the demultiplexer must know the new ufrag. */
  iceRestart: [ice: IceCredentials];
  /** A producer was created on this transport (the Router hands it to its observers). */
  producer: [producer: Producer];
};

/** Records kept while the remote fingerprint is not known yet (the DTLS client may be quicker than signaling). */
const MAX_EARLY_DTLS = 8;
const SR_INTERVAL_MS = 1000;
const TWCC_INTERVAL_MS = 100;
/**
 * The incoming RTCP the SFU acts on: a publisher's SR (RFC 3550 §6.4.1; LSR/DLSR of our
 * receiver reports) and a subscriber's NACK (RFC 4585 §6.2.1), PLI (§6.3.1) and FIR
 * (RFC 5104 §4.3.1). Everything else — receiver reports, SDES, BYE, REMB, a publisher's
 * transport-cc (the SFU runs no send-side estimator) — is skipped after its header, so its
 * cost is the walk over the bytes, whatever it claims (issue 10: forty 8,192-status
 * transport-cc packets in one datagram).
 */
const USED_RTCP: ReadonlySet<RtcpKind> = new Set<RtcpKind>(['sr', 'nack', 'pli', 'fir']);

export class WebRtcTransport extends TypedEmitter<WebRtcTransportEvents> implements ConsumerTransport {
  readonly id: string;
  readonly producers = new Map<string, Producer>();
  readonly consumers = new Map<string, Consumer>();
  /** SSRC this transport uses as the sender of its own RTCP. */
  readonly rtcpSsrc = (Math.random() * 0xffffffff) >>> 0 || 1;
  readonly #agent: IceLiteAgent;
  readonly #options: WebRtcTransportOptions;
  readonly #log: Logger;
  readonly #stats: SfuStats;
  readonly #view = new RtpPacketView();
  /** The used packets of the RTCP datagram being handled (reused). */
  readonly #rtcpIn: RtcpPacket[] = [];
  /** Which producer layer each incoming packet belongs to (rtp-listener.ts). */
  readonly #listener = new RtpListener();
  readonly #consumersBySsrc = new Map<number, Consumer>();
  #ice: IceCredentials;
  #tuple: Tuple | undefined;
  #dtls: DtlsSession | undefined;
  #early: Uint8Array[] = [];
  #rx: SrtpSession | undefined;
  #tx: SrtpSession | undefined;
  /** Outbound keys, kept for opening an egress. */
  #txKeys: SrtpKeyingMaterial | undefined;
  #egress: RtpEgress | undefined;
  /** An egress was opened once: never reopen (this thread's context has taken the streams over). */
  #egressTried = false;
  #closed = false;
  #connected = false;
  #twccExtId = 0;
  /** transport-cc receive history (64 KiB), made when a producer negotiates the extension. */
  #twcc: TwccRecorder | undefined;
  #lastSrAt = 0;
  #lastTwccAt = 0;

  constructor(options: WebRtcTransportOptions) {
    super();
    this.id = options.id;
    this.#options = options;
    this.#ice = options.ice;
    this.#log = options.logger ?? silentLogger;
    this.#stats = options.stats;
    // Spread the periodic reports of many transports over the interval instead of one burst.
    this.#lastSrAt = options.clock.now() - Math.random() * SR_INTERVAL_MS;
    this.#agent = new IceLiteAgent({
      local: options.ice,
      clock: options.clock,
      consentTimeoutMs: options.consentTimeoutMs ?? 30_000,
    });
    this.#agent.on('selected', (tuple) => {
      this.#tuple = tuple;
      this.#retargetEgress(tuple);
      this.emit('tuple', tuple);
      this.#maybeConnected();
    });
    this.#agent.on('disconnected', () => this.close('ice_consent_expired'));
  }

  /** Local ICE credentials (they change on `restartIce`). */
  get iceParameters(): IceCredentials {
    return this.#ice;
  }

  get fingerprint(): DtlsFingerprint {
    return this.#options.certificate.fingerprint;
  }

  get connected(): boolean {
    return this.#connected;
  }

  get closed(): boolean {
    return this.#closed;
  }

  get tuple(): Tuple | undefined {
    return this.#tuple;
  }

  /**
   * The remote side's parameters from its SDP: ICE ufrag (checks must name it) and
   * certificate fingerprints (the DTLS peer must present a matching certificate,
   * RFC 8122 §5). Call once per negotiation; DTLS starts on the first call.
   */
  setRemoteParameters(params: { iceUfrag: string; fingerprints: DtlsFingerprint[] }): void {
    if (this.#closed) throw new SfuError(SfuErrorCode.Closed, `transport ${this.id} is closed`);
    this.#agent.setRemoteUfrag(params.iceUfrag);
    if (this.#dtls !== undefined) return;
    const dtls = new DtlsSession({
      role: 'server',
      certificate: this.#options.certificate,
      remoteFingerprints: params.fingerprints,
      send: (datagram: Uint8Array) => this.#sendRaw(datagram),
      handshakeTimeoutMs: this.#options.dtlsTimeoutMs ?? 10_000,
      logger: this.#log,
    });
    this.#dtls = dtls;
    dtls.on('connected', (keys: SrtpKeyingMaterial) => this.#onDtlsConnected(keys));
    dtls.on('failed', (err: { code: string }) => {
      this.#stats.drop(err.code);
      this.#log.warn('dtls failed', { transport: this.id, code: err.code });
      this.close(err.code);
    });
    dtls.on('closed', (reason: string) => {
      // The peer's close_notify ends the association (RFC 5764 §4.1.1 ties SRTP keys to it).
      if (reason === 'close_notify') this.close('dtls_close_notify');
    });
    dtls.on('dropped', (code: string) => this.#stats.drop(code));
    const early = this.#early;
    this.#early = [];
    for (const record of early) dtls.handle(record);
  }

  /** New local ICE credentials (ICE restart, RFC 8445 §9); the current tuple stays until checks with them arrive. */
  restartIce(ice: IceCredentials): void {
    this.#ice = ice;
    this.#agent.restart(ice);
    this.emit('iceRestart', ice);
  }

  // ---- input from the node layer ----

  /** A STUN message for this transport's ufrag from `tuple`; returns the answer to send, if any. */
  receiveStun(msg: DecodedStunMessage, tuple: Tuple): Uint8Array | null {
    if (this.#closed) return null;
    this.#stats.rxStun++;
    return this.#agent.handleBindingRequest(msg, tuple);
  }

  receiveDtls(datagram: Uint8Array): void {
    if (this.#closed) return;
    this.#stats.rxDtls++;
    if (this.#dtls === undefined) {
      if (this.#early.length < MAX_EARLY_DTLS) this.#early.push(Uint8Array.prototype.slice.call(datagram));
      else this.#stats.drop('dtls_early_overflow');
      return;
    }
    this.#dtls.handle(datagram);
  }

  /** An SRTP or SRTCP datagram (RFC 5761 demultiplexing by payload type range). */
  receiveSrtp(datagram: Uint8Array, nowMs: number): void {
    const rx = this.#rx;
    if (rx === undefined || this.#closed) {
      this.#stats.drop('srtp_before_dtls');
      return;
    }
    if (isRtcp(datagram)) {
      this.#stats.rxRtcp++;
      this.#receiveRtcp(rx, datagram, nowMs);
      return;
    }
    this.#stats.rxRtp++;
    let packet: Buffer;
    try {
      packet = rx.unprotectRtp(datagram);
    } catch (err) {
      this.#stats.drop(err instanceof SrtpError ? err.code : 'srtp_error');
      return;
    }
    const view = this.#view;
    try {
      view.parse(packet);
    } catch {
      this.#stats.drop('rtp_malformed');
      return;
    }
    if (this.#twccExtId !== 0) {
      const transportSeq = view.extensionUint(this.#twccExtId);
      if (transportSeq >= 0) this.#twcc?.record(transportSeq & 0xffff, Math.round(nowMs * 1000));
    }
    const layer = this.#listener.route(view);
    if (layer === undefined) {
      this.#stats.drop('unknown_ssrc');
      return;
    }
    if (!this.#listener.rtx) {
      layer.producer.receive(packet, view, nowMs, false, layer);
      return;
    }
    const restored = this.#listener.restoreRtx(layer, packet, view);
    if (restored === 'probe') this.#stats.rtxProbes++;
    else if (restored === 'malformed') this.#stats.drop('rtx_malformed');
    else layer.producer.receive(restored, view, nowMs, true, layer);
  }

  #receiveRtcp(rx: SrtpSession, datagram: Uint8Array, nowMs: number): void {
    const packets = this.#rtcpIn;
    packets.length = 0;
    try {
      parseRtcpKinds(rx.unprotectRtcp(datagram), USED_RTCP, packets);
    } catch (err) {
      this.#stats.drop(err instanceof SrtpError ? err.code : 'rtcp_malformed');
      // The packets before the malformed one were well-formed: act on them.
    }
    for (const p of packets) {
      switch (p.type) {
        case 'sr': {
          this.#listener.layerBySsrc(p.ssrc)?.onSenderReport(p, nowMs);
          break;
        }
        case 'nack': {
          const consumer = this.#consumersBySsrc.get(p.mediaSsrc);
          if (consumer !== undefined) {
            const before = consumer.retransmitted;
            consumer.retransmit(p.sequences, nowMs);
            this.#stats.retransmitted += consumer.retransmitted - before;
          }
          break;
        }
        case 'pli':
          this.#consumersBySsrc.get(p.mediaSsrc)?.requestKeyframe();
          break;
        case 'fir':
          for (const e of p.entries) this.#consumersBySsrc.get(e.ssrc)?.requestKeyframe();
          break;
        default:
          break;
      }
    }
  }

  #onDtlsConnected(keys: SrtpKeyingMaterial): void {
    try {
      this.#tx = SrtpSession.create({ profile: keys.profile, masterKey: keys.localKey, masterSalt: keys.localSalt });
      this.#rx = SrtpSession.create({ profile: keys.profile, masterKey: keys.remoteKey, masterSalt: keys.remoteSalt });
      this.#txKeys = keys;
    } catch (err) {
      this.#log.error('srtp setup failed', { transport: this.id, err });
      this.close('srtp_setup_failed');
      return;
    }
    this.#maybeConnected();
  }

  #maybeConnected(): void {
    if (this.#connected || this.#tx === undefined || this.#tuple === undefined) return;
    this.#connected = true;
    this.#log.info('transport connected', { transport: this.id, tuple: this.#tuple.key });
    this.emit('connected');
  }

  // ---- output ----

  /** DTLS output. Not stopped by `close()`: the session's last records (close_notify, a fatal alert) still go out. */
  #sendRaw(datagram: Uint8Array): void {
    const tuple = this.#tuple;
    if (tuple === undefined) return;
    this.#options.sink.send(datagram, tuple);
  }

  /** Encrypts and sends one RTP packet to the selected tuple (through the egress, when there is one). */
  sendRtp(packet: Uint8Array): void {
    const tx = this.#tx;
    const tuple = this.#tuple;
    if (tx === undefined || tuple === undefined) return;
    let egress = this.#egress ?? (this.#egressTried ? undefined : this.#openEgress(tuple));
    let out: Buffer | undefined;
    try {
      if (egress !== undefined) {
        // This thread follows the rollover counters (and checks the header) of what the worker
        // encrypts, so it can take the stream over if the worker goes.
        tx.trackOutboundRtp(packet);
        if (!egress.sendRtp(packet)) {
          this.#egress = egress = undefined;
          this.#log.warn('media worker gone; sending on the main thread', { transport: this.id });
        }
      }
      if (egress === undefined) out = tx.protectRtp(packet);
    } catch (err) {
      this.#stats.drop(err instanceof SrtpError ? err.code : 'srtp_error');
      return;
    }
    this.#stats.forwarded++;
    this.#stats.forwardedBytes += packet.length;
    if (out !== undefined) this.#options.sink.send(out, tuple);
  }

  /** Opens the egress at the first RTP packet on a UDP tuple (once per transport). */
  #openEgress(tuple: Tuple): RtpEgress | undefined {
    const provider = this.#options.egress;
    const keys = this.#txKeys;
    if (provider === undefined || keys === undefined || tuple.protocol !== 'udp') return undefined;
    this.#egressTried = true;
    this.#egress = provider.open({
      tuple,
      profile: keys.profile,
      key: keys.localKey,
      salt: keys.localSalt,
    });
    return this.#egress;
  }

  /**
   * A new selected tuple: the egress follows a UDP one. On ICE-TCP the worker cannot send,
   * so RTP goes back to this thread, whose SRTP context has followed every stream's
   * rollover counter (`trackOutboundRtp`).
   */
  #retargetEgress(tuple: Tuple): void {
    const egress = this.#egress;
    if (egress === undefined) return;
    if (tuple.protocol === 'udp') {
      egress.setTuple(tuple);
      return;
    }
    egress.close();
    this.#egress = undefined;
  }

  /** Encrypts and sends RTCP packets as one compound datagram. */
  sendRtcp(packets: readonly RtcpPacket[]): void {
    const tx = this.#tx;
    const tuple = this.#tuple;
    if (tx === undefined || tuple === undefined || packets.length === 0) return;
    try {
      this.#options.sink.send(tx.protectRtcp(encodeRtcp(packets)), tuple);
    } catch (err) {
      this.#stats.drop(err instanceof SrtpError ? err.code : 'rtcp_encode_failed');
    }
  }

  // ---- producers and consumers ----

  produce(options: Omit<ProducerOptions, 'clock' | 'rtcpSsrc'>): Producer {
    if (this.#closed) throw new SfuError(SfuErrorCode.Closed, `transport ${this.id} is closed`);
    if (this.producers.size >= (this.#options.maxProducers ?? 16)) {
      throw new SfuError(SfuErrorCode.LimitReached, `transport ${this.id} has too many producers`);
    }
    this.#listener.check(options.mid, options.ssrc);
    const producer = new Producer({ ...options, clock: this.#options.clock, rtcpSsrc: this.rtcpSsrc });
    this.producers.set(producer.id, producer);
    this.#listener.add(producer);
    for (const ext of producer.extensions) {
      if (ext.uri === ExtensionUri.TransportCc) {
        this.#twccExtId = ext.id;
        this.#twcc ??= new TwccRecorder();
      }
    }
    producer.on('keyframeRequest', (request) => {
      this.#stats.keyframeRequests++;
      this.sendRtcp([request]);
    });
    producer.on('nack', (_p, sequences, layer) => {
      if (layer.ssrc === undefined) return;
      this.#stats.nacksSent++;
      this.sendRtcp([{ type: 'nack', senderSsrc: this.rtcpSsrc, mediaSsrc: layer.ssrc, sequences: [...sequences] }]);
    });
    producer.on('closed', () => {
      this.producers.delete(producer.id);
      this.#listener.remove(producer);
    });
    this.emit('producer', producer);
    return producer;
  }

  consume(options: Omit<ConsumerOptions, 'transport'>): Consumer {
    if (this.#closed) throw new SfuError(SfuErrorCode.Closed, `transport ${this.id} is closed`);
    if (this.consumers.size >= (this.#options.maxConsumers ?? 512)) {
      throw new SfuError(SfuErrorCode.LimitReached, `transport ${this.id} has too many consumers`);
    }
    if (options.producer.closed) throw new SfuError(SfuErrorCode.Closed, `producer ${options.producer.id} is closed`);
    const consumer = new Consumer({ ...options, transport: this });
    this.consumers.set(consumer.id, consumer);
    this.#consumersBySsrc.set(consumer.ssrc, consumer);
    if (consumer.rtxSsrc !== undefined) this.#consumersBySsrc.set(consumer.rtxSsrc, consumer);
    consumer.on('closed', () => {
      this.consumers.delete(consumer.id);
      this.#consumersBySsrc.delete(consumer.ssrc);
      if (consumer.rtxSsrc !== undefined) this.#consumersBySsrc.delete(consumer.rtxSsrc);
    });
    return consumer;
  }

  // ---- periodic work ----

  /** Consent freshness, keyframe throttles, transport-cc feedback and sender reports. */
  tick(nowMs: number): void {
    if (this.#closed) return;
    this.#agent.tick(nowMs);
    if (this.#closed) return;
    for (const producer of this.producers.values()) producer.tick(nowMs);
    if (!this.#connected) return;
    if (this.#twcc !== undefined && nowMs - this.#lastTwccAt >= TWCC_INTERVAL_MS) {
      this.#lastTwccAt = nowMs;
      const mediaSsrc = this.#listener.anySsrc;
      const feedback = this.#twcc.buildFeedback(this.rtcpSsrc, mediaSsrc, nowMs);
      if (feedback.length > 0) {
        this.#stats.transportCcFeedback += feedback.length;
        this.sendRtcp(feedback);
      }
    }
    if (nowMs - this.#lastSrAt >= SR_INTERVAL_MS) {
      this.#lastSrAt = nowMs;
      if (this.consumers.size > 0) this.#sendSenderReports(nowMs);
      if (this.producers.size > 0) this.#sendReceiverReport(nowMs);
    }
  }

  /**
   * RFC 3550 §6.4.1 sender reports for every consumer, translated from the producer's
   * last SR so the subscriber can synchronise audio and video of one participant.
   */
  #sendSenderReports(nowMs: number): void {
    const packets: RtcpPacket[] = [];
    for (const c of this.consumers.values()) {
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
      if (packets.length >= 16) {
        this.sendRtcp(packets.splice(0));
      }
    }
    this.sendRtcp(packets);
  }

  /** RFC 3550 §6.4.2 receiver report to the publisher: loss, jitter and LSR/DLSR (its RTT) per stream. */
  #sendReceiverReport(nowMs: number): void {
    const reports: ReportBlock[] = [];
    for (const producer of this.producers.values()) producer.reportBlocks(nowMs, reports);
    reports.length = Math.min(reports.length, 31); // the 5-bit report count
    if (reports.length > 0) {
      this.#stats.receiverReports++;
      this.sendRtcp([{ type: 'rr', ssrc: this.rtcpSsrc, reports }]);
    }
  }

  /** Closes everything this transport owns. Idempotent. `reason` is a stable code. */
  close(reason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of [...this.producers.values()]) p.close('transport_closed');
    for (const c of [...this.consumers.values()]) c.close('transport_closed');
    this.#dtls?.close();
    this.#egress?.close();
    this.#egress = undefined;
    this.#agent.removeAllListeners();
    this.#early = [];
    this.#log.info('transport closed', { transport: this.id, reason });
    this.emit('closed', reason);
    this.removeAllListeners();
  }
}
