/**
 * The DTLS certificate of the SFU and certificate fingerprints as SDP carries them
 * (`a=fingerprint:sha-256 AB:CD:…`, RFC 8122 §5).
 *
 * WebRTC certificates are self-signed; the peer trusts one because its fingerprint is in
 * the (signaling-authenticated) SDP, not because of a chain (RFC 5763 §5). We use ECDSA
 * P-256 with SHA-256 — what browsers generate by default, and the one werift-dtls can
 * sign ServerKeyExchange / CertificateVerify with (TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256).
 */
import { createHash, X509Certificate } from 'node:crypto';
import { selfSignedCertificate } from '@itda/common/node';
import { DtlsError, DtlsErrorCode } from './errors.ts';

/** Hash function names of RFC 8122 §5 (lower case, as written in SDP) that we implement. */
export type FingerprintAlgorithm = 'sha-1' | 'sha-256' | 'sha-384' | 'sha-512';

/** One `a=fingerprint` value. `value` is upper-case hex pairs separated by colons. */
export interface DtlsFingerprint {
  algorithm: string;
  value: string;
}

/** A certificate and its private key, both PEM, with the SHA-256 fingerprint to put in SDP. */
export interface DtlsCertificate {
  /** PEM `CERTIFICATE`. */
  cert: string;
  /** PEM `PRIVATE KEY` (PKCS #8, EC P-256). */
  key: string;
  fingerprint: { algorithm: 'sha-256'; value: string };
}

export interface DtlsCertificateOptions {
  /** Subject common name. Default `itda`. */
  commonName?: string;
  /** Validity in days. Default 30; 1–3650 (browsers do not check it for DTLS-SRTP). */
  days?: number;
}

const NODE_HASH: Record<FingerprintAlgorithm, string> = {
  'sha-1': 'sha1',
  'sha-256': 'sha256',
  'sha-384': 'sha384',
  'sha-512': 'sha512',
};

/** True when `name` (any case) is a fingerprint hash we implement. */
export function isFingerprintAlgorithm(name: string): name is FingerprintAlgorithm {
  return Object.hasOwn(NODE_HASH, name.toLowerCase());
}

/** A fresh ECDSA P-256 key and self-signed certificate (SHA-256 signature) for DTLS. */
export function createDtlsCertificate(options: DtlsCertificateOptions = {}): DtlsCertificate {
  const made = selfSignedCertificate({
    commonName: options.commonName ?? 'itda',
    hosts: ['localhost'],
    days: options.days ?? 30,
  });
  return { cert: made.cert, key: made.key, fingerprint: { algorithm: 'sha-256', value: made.fingerprint256 } };
}

/** DER bytes of a certificate given as DER or as PEM text. */
export function certificateDer(derOrPem: Uint8Array | string): Buffer {
  if (typeof derOrPem !== 'string') return Buffer.from(derOrPem.buffer, derOrPem.byteOffset, derOrPem.byteLength);
  try {
    return new X509Certificate(derOrPem).raw;
  } catch (err) {
    throw new DtlsError(DtlsErrorCode.BadOptions, 'not a PEM certificate', { cause: err });
  }
}

/**
 * The fingerprint of a certificate: the hash of its DER encoding, upper-case hex pairs
 * joined by colons (RFC 8122 §5, RFC 4572 §5). `algorithm` as in SDP: `sha-256` (the one
 * browsers use), `sha-1`, `sha-384`, `sha-512`; any case.
 */
export function fingerprintOf(derOrPem: Uint8Array | string, algorithm: string = 'sha-256'): string {
  const name = algorithm.toLowerCase();
  if (!isFingerprintAlgorithm(name)) {
    throw new DtlsError(DtlsErrorCode.BadOptions, `unsupported fingerprint algorithm ${algorithm}`);
  }
  const hex = createHash(NODE_HASH[name]).update(certificateDer(derOrPem)).digest('hex').toUpperCase();
  return (hex.match(/../g) ?? []).join(':');
}

/**
 * True when the certificate matches one of `fingerprints` (RFC 8122 §5: the hash named by
 * each attribute; unknown hash names are skipped; hex compared case-insensitively).
 */
export function matchesFingerprint(der: Uint8Array, fingerprints: readonly DtlsFingerprint[]): boolean {
  for (const fp of fingerprints) {
    if (!isFingerprintAlgorithm(fp.algorithm)) continue;
    if (fingerprintOf(der, fp.algorithm) === fp.value.trim().toUpperCase()) return true;
  }
  return false;
}
