/**
 * The per-profile packet transform behind `SrtpSession`: it encrypts and authenticates
 * one packet whose index the session has already worked out. No per-SSRC state here.
 */
export interface SrtpTransform {
  readonly rtpTagLength: number;
  readonly rtcpTagLength: number;
  /** Bytes SRTCP adds: E|index word plus tag. */
  readonly rtcpOverhead: number;
  /**
   * Returns a new buffer: the header as is, the payload encrypted, the tag appended.
   * `index` is the 48-bit SRTP packet index ROC·2^16 + SEQ (RFC 3711 §3.3.1).
   */
  protectRtp(p: Uint8Array, length: number, headerLength: number, ssrc: number, index: number): Buffer;
  /** Verifies the tag, then returns a new buffer with the plain packet; throws `srtp_auth_failed`. */
  unprotectRtp(p: Uint8Array, length: number, headerLength: number, ssrc: number, index: number): Buffer;
  /** Returns the SRTCP packet (E flag set, 31-bit `index`, RFC 3711 §3.4 / RFC 7714 §9). */
  protectRtcp(p: Uint8Array, length: number, ssrc: number, index: number): Buffer;
  /** Offset of the E|index word in an SRTCP packet of `length` bytes. */
  rtcpIndexOffset(length: number): number;
  /** Verifies and decrypts (when E is set) an SRTCP packet; `eIndex` is its E|index word. */
  unprotectRtcp(p: Uint8Array, length: number, ssrc: number, eIndex: number): Buffer;
  /** Drops any per-SSRC cache (keystream computed ahead) of an ended stream. */
  forgetStream?(ssrc: number): void;
}

/** Big-endian 32-bit write without allocation. */
export function writeU32(b: Uint8Array, o: number, v: number): void {
  b[o] = v >>> 24;
  b[o + 1] = (v >>> 16) & 0xff;
  b[o + 2] = (v >>> 8) & 0xff;
  b[o + 3] = v & 0xff;
}

/** XORs the big-endian 32-bit `v` into `b` at `o`. */
export function xorU32(b: Uint8Array, o: number, v: number): void {
  b[o] = (b[o] as number) ^ (v >>> 24);
  b[o + 1] = (b[o + 1] as number) ^ ((v >>> 16) & 0xff);
  b[o + 2] = (b[o + 2] as number) ^ ((v >>> 8) & 0xff);
  b[o + 3] = (b[o + 3] as number) ^ (v & 0xff);
}
