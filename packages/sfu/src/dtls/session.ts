/**
 * One DTLS-SRTP association (RFC 5764, RFC 5763): bytes in (`handle`), bytes out (the
 * `send` callback), typed events. It checks the peer's certificate against the SDP
 * fingerprints (RFC 8122 §5) and the peer's proof of its key (verify.ts) before it emits
 * the SRTP keying material, split as RFC 5764 §4.2 lays it out.
 *
 * The DTLS state machine itself is werift-dtls, behind `WeriftEngine` (werift.ts); nothing
 * else in itda sees it. Everything werift throws, rejects or emits is caught here and
 * becomes `failed` with a `DtlsError` code, or a `dropped` record — never an uncaught
 * exception or unhandled rejection. `close()` and failure cancel every timer.
 */
import { type Clock, type Logger, silentLogger, systemClock, type TimerHandle, TypedEmitter } from '@itda/common';
import { SRTP_PROFILES, type SrtpProfile, srtpProfileById } from '../srtp/index.ts';
import {
  type DtlsCertificate,
  type DtlsFingerprint,
  isFingerprintAlgorithm,
  matchesFingerprint,
} from './certificate.ts';
import { DtlsError, DtlsErrorCode } from './errors.ts';
import { parseClientHello } from './hello.ts';
import { HandshakeReassembler } from './reassembly.ts';
import { ContentType, splitRecords } from './record.ts';
import { verifyPeer } from './verify.ts';
import { WeriftEngine } from './werift.ts';

/** The SRTP profiles a DTLS session offers or picks when not told, in preference order. */
export const DEFAULT_SRTP_PROFILES: readonly SrtpProfile[] = ['SRTP_AES128_CM_HMAC_SHA1_80', 'SRTP_AEAD_AES_128_GCM'];

export type DtlsRole = 'server' | 'client';
export type DtlsState = 'new' | 'connecting' | 'connected' | 'closed' | 'failed';

/** SRTP master keys and salts for this side, ready for `SrtpSession.create` (local = what we send with). */
export interface SrtpKeyingMaterial {
  profile: SrtpProfile;
  localKey: Buffer;
  localSalt: Buffer;
  remoteKey: Buffer;
  remoteSalt: Buffer;
}

export type DtlsSessionEvents = {
  /** Handshake done, peer authenticated: the SRTP keys. Emitted once. */
  connected: [keys: SrtpKeyingMaterial];
  /** Application data (SCTP for data channels, RFC 8261). */
  data: [data: Uint8Array];
  /** Ended without error: `local` (our `close()`) or `close_notify` (the peer's). Emitted once, not after `failed`. */
  closed: [reason: string];
  /** Ended with an error. Emitted once, not after `closed`. */
  failed: [err: DtlsError];
  /** A record was discarded (`dtls_malformed`, …) — for metrics; the session goes on. */
  dropped: [code: DtlsErrorCode];
};

export interface DtlsSessionOptions {
  /** `server` for the SFU (RFC 5763 §5: `a=setup:passive` answers / `actpass` offers); `client` starts the handshake. */
  role: DtlsRole;
  /** Our certificate and key (`createDtlsCertificate()`), ECDSA P-256. */
  certificate: Pick<DtlsCertificate, 'cert' | 'key'>;
  /** `a=fingerprint` values of the peer's SDP; at least one with a hash we implement (sha-1/256/384/512). */
  remoteFingerprints: readonly DtlsFingerprint[];
  /**
   * Sends one datagram to the peer. Called from a microtask after `handle`, `close` or a
   * timer, so that the records of one flight leave in one datagram (≤ 1,200 bytes). If it
   * throws, the datagram is dropped (logged at debug); the session does not fail.
   */
  send: (datagram: Uint8Array) => void;
  /**
   * Profiles we accept, in preference order. Default `DEFAULT_SRTP_PROFILES`:
   * `['SRTP_AES128_CM_HMAC_SHA1_80', 'SRTP_AEAD_AES_128_GCM']`. AES-CM comes first because
   * it is the cheaper one on node:crypto (keystream computed ahead, no cipher object per
   * packet; docs/sfu/srtp.md) and it is the profile every WebRTC endpoint must implement
   * (RFC 8827 §6.5).
   */
  srtpProfiles?: readonly SrtpProfile[];
  /** From construction to `connected`, ms. Default 10,000; 100 … 600,000. */
  handshakeTimeoutMs?: number;
  /** Default `systemClock` (unref'd timers). */
  clock?: Clock;
  logger?: Logger;
}

