/**
 * A WebRTC peer made of itda's own modules, no browser: it speaks to an `RtcServer` the
 * way Chromium does — ICE connectivity checks as the controlling agent (RFC 8445 §7.2.2:
 * USERNAME, ICE-CONTROLLING, USE-CANDIDATE, PRIORITY, MESSAGE-INTEGRITY, FINGERPRINT),
 * a DTLS client (RFC 5763: the SFU is always the DTLS server), then SRTP/SRTCP both ways
 * (RFC 5764). Over UDP, or ICE-TCP with RFC 4571 framing (RFC 6544).
 *
 * One `TestPeer` is one RTCPeerConnection: a participant of an SFU room uses two (publish
 * and subscribe). Loopback only; every wait is bounded; `close()` frees everything.
 * Test code: it allocates per packet.
 */
import { createSocket, type Socket } from 'node:dgram';
import { connect, type Socket as TcpSocket } from 'node:net';
import {
  AttrType,
  attr,
  createTransactionId,
  decodeMessage,
  encodeMessage,
  type StunAttribute,
  StunClass,
  StunMethod,
  shortTermKey,
  transactionIdHex,
} from '@itda/stun';
import { createDtlsCertificate, type DtlsCertificate, DtlsSession, type SrtpKeyingMaterial } from '../dtls/index.ts';
import { createIceCredentials, frameTcp, type IceCredentials, TcpFrameDecoder } from '../ice/index.ts';
import { encodeRtcp, isRtcp, parseRtcp, type RtcpPacket } from '../rtp/index.ts';
import { parseSdp } from '../sdp/index.ts';
import { SrtpSession } from '../srtp/index.ts';
import { buildRtp, type ReceivedRtp, type RtpPacketSpec, readRtp } from './rtp.ts';
import {
  answerSubscribeOffer,
  buildPublishOffer,
  type PublishOffer,
  type PublishOfferOptions,
  type PublishTrackSpec,
  type RemoteParameters,
  remoteParameters,
  type SubscribeAnswer,
} from './sdp.ts';

export interface TestPeerOptions {
  /** `udp` (default) or `tcp` (ICE-TCP active side, RFC 4571 framing). */
  protocol?: 'udp' | 'tcp';
  /** The server's address. Default `127.0.0.1`; only loopback addresses are accepted. */
  address?: string;
  /** The server's UDP port (for `udp`). */
  udpPort?: number;
  /** The server's TCP port (for `tcp`). */
  tcpPort?: number;
  /** Certificate whose fingerprint goes into our SDP. Default: a new one. */
  certificate?: DtlsCertificate;
  /** Certificate presented in the DTLS handshake. Default `certificate`; another one makes an impostor. */
  dtlsCertificate?: DtlsCertificate;
  /** Most received RTP packets and RTCP packets kept. Default 20,000 each; older ones are dropped. */
  maxStored?: number;
}

/** Why this peer discarded something it received, counted by code. */
export type PeerDropCode = 'srtp' | 'srtcp' | 'rtp_malformed' | 'unknown' | 'stun_malformed';

const LOOPBACK = /^(127\.\d+\.\d+\.\d+|::1)$/;
const CHECK_RETRY_MS = 100;

export class TestPeer {
  readonly protocol: 'udp' | 'tcp';
  readonly certificate: DtlsCertificate;
  readonly #dtlsCertificate: DtlsCertificate;
  readonly #address: string;
  readonly #port: number;
  readonly #udp: Socket | undefined;
  readonly #tcp: TcpSocket | undefined;
  readonly #maxStored: number;
  readonly #pending = new Map<string, (ok: boolean) => void>();
  #ice: IceCredentials = createIceCredentials();
  #remote: RemoteParameters | undefined;
  #published: PublishTrackSpec[] = [];
  #dtls: DtlsSession | undefined;
  #tx: SrtpSession | undefined;
  #rx: SrtpSession | undefined;
  #dtlsError: Error | undefined;
  #closed = false;
  /** Received RTP packets, decrypted, in arrival order. */
  readonly rtp: ReceivedRtp[] = [];
  /** Received RTCP packets, decrypted and parsed, in arrival order. */
  readonly rtcp: RtcpPacket[] = [];
  /** Things this peer dropped, by code. */
  readonly drops = new Map<PeerDropCode, number>();
  /** STUN responses received: successes and errors. */
  checkSuccesses = 0;
  checkErrors = 0;
  /** How our DTLS association ended: `close_notify` (the server's) or `local`; undefined while open. */
  dtlsClosed: string | undefined;
  /** The DTLS failure (e.g. `dtls_alert` when the server refused us), if any. */
  get dtlsError(): Error | undefined {
    return this.#dtlsError;
  }
  /** Codes of DTLS records our DTLS client discarded. */
  readonly dtlsDrops: string[] = [];
  /**
   * Simulated loss: SRTP/SRTCP datagrams for which it returns true are discarded before
   * decryption (the header is in the clear: sequence number at bytes 2–3, SSRC at 8–11).
   */
  lose: ((datagram: Buffer) => boolean) | undefined;
  /** Datagrams `lose` discarded. */
  lost = 0;
  /** Datagrams (or TCP frames) received in all. */
  received = 0;

