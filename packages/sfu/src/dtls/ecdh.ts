/**
 * ECDHE for the handshake on node:crypto (OpenSSL) — x25519 (RFC 7748) and secp256r1
 * (RFC 8422 §5.10). werift-dtls does this in pure JavaScript (tweetnacl, @noble/curves):
 * ~1.9 ms (x25519) and ~3 ms (P-256) per handshake side, against ~0.1 ms here; werift.ts
 * swaps these in. Keys are raw bytes as werift and the wire carry them: x25519 32-byte
 * scalars and u-coordinates; P-256 32-byte scalars and 65-byte uncompressed points.
 */
import { createECDH, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync } from 'node:crypto';

/** TLS NamedGroup numbers (RFC 8422 §5.1.1). */
export const NamedGroup = { secp256r1: 23, x25519: 29 } as const;

// DER prefixes that wrap a raw X25519 key as PKCS #8 / SubjectPublicKeyInfo (RFC 8410 §7, §4).
const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');
const X25519_SPKI = Buffer.from('302a300506032b656e032100', 'hex');

export interface EcdhKeyPair {
  curve: number;
  privateKey: Buffer;
  publicKey: Buffer;
}

/** A fresh ephemeral key pair; throws for curves other than x25519 and secp256r1. */
export function generateEcdhKeyPair(curve: number): EcdhKeyPair {
  if (curve === NamedGroup.x25519) {
    const { privateKey, publicKey } = generateKeyPairSync('x25519');
    const priv = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(X25519_PKCS8.length);
    const pub = publicKey.export({ format: 'der', type: 'spki' }).subarray(X25519_SPKI.length);
    return { curve, privateKey: Buffer.from(priv), publicKey: Buffer.from(pub) };
  }
  if (curve === NamedGroup.secp256r1) {
    const ecdh = createECDH('prime256v1');
    const publicKey = ecdh.generateKeys();
    return { curve, privateKey: ecdh.getPrivateKey(), publicKey };
  }
  throw new Error(`unsupported ECDHE curve ${curve}`);
}

/**
 * The premaster secret: the shared x-coordinate (RFC 8422 §5.10) or X25519 output.
 * OpenSSL refuses an all-zero X25519 result (RFC 7748 §6.1) and points off the P-256 curve.
 */
export function ecdhSharedSecret(curve: number, privateKey: Uint8Array, peerPublicKey: Uint8Array): Buffer {
  if (curve === NamedGroup.x25519) {
    if (peerPublicKey.length !== 32 || privateKey.length !== 32) throw new Error('x25519 keys are 32 bytes');
    return diffieHellman({
      privateKey: createPrivateKey({ key: Buffer.concat([X25519_PKCS8, privateKey]), format: 'der', type: 'pkcs8' }),
      publicKey: createPublicKey({ key: Buffer.concat([X25519_SPKI, peerPublicKey]), format: 'der', type: 'spki' }),
    });
  }
  if (curve === NamedGroup.secp256r1) {
    const ecdh = createECDH('prime256v1');
    ecdh.setPrivateKey(privateKey);
    return ecdh.computeSecret(peerPublicKey);
  }
  throw new Error(`unsupported ECDHE curve ${curve}`);
}
