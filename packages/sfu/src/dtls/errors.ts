/**
 * Errors of the DTLS module. Every error carries a stable `code` from `DtlsErrorCode`
 * (never renamed once released); tests assert on `code`, never on message text.
 */
import { ItdaError, type ItdaErrorOptions } from '@itda/common';

export const DtlsErrorCode = {
  /** A datagram or record that is not DTLS, or is cut short (RFC 6347 §4.1). Dropped, never fatal. */
  Malformed: 'dtls_malformed',
  /** No handshake within `handshakeTimeoutMs`. */
  HandshakeTimeout: 'dtls_handshake_timeout',
  /** The peer's certificate matches none of the SDP fingerprints (RFC 8122 §5, RFC 5763 §5). */
  FingerprintMismatch: 'dtls_fingerprint_mismatch',
  /** The peer sent no certificate (WebRTC requires mutual authentication, RFC 5763 §5). */
  NoPeerCertificate: 'dtls_no_peer_certificate',
  /** The peer offered no SRTP protection profile we implement, or none at all (RFC 5764 §4.1.1). */
  NoSrtpProfile: 'dtls_no_srtp_profile',
  /** The peer offered no cipher suite we implement (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256). */
  NoCipherSuite: 'dtls_no_cipher_suite',
  /** The peer offered no elliptic curve we implement (x25519, secp256r1). */
  NoCurve: 'dtls_no_curve',
  /** CertificateVerify / ServerKeyExchange signature does not verify with the peer's certificate (RFC 5246 §7.4.8, §7.4.3). */
  BadSignature: 'dtls_bad_signature',
  /** The peer's Finished verify_data is wrong (RFC 5246 §7.4.9). */
  BadFinished: 'dtls_bad_finished',
  /** The peer sent a fatal alert (RFC 5246 §7.2). */
  Alert: 'dtls_alert',
  /** Any other handshake failure inside the DTLS implementation. */
  HandshakeFailed: 'dtls_handshake_failed',
  /** `sendData` before the handshake completed or after close. */
  NotConnected: 'dtls_not_connected',
  /** Invalid options (role, fingerprints, certificate). */
  BadOptions: 'dtls_bad_options',
} as const;

export type DtlsErrorCode = (typeof DtlsErrorCode)[keyof typeof DtlsErrorCode];

/** An error of the DTLS layer; `code` is a `DtlsErrorCode`. */
export class DtlsError extends ItdaError {
  override readonly name: string = 'DtlsError';
  constructor(code: DtlsErrorCode, message: string, options: ItdaErrorOptions = {}) {
    super(code, message, options);
  }
}
