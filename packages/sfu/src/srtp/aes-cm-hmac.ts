/**
 * SRTP_AES128_CM_HMAC_SHA1_80: AES-128 counter mode (RFC 3711 §4.1.1) and HMAC-SHA1
 * cut to 80 bits (RFC 3711 §4.2.1), for SRTP (§3.1, §4.1) and SRTCP (§3.4).
 *
 * The keystream comes from one long-lived AES-ECB cipher per key (see aes-ctr.ts); the
 * HMAC is one `createHmac` per packet over a prepared `KeyObject`.
 */
import { createHmac, createSecretKey, type KeyObject, timingSafeEqual } from 'node:crypto';
import { AesCtrKeystream } from './aes-ctr.ts';
import { SrtpError, SrtpErrorCode } from './errors.ts';
import type { SrtpSessionKeys } from './kdf.ts';
import { type SrtpTransform, writeU32, xorU32 } from './transform.ts';

const TAG = 10;
const E_FLAG = 0x80000000;

export class AesCmHmacTransform implements SrtpTransform {
  readonly rtpTagLength = TAG;
  readonly rtcpTagLength = TAG;
  readonly rtcpOverhead = 4 + TAG;
  readonly #rtpKs: AesCtrKeystream;
  readonly #rtcpKs: AesCtrKeystream;
  readonly #rtpAuth: KeyObject;
  readonly #rtcpAuth: KeyObject;
  readonly #rtpSalt: Buffer;
  readonly #rtcpSalt: Buffer;
  readonly #iv = Buffer.alloc(16);
  readonly #roc = Buffer.alloc(4);

  constructor(keys: SrtpSessionKeys) {
    this.#rtpKs = new AesCtrKeystream(keys.rtpKey);
    this.#rtcpKs = new AesCtrKeystream(keys.rtcpKey);
    this.#rtpAuth = createSecretKey(keys.rtpAuthKey);
    this.#rtcpAuth = createSecretKey(keys.rtcpAuthKey);
    this.#rtpSalt = keys.rtpSalt;
    this.#rtcpSalt = keys.rtcpSalt;
  }

  /** IV = (k_s·2^16) XOR (SSRC·2^64) XOR (i·2^16), RFC 3711 §4.1.1. */
  #setIv(salt: Buffer, ssrc: number, index: number): Buffer {
    const iv = this.#iv;
    salt.copy(iv, 0, 0, 14);
    iv[14] = 0;
    iv[15] = 0;
    xorU32(iv, 4, ssrc);
    const hi = Math.floor(index / 0x100000000);
    iv[8] = (iv[8] as number) ^ ((hi >>> 8) & 0xff);
    iv[9] = (iv[9] as number) ^ (hi & 0xff);
    xorU32(iv, 10, index >>> 0);
    return iv;
  }

  /** HMAC-SHA1(k_a, authenticated portion || ROC), RFC 3711 §4.2. */
  #rtpTag(p: Uint8Array, length: number, index: number): Buffer {
    writeU32(this.#roc, 0, Math.floor(index / 65536) >>> 0);
    return createHmac('sha1', this.#rtpAuth).update(p.subarray(0, length)).update(this.#roc).digest();
  }

  protectRtp(p: Uint8Array, length: number, headerLength: number, ssrc: number, index: number): Buffer {
    const out = Buffer.allocUnsafe(length + TAG);
    out.set(p.subarray(0, headerLength), 0);
    const iv = this.#setIv(this.#rtpSalt, ssrc, index);
    this.#rtpKs.xor(iv, p, headerLength, out, headerLength, length - headerLength);
    this.#rtpTag(out, length, index).copy(out, length, 0, TAG);
    return out;
  }

  unprotectRtp(p: Uint8Array, length: number, headerLength: number, ssrc: number, index: number): Buffer {
    const end = length - TAG;
    if (end < headerLength) throw new SrtpError(SrtpErrorCode.TooShort, 'SRTP packet shorter than header and tag');
    const tag = this.#rtpTag(p, end, index);
    if (!timingSafeEqual(tag.subarray(0, TAG), p.subarray(end, length))) {
      throw new SrtpError(SrtpErrorCode.AuthFailed, 'SRTP authentication tag mismatch', { details: { ssrc, index } });
    }
    const out = Buffer.allocUnsafe(end);
    out.set(p.subarray(0, headerLength), 0);
    const iv = this.#setIv(this.#rtpSalt, ssrc, index);
    this.#rtpKs.xor(iv, p, headerLength, out, headerLength, end - headerLength);
    return out;
  }

  protectRtcp(p: Uint8Array, length: number, ssrc: number, index: number): Buffer {
    const out = Buffer.allocUnsafe(length + 4 + TAG);
    out.set(p.subarray(0, 8), 0);
    const iv = this.#setIv(this.#rtcpSalt, ssrc, index);
    this.#rtcpKs.xor(iv, p, 8, out, 8, length - 8);
    writeU32(out, length, (E_FLAG | index) >>> 0);
    createHmac('sha1', this.#rtcpAuth)
      .update(out.subarray(0, length + 4))
      .digest()
      .copy(out, length + 4, 0, TAG);
    return out;
  }

  rtcpIndexOffset(length: number): number {
    return length - TAG - 4;
  }

  unprotectRtcp(p: Uint8Array, length: number, ssrc: number, eIndex: number): Buffer {
    const end = length - TAG;
    const tag = createHmac('sha1', this.#rtcpAuth).update(p.subarray(0, end)).digest();
    if (!timingSafeEqual(tag.subarray(0, TAG), p.subarray(end, length))) {
      throw new SrtpError(SrtpErrorCode.AuthFailed, 'SRTCP authentication tag mismatch', { details: { ssrc } });
    }
    const plainLength = end - 4;
    const out = Buffer.allocUnsafe(plainLength);
    if ((eIndex & E_FLAG) === 0) {
      out.set(p.subarray(0, plainLength), 0);
      return out;
    }
    out.set(p.subarray(0, 8), 0);
    const iv = this.#setIv(this.#rtcpSalt, ssrc, eIndex & 0x7fffffff);
    this.#rtcpKs.xor(iv, p, 8, out, 8, plainLength - 8);
    return out;
  }
}