/** RFC 5764 §4.2 exporter label. */
const EXPORTER_LABEL = 'EXTRACTOR-dtls_srtp';
const TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256 = 0xc02b;
/** x25519 (29) and secp256r1 (23): what werift implements (RFC 8422 §5.1.1). */
const CURVES = [29, 23];
const HANDSHAKE_CLIENT_HELLO = 1;
const HANDSHAKE_CERTIFICATE_VERIFY = 15;
const HANDSHAKE_FINISHED = 20;
/** Alert levels and descriptions (RFC 5246 §7.2). */
const WARNING = 1;
const FATAL = 2;
const CLOSE_NOTIFY = 0;
const ALERT_FOR: Partial<Record<DtlsErrorCode, number>> = {
  dtls_fingerprint_mismatch: 42, // bad_certificate
  dtls_no_peer_certificate: 42,
  dtls_bad_signature: 51, // decrypt_error
  dtls_bad_finished: 51,
  dtls_no_srtp_profile: 40, // handshake_failure (RFC 5764 §4.1.1)
  dtls_no_cipher_suite: 40,
  dtls_no_curve: 40,
  dtls_handshake_failed: 40,
};

export class DtlsSession extends TypedEmitter<DtlsSessionEvents> {
  readonly role: DtlsRole;
  readonly #engine: WeriftEngine;
  readonly #remoteFingerprints: readonly DtlsFingerprint[];
  readonly #profiles: readonly SrtpProfile[];
  readonly #log: Logger;
  readonly #reassembler = new HandshakeReassembler();
  #state: DtlsState = 'new';
  #timer: TimerHandle | undefined;
  /** Client role: the server's Finished body, which werift does not keep. */
  #peerFinished: Buffer | undefined;
  /** Server role: keys computed when the client's Finished checked out, emitted when werift is done. */
  #keys: SrtpKeyingMaterial | undefined;

