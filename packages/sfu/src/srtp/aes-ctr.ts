/**
 * AES-128 counter-mode keystream from one long-lived AES-128-ECB cipher.
 *
 * node:crypto's `createCipheriv('aes-128-ctr', key, iv)` needs a new cipher object per
 * packet (the IV is fixed at creation), and creating it is most of the cost of an SRTP
 * protect. Counter mode is only AES of successive counter blocks (RFC 3711 §4.1.1), so
 * one ECB cipher with auto-padding off, fed a batch of counter blocks per packet, gives
 * the same keystream with one `update` call and no per-packet cipher object.
 */
import { type Cipheriv, createCipheriv, type KeyObject } from 'node:crypto';
import { endianness } from 'node:os';

/** Counter blocks are written as 32-bit words in host order (little-endian hosts). */
const LITTLE_ENDIAN = endianness() === 'LE';

/** Largest payload one call encrypts: 2^16 counter blocks (RFC 3711 §4.1.1). */
export const MAX_CTR_BYTES = 65536 * 16;

export class AesCtrKeystream {
  readonly #ecb: Cipheriv;
  /** Counter blocks of the current packet; grows to the largest packet seen. */
  #blocks: Buffer = Buffer.alloc(1504);
  #words = new Uint32Array(this.#blocks.buffer, this.#blocks.byteOffset, this.#blocks.length >>> 2);

  constructor(key: KeyObject | Buffer) {
    this.#ecb = createCipheriv('aes-128-ecb', key, null);
    this.#ecb.setAutoPadding(false);
  }

  /**
   * XORs `length` bytes of `src` from `srcOffset` with the keystream for the 16-byte
   * `iv` (its last two bytes must be zero: they are the block counter) into `dst` at
   * `dstOffset`. `src` and `dst` may be the same buffer at the same offset.
   */
  xor(iv: Buffer, src: Uint8Array, srcOffset: number, dst: Uint8Array, dstOffset: number, length: number): void {
    if (length <= 0) return;
    const n = (length + 15) >>> 4;
    const size = n << 4;
    if (this.#blocks.length < size) {
      this.#blocks = Buffer.alloc(Math.max(size, this.#blocks.length * 2));
      this.#words = new Uint32Array(this.#blocks.buffer, this.#blocks.byteOffset, this.#blocks.length >>> 2);
    }
    this.#writeCounters(iv, 0, n);
    const ks = this.#ecb.update(this.#blocks.subarray(0, size));
    xorInto(ks, src, srcOffset, dst, dstOffset, length);
  }

  /**
   * Writes the keystreams of `count` IVs, `stride` bytes each (a multiple of 16), one
   * after another into `dst` from offset 0, in a single ECB call: `ivAt(n)` gives the
   * n-th IV (last two bytes zero). The ECB output comes back as a latin1 string, which
   * costs no ArrayBuffer backing store, and is written into `dst`.
   */
  fill(dst: Buffer, count: number, stride: number, ivAt: (n: number) => Buffer): void {
    const size = count * stride;
    if ((stride & 15) !== 0 || dst.length < size) throw new RangeError('keystream fill: bad stride or short buffer');
    if (this.#blocks.length < size) {
      this.#blocks = Buffer.alloc(size);
      this.#words = new Uint32Array(this.#blocks.buffer, this.#blocks.byteOffset, this.#blocks.length >>> 2);
    }
    const perPacket = stride >>> 4;
    for (let n = 0; n < count; n++) this.#writeCounters(ivAt(n), n * perPacket, perPacket);
    dst.write(this.#ecb.update(this.#blocks.subarray(0, size), undefined, 'latin1'), 0, size, 'latin1');
  }

  /** Counter blocks iv‖0 … iv‖(n−1) into the pending blocks from block `at` (RFC 3711 §4.1.1). */
  #writeCounters(iv: Buffer, at: number, n: number): void {
    if (LITTLE_ENDIAN) {
      // Four word writes per block instead of a 14-byte copy: the copy dominated.
      const w = this.#words;
      const w0 = iv.readUInt32LE(0);
      const w1 = iv.readUInt32LE(4);
      const w2 = iv.readUInt32LE(8);
      const w3 = (iv[12] as number) | ((iv[13] as number) << 8);
      for (let j = 0, o = at << 2; j < n; j++, o += 4) {
        w[o] = w0;
        w[o + 1] = w1;
        w[o + 2] = w2;
        w[o + 3] = (w3 | ((j >>> 8) << 16) | ((j & 0xff) << 24)) >>> 0;
      }
      return;
    }
    const blocks = this.#blocks;
    for (let j = 0; j < n; j++) {
      const o = (at + j) << 4;
      iv.copy(blocks, o, 0, 14);
      blocks[o + 14] = j >>> 8;
      blocks[o + 15] = j & 0xff;
    }
  }

  /** The raw keystream for `iv`, `length` bytes (key derivation, tests). */
  keystream(iv: Buffer, length: number): Buffer {
    const out = Buffer.alloc(length);
    this.xor(iv, out, 0, out, 0, length);
    return out;
  }
}

/** dst[dstOffset + i] = src[srcOffset + i] ^ ks[i], 32 bits at a time where it can. */
function xorInto(ks: Buffer, src: Uint8Array, so: number, dst: Uint8Array, d: number, length: number): void {
  let i = 0;
  if (((src.byteOffset + so) & 3) === 0 && ((dst.byteOffset + d) & 3) === 0 && (ks.byteOffset & 3) === 0) {
    const words = length >>> 2;
    const s32 = new Uint32Array(src.buffer, src.byteOffset + so, words);
    const d32 = new Uint32Array(dst.buffer, dst.byteOffset + d, words);
    const k32 = new Uint32Array(ks.buffer, ks.byteOffset, words);
    for (let w = 0; w < words; w++) d32[w] = (s32[w] as number) ^ (k32[w] as number);
    i = words << 2;
  }
  for (; i < length; i++) dst[d + i] = (src[so + i] as number) ^ (ks[i] as number);
}
