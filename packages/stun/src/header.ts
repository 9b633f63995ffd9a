/**
 * The 20-byte STUN header (RFC 8489 §5):
 *
 * ```
 *  0                   1                   2                   3
 *  0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 * |0 0|     STUN Message Type     |         Message Length        |
 * |                         Magic Cookie                          |
 * |                     Transaction ID (96 bits)                  |
 * ```
 *
 * and the message type's interleaving of class and method bits:
 * `M11 M10 M9 M8 M7 C1 M6 M5 M4 C0 M3 M2 M1 M0`.
 */
import { HEADER_LENGTH, MAGIC_COOKIE, MAX_METHOD, type StunClass } from './constants.ts';
import { StunDecodeError, StunEncodeError } from './errors.ts';

/** RFC 8489 §5: the 14-bit message type of `method` in `cls`. */
export function encodeMessageType(cls: StunClass, method: number): number {
  if (!Number.isInteger(method) || method < 0 || method > MAX_METHOD) {
    throw new StunEncodeError('stun_bad_value', `method ${method} does not fit 12 bits`);
  }
  return (method & 0x000f) | ((method & 0x0070) << 1) | ((method & 0x0f80) << 2) | ((cls & 1) << 4) | ((cls & 2) << 7);
}

/** RFC 8489 §5: the class bits (C1 C0) of a message type. */
export function classOf(type: number): StunClass {
  return (((type >> 4) & 1) | ((type >> 7) & 2)) as StunClass;
}

/** RFC 8489 §5: the 12 method bits of a message type. */
export function methodOf(type: number): number {
  return (type & 0x000f) | ((type >> 1) & 0x0070) | ((type >> 2) & 0x0f80);
}

/** Big-endian 16-bit read. */
export function readU16(buf: Uint8Array, at: number): number {
  return ((buf[at] as number) << 8) | (buf[at + 1] as number);
}

/** Big-endian 32-bit read, unsigned. */
export function readU32(buf: Uint8Array, at: number): number {
  return (
    (((buf[at] as number) << 24) |
      ((buf[at + 1] as number) << 16) |
      ((buf[at + 2] as number) << 8) |
      (buf[at + 3] as number)) >>>
    0
  );
}

/** Big-endian 16-bit write. */
export function writeU16(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value >>> 8;
  buf[at + 1] = value;
}

/** Big-endian 32-bit write. */
export function writeU32(buf: Uint8Array, at: number, value: number): void {
  buf[at] = value >>> 24;
  buf[at + 1] = value >>> 16;
  buf[at + 2] = value >>> 8;
  buf[at + 3] = value;
}

/**
 * Validates the header of `buf` as one whole STUN message and returns the declared
 * attribute length. Checks, in order (RFC 8489 §5, §6.3):
 * at least 20 bytes; first two bits zero; the magic cookie; the length is a multiple of
 * 4; the buffer holds exactly 20 + length bytes.
 *
 * @throws StunDecodeError stun_truncated, stun_not_stun, stun_bad_magic_cookie, stun_bad_length
 */
export function checkHeader(buf: Uint8Array): number {
  if (buf.length < HEADER_LENGTH) {
    throw new StunDecodeError('stun_truncated', `${buf.length} bytes is shorter than the 20-byte STUN header`);
  }
  // RFC 8489 §5: "The most significant 2 bits of every STUN message MUST be zeroes."
  if (((buf[0] as number) & 0xc0) !== 0) {
    throw new StunDecodeError('stun_not_stun', 'the first two bits are not zero');
  }
  // RFC 8489 §5: "The Magic Cookie field MUST contain the fixed value 0x2112A442."
  if (readU32(buf, 4) !== MAGIC_COOKIE) {
    throw new StunDecodeError('stun_bad_magic_cookie', 'bytes 4-7 are not the magic cookie 0x2112A442');
  }
  const length = readU16(buf, 2);
  // RFC 8489 §5: "the last 2 bits of this field are always zero" (attributes are padded to 4).
  if ((length & 3) !== 0) {
    throw new StunDecodeError('stun_bad_length', `message length ${length} is not a multiple of 4`, { length });
  }
  if (HEADER_LENGTH + length > buf.length) {
    throw new StunDecodeError(
      'stun_truncated',
      `message declares ${length} bytes of attributes, has ${buf.length - 20}`,
      {
        length,
        available: buf.length - HEADER_LENGTH,
      },
    );
  }
  if (HEADER_LENGTH + length < buf.length) {
    throw new StunDecodeError('stun_bad_length', `${buf.length - HEADER_LENGTH - length} bytes after the message`, {
      length,
      available: buf.length - HEADER_LENGTH,
    });
  }
  return length;
}

/** Writes the 20-byte header at `at`. `transactionId` must be 12 bytes. */
export function writeHeader(
  buf: Uint8Array,
  at: number,
  cls: StunClass,
  method: number,
  length: number,
  transactionId: Uint8Array,
): void {
  writeU16(buf, at, encodeMessageType(cls, method));
  writeU16(buf, at + 2, length);
  writeU32(buf, at + 4, MAGIC_COOKIE);
  buf.set(transactionId, at + 8);
}
