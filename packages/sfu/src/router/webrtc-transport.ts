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
import type { TransportBwe } from '../bwe/index.ts';
import type { DtlsCertificate, DtlsFingerprint, SrtpKeyingMaterial } from '../dtls/index.ts';
import { DtlsSession } from '../dtls/index.ts';
import { type IceCredentials, IceLiteAgent } from '../ice/index.ts';
import { isRtcp, type RtcpPacket, RtpPacketView } from '../rtp/index.ts';
import { SrtpError, SrtpSession } from '../srtp/index.ts';
import { Consumer, type ConsumerOptions, type ConsumerTransport } from './consumer.ts';
import { SfuError, SfuErrorCode } from './errors.ts';
import { Producer, type ProducerOptions } from './producer.ts';
import { RtpListener } from './rtp-listener.ts';
import type { SfuStats } from './stats.ts';
import { SubscriberAllocation } from './subscriber-allocation.ts';
import { TransportRtcp } from './transport-rtcp.ts';
import { TransportSender } from './transport-sender.ts';
import type { DatagramSink, RtpEgressProvider, Tuple } from './types.ts';

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
  /**
   * Adaptive layers (issue 14): spend the subscriber's bandwidth estimate on its consumers
   * (subscriber-allocation.ts). Default false: layers follow only the best sent and the
   * quality asked for.
   */
  adaptive?: boolean;
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
  /** Which producer layer each incoming packet belongs to (rtp-listener.ts). */
  readonly #listener = new RtpListener();
  /** Everything sent: DTLS, SRTP, SRTCP, media workers (transport-sender.ts). */
  readonly #sender: TransportSender;
  /** RTCP in and out (transport-rtcp.ts). */
  readonly #rtcp: TransportRtcp;
  #ice: IceCredentials;
  #dtls: DtlsSession | undefined;
  #early: Uint8Array[] = [];
  #rx: SrtpSession | undefined;
  #closed = false;
  #connected = false;
  #allocation: SubscriberAllocation | undefined;

  constructor(options: WebRtcTransportOptions) {
    super();
    this.id = options.id;
    this.#options = options;
    this.#ice = options.ice;
    this.#log = options.logger ?? silentLogger;
    this.#stats = options.stats;
    this.#sender = new TransportSender({
      id: this.id,
      sink: options.sink,
      stats: this.#stats,
      egress: options.egress,
      logger: this.#log,
    });
    this.#rtcp = new TransportRtcp({
      rtcpSsrc: this.rtcpSsrc,
      listener: this.#listener,
      producers: this.producers,
      consumers: this.consumers,
      stats: this.#stats,
      send: (packets) => this.sendRtcp(packets),
      nowMs: options.clock.now(),
    });
    this.#agent = new IceLiteAgent({
      local: options.ice,
      clock: options.clock,
      consentTimeoutMs: options.consentTimeoutMs ?? 30_000,
    });
    this.#agent.on('selected', (tuple) => {
      this.#sender.setTuple(tuple);
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
    return this.#sender.tuple;
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
      send: (datagram: Uint8Array) => this.#sender.sendRaw(datagram),
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
      this.#rtcp.receive(rx, datagram, nowMs);
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
    this.#rtcp.recordRtp(view, nowMs);
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

  #onDtlsConnected(keys: SrtpKeyingMaterial): void {
    try {
      const tx = SrtpSession.create({ profile: keys.profile, masterKey: keys.localKey, masterSalt: keys.localSalt });
      this.#rx = SrtpSession.create({ profile: keys.profile, masterKey: keys.remoteKey, masterSalt: keys.remoteSalt });
      this.#sender.setSrtp(tx, keys);
    } catch (err) {
      this.#log.error('srtp setup failed', { transport: this.id, err });
      this.close('srtp_setup_failed');
      return;
    }
    this.#maybeConnected();
  }

  #maybeConnected(): void {
    if (this.#connected || !this.#sender.ready) return;
    this.#connected = true;
    this.#log.info('transport connected', { transport: this.id, tuple: this.#sender.tuple?.key });
    this.emit('connected');
  }

  // ---- output ----

  /** Encrypts and sends one RTP packet to the selected tuple (consumers call it). */
  /** The next transport-wide sequence number of this transport (the send-side estimate starts with the first). */
  transportSequence(size: number, nowMs: number, probe?: number): number {
    return this.#rtcp.bandwidth().stamp(size, nowMs, probe);
  }

  /** The send-side bandwidth estimate of this (subscriber) transport, once it has sent a numbered packet. */
  get bandwidth(): TransportBwe | undefined {
    return this.#rtcp.bwe;
  }

  sendRtp(packet: Uint8Array): void {
    this.#sender.sendRtp(packet);
  }

  /** Encrypts and sends RTCP packets as one compound datagram. */
  sendRtcp(packets: readonly RtcpPacket[]): void {
    this.#sender.sendRtcp(packets);
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
    this.#rtcp.addProducer(producer);
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
    this.#rtcp.addConsumer(consumer);
    consumer.on('closed', () => {
      this.consumers.delete(consumer.id);
      this.#rtcp.removeConsumer(consumer);
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
    this.#rtcp.tick(nowMs);
    const bwe = this.#rtcp.bwe;
    if (this.#options.adaptive === true && bwe !== undefined) {
      this.#allocation ??= new SubscriberAllocation(this.consumers, bwe);
      this.#allocation.tick(nowMs);
    }
  }

  /** Closes everything this transport owns. Idempotent. `reason` is a stable code. */
  close(reason = 'closed'): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const p of [...this.producers.values()]) p.close('transport_closed');
    for (const c of [...this.consumers.values()]) c.close('transport_closed');
    this.#dtls?.close();
    this.#sender.close();
    this.#agent.removeAllListeners();
    this.#early = [];
    this.#log.info('transport closed', { transport: this.id, reason });
    this.emit('closed', reason);
    this.removeAllListeners();
  }
}
