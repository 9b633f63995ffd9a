/**
 * SRTP_AEAD_AES_128_GCM (RFC 7714): AES-128-GCM with a 16-byte tag, the RTP header (or
 * the first 8 RTCP bytes and the E|index word) as associated data, and a 12-byte IV
 * built from SSRC, ROC and SEQ (§8.1) or SSRC and the SRTCP index (§9.1) XOR the salt.
 *
 * node:crypto fixes the IV when the cipher is created, so each packet creates one GCM
 * cipher over a prepared `KeyObject` (no key import per packet).
 */
import { createCipheriv, createDecipheriv, createSecretKey, type KeyObject } from 'node:crypto';
import { SrtpError, SrtpErrorCode } from './errors.ts';
import type { SrtpSessionKeys } from './kdf.ts';
import { type SrtpTransform, writeU32, xorU32 } from './transform.ts';

const TAG = 16;
const E_FLAG = 0x80000000;

export class AesGcmTransform implements SrtpTransform {
  readonly rtpTagLength = TAG;
  readonly rtcpTagLength = TAG;
  readonly rtcpOverhead = 4 + TAG;
  readonly #rtpKey: KeyObject;
  readonly #rtcpKey: KeyObject;
  readonly #rtpSalt: Buffer;
  readonly #rtcpSalt: Buffer;
  readonly #iv = Buffer.alloc(12);
  readonly #aad = Buffer.alloc(12);

  constructor(keys: SrtpSessionKeys) {
    this.#rtpKey = createSecretKey(keys.rtpKey);
    this.#rtcpKey = createSecretKey(keys.rtcpKey);
    this.#rtpSalt = keys.rtpSalt;
    this.#rtcpSalt = keys.rtcpSalt;
  }

  /** IV = (00 00 || SSRC || ROC || SEQ) XOR salt, RFC 7714 §8.1. */
  #rtpIv(ssrc: number, index: number): Buffer {
    const iv = this.#iv;
    this.#rtpSalt.copy(iv, 0, 0, 12);
    xorU32(iv, 2, ssrc);
    xorU32(iv, 6, Math.floor(index / 65536) >>> 0);
    iv[10] = (iv[10] as number) ^ ((index >>> 8) & 0xff);
    iv[11] = (iv[11] as number) ^ (index & 0xff);
    return iv;
  }

  /** IV = (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt, RFC 7714 §9.1. */
  #rtcpIv(ssrc: number, index: number): Buffer {
    const iv = this.#iv;
    this.#rtcpSalt.copy(iv, 0, 0, 12);
    xorU32(iv, 2, ssrc);
    xorU32(iv, 8, index & 0x7fffffff);
    return iv;
  }

  protectRtp(p: Uint8Array, length: number, headerLength: number, ssrc: number, index: number): Buffer {
    const c = createCipheriv('aes-128-gcm', this.#rtpKey, this.#rtpIv(ssrc, index), { authTagLength: TAG });
    c.setAAD(p.subarray(0, headerLength));
    const out = Buffer.allocUnsafe(length + TAG);
    out.set(p.subarray(0, headerLength), 0);
    out.set(c.update(p.subarray(headerLength, length)), headerLength);
    c.final();
    c.getAuthTag().copy(out, length);
    return out;
  }

  unprotectRtp(p: Uint8Array, length: number, headerLength: number, ssrc: number, index: number): Buffer {
    const end = length - TAG;
    if (end < headerLength) throw new SrtpError(SrtpErrorCode.TooShort, 'SRTP packet shorter than header and tag');
    const d = createDecipheriv('aes-128-gcm', this.#rtpKey, this.#rtpIv(ssrc, index), { authTagLength: TAG });
    d.setAAD(p.subarray(0, headerLength));
    d.setAuthTag(p.subarray(end, length));
    const out = Buffer.allocUnsafe(end);
    out.set(p.subarray(0, headerLength), 0);
    out.set(d.update(p.subarray(headerLength, end)), headerLength);
    finalOrThrow(d, 'SRTP', ssrc);
    return out;
  }

  protectRtcp(p: Uint8Array, length: number, ssrc: number, index: number): Buffer {
    const eIndex = (E_FLAG | index) >>> 0;
    const c = createCipheriv('aes-128-gcm', this.#rtcpKey, this.#rtcpIv(ssrc, index), { authTagLength: TAG });
    // AAD = first 8 octets || E|index (RFC 7714 §9.3).
    this.#aad.set(p.subarray(0, 8), 0);
    writeU32(this.#aad, 8, eIndex);
    c.setAAD(this.#aad);
    const out = Buffer.allocUnsafe(length + TAG + 4);
    out.set(p.subarray(0, 8), 0);
    out.set(c.update(p.subarray(8, length)), 8);
    c.final();
    c.getAuthTag().copy(out, length);
    writeU32(out, length + TAG, eIndex);
    return out;
  }

  rtcpIndexOffset(length: number): number {
    return length - 4;
  }

  unprotectRtcp(p: Uint8Array, length: number, ssrc: number, eIndex: number): Buffer {
    const tagAt = length - 4 - TAG;
    const d = createDecipheriv('aes-128-gcm', this.#rtcpKey, this.#rtcpIv(ssrc, eIndex), { authTagLength: TAG });
    d.setAuthTag(p.subarray(tagAt, tagAt + TAG));
    const out = Buffer.allocUnsafe(tagAt);
    const eWord = p.subarray(length - 4, length);
    if ((eIndex & E_FLAG) === 0) {
      // Unencrypted SRTCP: the whole packet and E|index are associated data (RFC 7714 §9.3).
      d.setAAD(Buffer.concat([p.subarray(0, tagAt), eWord]));
      finalOrThrow(d, 'SRTCP', ssrc);
      out.set(p.subarray(0, tagAt), 0);
      return out;
    }
    this.#aad.set(p.subarray(0, 8), 0);
    this.#aad.set(eWord, 8);
    d.setAAD(this.#aad);
    out.set(p.subarray(0, 8), 0);
    out.set(d.update(p.subarray(8, tagAt)), 8);
    finalOrThrow(d, 'SRTCP', ssrc);
    return out;
  }
}

function finalOrThrow(d: { final(): Buffer }, what: string, ssrc: number): void {
  try {
    d.final();
  } catch (cause) {
    throw new SrtpError(SrtpErrorCode.AuthFailed, `${what} authentication tag mismatch`, { cause, details: { ssrc } });
  }
}
