/**
 * The FINGERPRINT attribute (RFC 8489 §14.7): CRC-32 (ISO HDLC, as in zlib) of the
 * message up to the attribute, XOR 0x5354554E, with the header's length field already
 * covering the FINGERPRINT attribute itself.
 */
import { crc32 } from 'node:zlib';
import { AttrType, FINGERPRINT_XOR, HEADER_LENGTH } from './constants.ts';
import { readU16, readU32 } from './header.ts';

/** The FINGERPRINT value of the message in `buf[0, at)`, `at` being the FINGERPRINT attribute's offset. */
export function fingerprintOf(buf: Uint8Array, at: number): number {
  return (crc32(buf.subarray(0, at)) ^ FINGERPRINT_XOR) >>> 0;
}

/**
 * True when `bytes` is a STUN message whose last attribute is a FINGERPRINT that
 * matches. A cheap check without a full decode, for demultiplexing (RFC 8489 §7,
 * §14.7: FINGERPRINT "can aid in distinguishing STUN packets from packets of other protocols").
 * Never throws.
 */
export function verifyFingerprint(bytes: Uint8Array): boolean {
  const n = bytes.length;
  if (n < HEADER_LENGTH + 8 || ((bytes[0] as number) & 0xc0) !== 0) return false;
  if (readU16(bytes, 2) !== n - HEADER_LENGTH) return false;
  const at = n - 8;
  if (readU16(bytes, at) !== AttrType.Fingerprint || readU16(bytes, at + 2) !== 4) return false;
  return fingerprintOf(bytes, at) === readU32(bytes, at + 4);
}