  private constructor(options: TestPeerOptions, address: string, port: number, udp?: Socket, tcp?: TcpSocket) {
    this.protocol = options.protocol ?? 'udp';
    this.certificate = options.certificate ?? createDtlsCertificate();
    this.#dtlsCertificate = options.dtlsCertificate ?? this.certificate;
    this.#maxStored = options.maxStored ?? 20_000;
    this.#address = address;
    this.#port = port;
    this.#udp = udp;
    this.#tcp = tcp;
  }

  /** Opens the socket (a UDP socket on an ephemeral loopback port, or a TCP connection). */
  static async open(options: TestPeerOptions): Promise<TestPeer> {
    const address = options.address ?? '127.0.0.1';
    if (!LOOPBACK.test(address)) throw new Error(`TestPeer talks to loopback only, not ${address}`);
    if ((options.protocol ?? 'udp') === 'udp') {
      if (options.udpPort === undefined) throw new Error('udpPort is required');
      const udp = createSocket(address.includes(':') ? 'udp6' : 'udp4');
      await new Promise<void>((resolve, reject) => {
        udp.once('error', reject);
        udp.bind(0, address, () => {
          udp.off('error', reject);
          resolve();
        });
      });
      try {
        // As browsers do: a burst from several media workers at once must not overflow the default 208 KiB.
        udp.setRecvBufferSize(4 * 1024 * 1024);
      } catch {
        // Capped by net.core.rmem_max; the default still works for small bursts.
      }
      const peer = new TestPeer(options, address, options.udpPort, udp);
      udp.on('message', (msg) => peer.#onDatagram(msg));
      udp.on('error', () => {});
      return peer;
    }
    if (options.tcpPort === undefined) throw new Error('tcpPort is required');
    const port = options.tcpPort;
    const tcp = await new Promise<TcpSocket>((resolve, reject) => {
      const s = connect({ host: address, port, noDelay: true }, () => {
        s.off('error', reject);
        resolve(s);
      });
      s.once('error', reject);
    });
    const peer = new TestPeer(options, address, port, undefined, tcp);
    const decoder = new TcpFrameDecoder();
    tcp.on('data', (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) peer.#onDatagram(frame);
      } catch {
        tcp.destroy();
      }
    });
    tcp.on('error', () => {});
    return peer;
  }

  /** Our ICE credentials (new ones after `restartIce`). */
  get ice(): IceCredentials {
    return this.#ice;
  }

  /** The sha-256 fingerprint of `certificate`, as our SDP announces it. */
  get fingerprint(): { algorithm: string; value: string } {
    return this.certificate.fingerprint;
  }

  /** The server's parameters from the last description applied. */
  get remote(): RemoteParameters | undefined {
    return this.#remote;
  }

  /** DTLS done and SRTP keyed. */
  get connected(): boolean {
    return this.#tx !== undefined;
  }

  get dtlsState(): string {
    return this.#dtls?.state ?? 'new';
  }

  /** The local port of our socket (to tell our tuple apart in server state). */
  get localPort(): number {
    if (this.#udp !== undefined) return this.#udp.address().port;
    return this.#tcp?.localPort ?? 0;
  }

  /** New local ICE credentials for the next offer or answer (ICE restart, RFC 8445 §9). */
  restartIce(): void {
    this.#ice = createIceCredentials();
  }

  /** A Chromium-like publish offer with our credentials and fingerprint; SSRCs stay the same per mid across offers. */
  publishOffer(options: Omit<PublishOfferOptions, 'ice' | 'fingerprint'> = {}): PublishOffer {
    const offer = buildPublishOffer({
      previous: this.#published,
      ...options,
      ice: this.#ice,
      fingerprint: this.fingerprint,
    });
    this.#published = offer.tracks;
    return offer;
  }

  /** Applies the server's answer (or any server description): its ICE credentials and fingerprints. */
  setRemoteDescription(sdp: string): RemoteParameters {
    this.#remote = remoteParameters(parseSdp(sdp));
    return this.#remote;
  }

  /** Answers a subscribe offer like Chromium and applies the offer as the remote description. */
  answerSubscribe(offerSdp: string, options: { reject?: readonly string[] } = {}): SubscribeAnswer {
    const answer = answerSubscribeOffer(offerSdp, { ...options, ice: this.#ice, fingerprint: this.fingerprint });
    if (answer.remote !== undefined) this.#remote = answer.remote;
    return answer;
  }

  /**
   * Sends a connectivity check (resent every 100 ms) and waits for its response.
   * Resolves true for a success response, false for an error response; rejects on timeout.
   */
  async check(options: { useCandidate?: boolean; timeoutMs?: number; extra?: StunAttribute[] } = {}): Promise<boolean> {
    const remote = this.#remote;
    if (remote === undefined) throw new Error('no remote description');
    const transactionId = createTransactionId();
    const attributes: StunAttribute[] = [
      attr(AttrType.Username, `${remote.ice.ufrag}:${this.#ice.ufrag}`),
      attr(AttrType.IceControlling, 0x0102_0304_0506_0708n),
      ...(options.useCandidate === false ? [] : [attr(AttrType.UseCandidate, true)]),
      attr(AttrType.Priority, 1_845_501_695),
      ...(options.extra ?? []),
    ];
    const bytes = encodeMessage(
      { class: StunClass.Request, method: StunMethod.Binding, transactionId, attributes },
      { integrityKey: shortTermKey(remote.ice.pwd), fingerprint: true },
    );
    const key = transactionIdHex(transactionId);
    const timeoutMs = options.timeoutMs ?? 3000;
    return await new Promise<boolean>((resolve, reject) => {
      const retry = setInterval(() => this.sendRaw(bytes), CHECK_RETRY_MS);
      const timer = setTimeout(() => {
        clearInterval(retry);
        this.#pending.delete(key);
        reject(new Error(`no answer to a connectivity check in ${timeoutMs} ms`));
      }, timeoutMs);
      this.#pending.set(key, (ok) => {
        clearInterval(retry);
        clearTimeout(timer);
        this.#pending.delete(key);
        resolve(ok);
      });
      this.sendRaw(bytes);
    });
  }

  /**
   * Nominates the pair (a check with USE-CANDIDATE) and, the first time, runs the DTLS
   * handshake as the client. Resolves when SRTP is keyed; rejects with the DTLS error
   * (e.g. the server refused our certificate) or after `timeoutMs` (default 5,000).
   */
  async connect(options: { timeoutMs?: number } = {}): Promise<void> {
    const timeoutMs = options.timeoutMs ?? 5000;
    const ok = await this.check({ useCandidate: true, timeoutMs });
    if (!ok) throw new Error('the server refused the connectivity check');
    if (this.#dtls === undefined) this.#startDtls();
    await this.waitFor(() => this.connected || this.#dtlsError !== undefined, timeoutMs, 'DTLS handshake');
    if (this.#dtlsError !== undefined) throw this.#dtlsError;
  }

  #startDtls(): void {
    const remote = this.#remote;
    if (remote === undefined) throw new Error('no remote description');
    const dtls = new DtlsSession({
      role: 'client',
      certificate: this.#dtlsCertificate,
      remoteFingerprints: remote.fingerprints,
      send: (d) => this.sendRaw(d),
    });
    this.#dtls = dtls;
    dtls.on('connected', (keys: SrtpKeyingMaterial) => {
      this.#tx = SrtpSession.create({ profile: keys.profile, masterKey: keys.localKey, masterSalt: keys.localSalt });
      this.#rx = SrtpSession.create({ profile: keys.profile, masterKey: keys.remoteKey, masterSalt: keys.remoteSalt });
    });
    dtls.on('failed', (err) => {
      this.#dtlsError = err;
    });
    dtls.on('dropped', (code) => this.dtlsDrops.push(code));
    dtls.on('closed', (reason) => {
      this.dtlsClosed = reason;
    });
  }

  /** Encrypts and sends one RTP packet. */
  sendRtp(spec: RtpPacketSpec): void {
    this.sendRaw(this.protectRtp(buildRtp(spec)));
  }

  /** SRTP-protects an RTP packet without sending it (to send it twice, tamper with it, …). */
  protectRtp(packet: Uint8Array): Buffer {
    if (this.#tx === undefined) throw new Error('not connected');
    return this.#tx.protectRtp(packet);
  }

  /** SRTCP-protects RTCP bytes (well-formed or not) without sending them. */
  protectRtcp(bytes: Uint8Array): Buffer {
    if (this.#tx === undefined) throw new Error('not connected');
    return this.#tx.protectRtcp(bytes);
  }

  /** Encrypts and sends RTCP packets as one compound packet. */
  sendRtcp(packets: readonly RtcpPacket[]): void {
    if (this.#tx === undefined) throw new Error('not connected');
    this.sendRaw(this.#tx.protectRtcp(encodeRtcp(packets)));
  }

  /** Sends bytes as they are (framed on TCP). */
  sendRaw(bytes: Uint8Array): void {
    if (this.#closed) return;
    if (this.#udp !== undefined) this.#udp.send(bytes, this.#port, this.#address);
    else if (this.#tcp !== undefined && !this.#tcp.destroyed) this.#tcp.write(frameTcp(bytes));
  }

  /** Received RTP packets of one SSRC, in arrival order. */
  rtpOf(ssrc: number): ReceivedRtp[] {
    return this.rtp.filter((p) => p.ssrc === ssrc);
  }

  /** Polls `condition` every 5 ms until true; rejects after `timeoutMs` (default 3,000) naming `what`. */
  async waitFor(condition: () => boolean, timeoutMs = 3000, what = 'condition'): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!condition()) {
      if (Date.now() >= deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
      await new Promise<void>((r) => setTimeout(r, 5));
    }
  }

  #drop(code: PeerDropCode): void {
    this.drops.set(code, (this.drops.get(code) ?? 0) + 1);
  }

  #onDatagram(msg: Buffer): void {
    if (this.#closed) return;
    this.received++;
    const b0 = msg[0] ?? 255;
    if (b0 < 4) this.#onStun(msg);
    else if (b0 >= 20 && b0 <= 63) this.#dtls?.handle(msg);
    else if (b0 >= 128 && b0 <= 191) this.#onSrtp(msg);
    else this.#drop('unknown');
  }

  #onStun(msg: Buffer): void {
    let decoded: ReturnType<typeof decodeMessage>;
    try {
      decoded = decodeMessage(msg);
    } catch {
      this.#drop('stun_malformed');
      return;
    }
    const ok = decoded.class === StunClass.SuccessResponse;
    if (ok) this.checkSuccesses++;
    else if (decoded.class === StunClass.ErrorResponse) this.checkErrors++;
    else return;
    this.#pending.get(transactionIdHex(decoded.transactionId))?.(ok);
  }

  #onSrtp(msg: Buffer): void {
    if (this.lose?.(msg) === true) {
      this.lost++;
      return;
    }
    const rx = this.#rx;
    if (rx === undefined) {
      this.#drop('unknown');
      return;
    }
    if (isRtcp(msg)) {
      try {
        for (const p of parseRtcp(rx.unprotectRtcp(msg))) this.#store(this.rtcp, p);
      } catch {
        this.#drop('srtcp');
      }
      return;
    }
    let packet: Buffer;
    try {
      packet = rx.unprotectRtp(msg);
    } catch {
      this.#drop('srtp');
      return;
    }
    try {
      this.#store(this.rtp, readRtp(Buffer.from(packet)));
    } catch {
      this.#drop('rtp_malformed');
    }
  }

  #store<T>(list: T[], item: T): void {
    if (list.length >= this.#maxStored) list.shift();
    list.push(item);
  }

  /**
   * Closes DTLS and the socket. Idempotent. `notify` (default true) sends DTLS
   * close_notify first, as a browser closing its peer connection does; false makes the
   * peer simply vanish (the server only notices by consent freshness, RFC 7675).
   */
  async close(options: { notify?: boolean } = {}): Promise<void> {
    if (this.#closed) return;
    if (options.notify === false) this.#closed = true;
    this.#dtls?.close();
    this.#closed = true;
    for (const resolve of [...this.#pending.values()]) resolve(false);
    this.#pending.clear();
    if (this.#udp !== undefined) await new Promise<void>((r) => this.#udp?.close(() => r()));
    if (this.#tcp !== undefined) {
      const tcp = this.#tcp;
      await new Promise<void>((r) => {
        if (tcp.destroyed) r();
        else {
          tcp.once('close', () => r());
          tcp.destroy();
        }
      });
    }
  }
}
