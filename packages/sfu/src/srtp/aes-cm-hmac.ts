/**
 * SRTP_AES128_CM_HMAC_SHA1_80: AES-128 counter mode (RFC 3711 §4.1.1) and HMAC-SHA1
 * cut to 80 bits (RFC 3711 §4.2.1), for SRTP (§3.1, §4.1) and SRTCP (§3.4).
 *
 * Every packet is assembled in the HMAC's scratch buffer, right after its inner pad
 * block (hmac-sha1.ts): copied in once, encrypted or decrypted there 32 bits at a time,
 * authenticated with two one-shot hashes, then copied out into a pool buffer. RTP
 * keystream comes ahead of time, a window of a stream's next packet indexes per ECB
 * call (keystream-cache.ts); SRTCP and packets outside a window use one ECB call each
 * (aes-ctr.ts). No cipher or HMAC object is created per packet.
 */
import { AesCtrKeystream } from './aes-ctr.ts';
import { SrtpError, SrtpErrorCode } from './errors.ts';
import { HmacSha1, tagMatches } from './hmac-sha1.ts';
import type { SrtpSessionKeys } from './kdf.ts';
import { KeystreamCache } from './keystream-cache.ts';
import { type SrtpTransform, writeU32, xorU32 } from './transform.ts';

const TAG = 10;
const E_FLAG = 0x80000000;
const M = HmacSha1.MESSAGE_OFFSET;

export class AesCmHmacTransform implements SrtpTransform {
  readonly rtpTagLength = TAG;
  readonly rtcpTagLength = TAG;
  readonly rtcpOverhead = 4 + TAG;
  readonly #rtpKs: AesCtrKeystream;
  readonly #rtcpKs: AesCtrKeystream;
  readonly #rtpMac: HmacSha1;
  readonly #rtcpMac: HmacSha1;
  readonly #rtpSalt: Buffer;
  readonly #rtcpSalt: Buffer;
  readonly #iv = Buffer.alloc(16);
  readonly #windows: KeystreamCache;

  constructor(keys: SrtpSessionKeys) {
    this.#rtpKs = new AesCtrKeystream(keys.rtpKey);
    this.#rtcpKs = new AesCtrKeystream(keys.rtcpKey);
    this.#rtpMac = new HmacSha1(keys.rtpAuthKey);
    this.#rtcpMac = new HmacSha1(keys.rtcpAuthKey, 256);
    this.#rtpSalt = keys.rtpSalt;
    this.#rtcpSalt = keys.rtcpSalt;
    this.#windows = new KeystreamCache(this.#rtpKs, (ssrc, index) => this.#setIv(this.#rtpSalt, ssrc, index));
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

  /**
   * En- or decrypts the `length` payload bytes at `M + headerLength` of the RTP scratch `s`
   * in place: from the stream's keystream window, or with one ECB call outside it.
   */
  #cryptRtp(s: Buffer, headerLength: number, length: number, ssrc: number, index: number): void {
    if (length <= 0) return;
    const w = this.#windows.lookup(ssrc, index, length);
    if (w === undefined) {
      const iv = this.#setIv(this.#rtpSalt, ssrc, index);
      this.#rtpKs.xor(iv, s, M + headerLength, s, M + headerLength, length);
      return;
    }
    // The header is a whole number of 32-bit words (RFC 3550 §5.1, §5.3.1), so the
    // payload starts word-aligned; the last word may run past it into bytes the caller
    // overwrites (the ROC) or ignores, and stays inside the window's stride.
    const sw = this.#rtpMac.words;
    const kw = w.words;
    const d = (M + headerLength) >>> 2;
    const k = ((index - w.start) * w.stride) >>> 2;
    const n = (length + 3) >>> 2;
    for (let i = 0; i < n; i++) sw[d + i] = (sw[d + i] as number) ^ (kw[k + i] as number);
  }

  protectRtp(p: Uint8Array, length: number, headerLength: number, ssrc: number, index: number): Buffer {
    const s = this.#rtpMac.reserve(length + 4);
    s.set(p.length === length ? p : p.subarray(0, length), M); // no view per packet in the usual case
    this.#cryptRtp(s, headerLength, length - headerLength, ssrc, index);
    // HMAC-SHA1(k_a, authenticated portion || ROC), RFC 3711 §4.2.
    writeU32(s, M + length, Math.floor(index / 65536) >>> 0);
    const tag = this.#rtpMac.mac(length + 4);
    const out = Buffer.allocUnsafe(length + TAG);
    s.copy(out, 0, M, M + length);
    out.write(tag, length, TAG, 'latin1');
    return out;
  }

  unprotectRtp(p: Uint8Array, length: number, headerLength: number, ssrc: number, index: number): Buffer {
    const end = length - TAG;
    if (end < headerLength) throw new SrtpError(SrtpErrorCode.TooShort, 'SRTP packet shorter than header and tag');
    const s = this.#rtpMac.reserve(end + 4);
    s.set(p.subarray(0, end), M);
    writeU32(s, M + end, Math.floor(index / 65536) >>> 0);
    if (!tagMatches(this.#rtpMac.mac(end + 4), p, end, TAG)) {
      throw new SrtpError(SrtpErrorCode.AuthFailed, 'SRTP authentication tag mismatch', { details: { ssrc, index } });
    }
    // Authenticated: only now is the keystream (and its window) worked out.
    this.#cryptRtp(s, headerLength, end - headerLength, ssrc, index);
    const out = Buffer.allocUnsafe(end);
    s.copy(out, 0, M, M + end);
    return out;
  }

  protectRtcp(p: Uint8Array, length: number, ssrc: number, index: number): Buffer {
    const s = this.#rtcpMac.reserve(length + 4);
    s.set(p.subarray(0, length), M);
    const iv = this.#setIv(this.#rtcpSalt, ssrc, index);
    this.#rtcpKs.xor(iv, s, M + 8, s, M + 8, length - 8);
    writeU32(s, M + length, (E_FLAG | index) >>> 0);
    const tag = this.#rtcpMac.mac(length + 4);
    const out = Buffer.allocUnsafe(length + 4 + TAG);
    s.copy(out, 0, M, M + length + 4);
    out.write(tag, length + 4, TAG, 'latin1');
    return out;
  }

  rtcpIndexOffset(length: number): number {
    return length - TAG - 4;
  }

  unprotectRtcp(p: Uint8Array, length: number, ssrc: number, eIndex: number): Buffer {
    const end = length - TAG;
    const s = this.#rtcpMac.reserve(end);
    s.set(p.subarray(0, end), M);
    if (!tagMatches(this.#rtcpMac.mac(end), p, end, TAG)) {
      throw new SrtpError(SrtpErrorCode.AuthFailed, 'SRTCP authentication tag mismatch', { details: { ssrc } });
    }
    const plainLength = end - 4;
    if ((eIndex & E_FLAG) !== 0) {
      const iv = this.#setIv(this.#rtcpSalt, ssrc, eIndex & 0x7fffffff);
      this.#rtcpKs.xor(iv, s, M + 8, s, M + 8, plainLength - 8);
    }
    const out = Buffer.allocUnsafe(plainLength);
    s.copy(out, 0, M, M + plainLength);
    return out;
  }

  forgetStream(ssrc: number): void {
    this.#windows.forget(ssrc);
  }
}