  constructor(options: DtlsSessionOptions) {
    super();
    if (options.role !== 'server' && options.role !== 'client') {
      throw new DtlsError(DtlsErrorCode.BadOptions, `role must be server or client, got ${String(options.role)}`);
    }
    if (!options.remoteFingerprints.some((f) => isFingerprintAlgorithm(f.algorithm))) {
      throw new DtlsError(DtlsErrorCode.BadOptions, 'no remote fingerprint with a supported hash (sha-1/256/384/512)');
    }
    const profiles = options.srtpProfiles ?? DEFAULT_SRTP_PROFILES;
    if (profiles.length === 0 || profiles.some((p) => !Object.hasOwn(SRTP_PROFILES, p))) {
      throw new DtlsError(
        DtlsErrorCode.BadOptions,
        `srtpProfiles must name implemented profiles: ${profiles.join(',')}`,
      );
    }
    const timeout = options.handshakeTimeoutMs ?? 10_000;
    if (!Number.isFinite(timeout) || timeout < 100 || timeout > 600_000) {
      throw new DtlsError(DtlsErrorCode.BadOptions, 'handshakeTimeoutMs must be 100 … 600,000');
    }
    this.role = options.role;
    this.#remoteFingerprints = [...options.remoteFingerprints];
    this.#profiles = [...profiles];
    this.#log = (options.logger ?? silentLogger).child('dtls', { role: options.role });
    const clock = options.clock ?? systemClock;
    const send = options.send;
    this.#engine = new WeriftEngine({
      role: options.role,
      certPem: options.certificate.cert,
      keyPem: options.certificate.key,
      srtpProfileIds: profiles.map((p) => SRTP_PROFILES[p].id),
      clock,
      hooks: {
        send: (d) => send(d),
        onSendError: (err) => this.#log.debug('dtls send failed', { err }),
        onHandshake: (type, body) => this.#onHandshake(type, body),
        onConnect: () => this.#onConnect(),
        onData: (d) => {
          if (this.#state === 'connected') this.emit('data', d);
        },
        onError: (err) => this.#onEngineError(err),
      },
    });
    this.#timer = clock.setTimeout(() => {
      this.#fail(new DtlsError(DtlsErrorCode.HandshakeTimeout, `no DTLS handshake within ${timeout} ms`));
    }, timeout);
    if (options.role === 'client') {
      this.#state = 'connecting';
      this.#guard(() => this.#engine.start());
    }
  }

  get state(): DtlsState {
    return this.#state;
  }

  /** One incoming datagram (one or more DTLS records, RFC 6347 §4.1). Never throws. */
  handle(datagram: Uint8Array): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (this.#state === 'new') this.#state = 'connecting';
    const { records, malformed } = splitRecords(datagram);
    for (const r of records) {
      if (this.#ended) return;
      if (r.type === ContentType.Alert) this.#onAlert(r.epoch, r.bytes);
      else if (r.type === ContentType.Handshake && r.epoch === 0) this.#guard(() => this.#feedHandshake(r.bytes));
      else this.#guard(() => this.#engine.feedRecord(Buffer.from(r.bytes)));
    }
    if (malformed) this.#drop(DtlsErrorCode.Malformed);
  }

  /** Sends application data; throws `dtls_not_connected` unless `connected`. */
  sendData(data: Uint8Array): void {
    if (this.#state !== 'connected') throw new DtlsError(DtlsErrorCode.NotConnected, `DTLS is ${this.#state}`);
    this.#engine.sendData(Buffer.from(data));
  }

  /** Sends close_notify when connected (RFC 5246 §7.2.1), stops every timer, emits `closed('local')`. Idempotent. */
  close(): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    if (this.#state === 'connected') this.#engine.sendAlert(WARNING, CLOSE_NOTIFY);
    this.#end();
    this.#state = 'closed';
    this.emit('closed', 'local');
  }

  /** A plaintext handshake record: whole messages go to the engine, fragments wait for the rest. */
  #feedHandshake(record: Uint8Array): void {
    const whole = this.#reassembler.push(record);
    if (whole !== undefined) this.#engine.feedRecord(Buffer.from(whole));
  }

  // ---- engine callbacks ----

  #onHandshake(type: number, body: Buffer): boolean {
    if (this.#state === 'connected') {
      // A retransmitted last flight means ours was lost: werift answers a Finished by resending
      // its last flight (RFC 6347 §4.2.4). A new ClientHello (renegotiation) is refused.
      return type !== HANDSHAKE_CLIENT_HELLO;
    }
    if (this.#state !== 'connecting') return false;
    if (this.role === 'server' && type === HANDSHAKE_CLIENT_HELLO) return this.#checkOffer(body);
    if (this.role === 'client' && type === HANDSHAKE_FINISHED) this.#peerFinished = Buffer.from(body);
    if (this.role === 'server' && type === HANDSHAKE_FINISHED) return this.#authenticateEarly(body);
    return true;
  }

  /**
   * Server role: authenticate the client on its Finished, before werift answers with ours,
   * so a client that fails never sees a completed handshake. When messages came out of order
   * and the transcript is not complete yet, werift waits for them and `#onConnect` checks.
   */
  #authenticateEarly(finished: Buffer): boolean {
    const engine = this.#engine;
    const ready =
      engine.remoteCertificate !== undefined &&
      engine.masterSecret !== undefined &&
      engine.transcript().some((m) => m.flight === 5 && m.type === HANDSHAKE_CERTIFICATE_VERIFY);
    if (!ready || this.#keys !== undefined) return true;
    try {
      this.#keys = this.#authenticate(Buffer.from(finished));
      return true;
    } catch (err) {
      this.#fail(asDtlsError(err));
      return false;
    }
  }

  /** The server refuses a ClientHello we cannot serve, with the reason as the code. */
  #checkOffer(body: Buffer): boolean {
    const offer = parseClientHello(body);
    if (offer === undefined) {
      this.#drop(DtlsErrorCode.Malformed);
      return false;
    }
    if (!offer.cipherSuites.includes(TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256)) {
      this.#fail(
        new DtlsError(DtlsErrorCode.NoCipherSuite, 'peer does not offer TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256'),
      );
      return false;
    }
    if (!offer.groups.some((g) => CURVES.includes(g))) {
      this.#fail(new DtlsError(DtlsErrorCode.NoCurve, `peer offers no x25519/secp256r1: ${offer.groups.join(',')}`));
      return false;
    }
    const ours = this.#profiles.map((p) => SRTP_PROFILES[p].id);
    if (offer.srtpProfiles === undefined || !offer.srtpProfiles.some((id) => ours.includes(id))) {
      const got = offer.srtpProfiles?.join(',') ?? 'none';
      this.#fail(new DtlsError(DtlsErrorCode.NoSrtpProfile, `peer offers no SRTP profile we accept (${got})`));
      return false;
    }
    return true;
  }

  #onConnect(): void {
    if (this.#state !== 'connecting') return;
    let keys: SrtpKeyingMaterial;
    try {
      keys = this.#keys ?? this.#authenticate();
    } catch (err) {
      this.#fail(asDtlsError(err));
      return;
    }
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#state = 'connected';
    this.#log.debug('dtls connected', { profile: keys.profile });
    this.emit('connected', keys);
  }

  /** Fingerprint (RFC 8122 §5), peer proof (verify.ts), profile, then the RFC 5764 §4.2 key split. */
  #authenticate(peerFinished = this.#peerFinished): SrtpKeyingMaterial {
    const engine = this.#engine;
    const cert = engine.remoteCertificate;
    if (cert === undefined) throw new DtlsError(DtlsErrorCode.NoPeerCertificate, 'peer sent no certificate');
    if (!matchesFingerprint(cert, this.#remoteFingerprints)) {
      throw new DtlsError(DtlsErrorCode.FingerprintMismatch, 'peer certificate matches no SDP fingerprint');
    }
    const master = engine.masterSecret;
    if (master === undefined) throw new DtlsError(DtlsErrorCode.HandshakeFailed, 'no master secret');
    verifyPeer({
      role: this.role,
      transcript: engine.transcript(),
      masterSecret: master,
      peerCertificate: cert,
      ...(peerFinished === undefined ? {} : { peerFinished }),
    });
    const id = engine.srtpProfileId;
    const profile = id === undefined ? undefined : srtpProfileById(id);
    if (profile === undefined || !this.#profiles.includes(profile)) {
      throw new DtlsError(DtlsErrorCode.NoSrtpProfile, `no SRTP profile negotiated (${String(id)})`);
    }
    const { keyLength: k, saltLength: s } = SRTP_PROFILES[profile];
    // RFC 5764 §4.2: client_write_SRTP_master_key | server_write_SRTP_master_key |
    //                client_write_SRTP_master_salt | server_write_SRTP_master_salt
    const m = engine.exportKeyingMaterial(EXPORTER_LABEL, 2 * (k + s));
    const clientKey = Buffer.from(m.subarray(0, k));
    const serverKey = Buffer.from(m.subarray(k, 2 * k));
    const clientSalt = Buffer.from(m.subarray(2 * k, 2 * k + s));
    const serverSalt = Buffer.from(m.subarray(2 * k + s, 2 * k + 2 * s));
    return this.role === 'client'
      ? { profile, localKey: clientKey, localSalt: clientSalt, remoteKey: serverKey, remoteSalt: serverSalt }
      : { profile, localKey: serverKey, localSalt: serverSalt, remoteKey: clientKey, remoteSalt: clientSalt };
  }

  #onEngineError(err: unknown): void {
    if (this.#state !== 'connecting') {
      this.#drop(DtlsErrorCode.Malformed); // after connect: a record werift could not use (bad MAC, …)
      return;
    }
    const message = err instanceof Error ? err.message : String(err);
    const code = /cipher suite/.test(message) ? DtlsErrorCode.NoCipherSuite : DtlsErrorCode.HandshakeFailed;
    this.#fail(new DtlsError(code, `DTLS handshake failed: ${message}`, { cause: err }));
  }

  /** Alerts (RFC 5246 §7.2): unauthenticated ones only count before the handshake is done. */
  #onAlert(epoch: number, bytes: Uint8Array): void {
    let alert: { level: number; description: number } | undefined;
    if (epoch === 0) {
      if (this.#state === 'connected' || bytes.length !== 15) {
        this.#drop(DtlsErrorCode.Malformed);
        return;
      }
      alert = { level: bytes[13] ?? 0, description: bytes[14] ?? 0 };
    } else {
      alert = this.#engine.openAlert(Buffer.from(bytes));
    }
    if (alert === undefined) {
      this.#drop(DtlsErrorCode.Malformed);
      return;
    }
    if (alert.description === CLOSE_NOTIFY) {
      this.#end();
      this.#state = 'closed';
      this.emit('closed', 'close_notify');
    } else if (alert.level === FATAL) {
      this.#fail(
        new DtlsError(DtlsErrorCode.Alert, `peer sent fatal alert ${alert.description}`, {
          details: { description: alert.description },
        }),
        false,
      );
    }
  }

  // ---- helpers ----

  #guard(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.debug('dtls record dropped', { err });
      this.#drop(DtlsErrorCode.Malformed);
    }
  }

  /** True once closed or failed (a getter, so TypeScript does not narrow it away across calls). */
  get #ended(): boolean {
    return this.#state === 'closed' || this.#state === 'failed';
  }

  #drop(code: DtlsErrorCode): void {
    this.emit('dropped', code);
  }

  #fail(err: DtlsError, sendAlert = true): void {
    if (this.#state === 'closed' || this.#state === 'failed') return;
    const description = ALERT_FOR[err.code as DtlsErrorCode];
    if (sendAlert && description !== undefined) this.#engine.sendAlert(FATAL, description);
    this.#end();
    this.#state = 'failed';
    this.#log.debug('dtls failed', { code: err.code, err });
    this.emit('failed', err);
  }

  #end(): void {
    this.#reassembler.clear();
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#engine.close();
  }
}

function asDtlsError(err: unknown): DtlsError {
  return err instanceof DtlsError
    ? err
    : new DtlsError(DtlsErrorCode.HandshakeFailed, 'handshake check failed', { cause: err });
}
