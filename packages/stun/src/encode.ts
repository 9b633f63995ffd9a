/**
 * Encoding a STUN message into one buffer: header, attributes (each padded to 4 bytes,
 * RFC 8489 §14), then — when asked — MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and
 * FINGERPRINT, in that order, each computed with the header length adjusted as
 * RFC 8489 §14.5, §14.6 and §14.7 say.
 */
import { lookupCodec, type StunAttribute } from './attributes.ts';
import { badValue, type ValueCodec } from './codecs.ts';
import { AttrType, HEADER_LENGTH, TRANSACTION_ID_LENGTH } from './constants.ts';
import { StunEncodeError } from './errors.ts';
import { fingerprintOf } from './fingerprint.ts';
import { writeHeader, writeU16, writeU32 } from './header.ts';
import { computeIntegrity } from './integrity.ts';
import { isRawAttribute, type StunMessage } from './message.ts';

/** Options of encodeMessage / encodeInto / encodedLength. */
export interface EncodeOptions {
  /** Append MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) computed with this key. */
  integrityKey?: Uint8Array;
  /** Append MESSAGE-INTEGRITY-SHA256 (HMAC-SHA256, RFC 8489 §14.6) computed with this key. */
  integritySha256Key?: Uint8Array;
  /** Bytes of the HMAC-SHA256 to send: 16–32, a multiple of 4. Default 32. */
  integritySha256Length?: number;
  /** Append FINGERPRINT (RFC 8489 §14.7). Default false. */
  fingerprint?: boolean;
  /**
   * Byte written into attribute padding. Default 0, as RFC 8489 §14 requires ("MUST be
   * set to zero on sending"). Another value only reproduces RFC 5389-era messages,
   * whose padding "may be any value" (RFC 5769's vectors use 0x20).
   */
  paddingByte?: number;
}

/** RFC 8489 §5: the message length field is 16 bits. */
const MAX_ATTRIBUTES_LENGTH = 0xffff & ~3;

function padded(n: number): number {
  return (n + 3) & ~3;
}

/** Encoded value length of each attribute, validating every value. */
function valueLengths(msg: StunMessage): number[] {
  if (!(msg.transactionId instanceof Uint8Array) || msg.transactionId.length !== TRANSACTION_ID_LENGTH) {
    throw badValue('the transaction id must be 12 bytes');
  }
  const lengths = new Array<number>(msg.attributes.length);
  for (let i = 0; i < msg.attributes.length; i++) {
    const a = msg.attributes[i] as StunAttribute;
    if (!Number.isInteger(a.type) || a.type < 0 || a.type > 0xffff) throw badValue(`attribute type ${a.type}`);
    let n: number;
    if (isRawAttribute(a)) {
      if (!(a.raw instanceof Uint8Array)) throw badValue('a raw attribute needs a Uint8Array');
      n = a.raw.length;
    } else {
      const codec = lookupCodec(a.type);
      if (codec === undefined) throw badValue(`attribute type 0x${a.type.toString(16)} has no codec: give it as raw`);
      n = codec.size(a.value);
    }
    if (n > 0xffff) throw badValue(`attribute value of ${n} bytes`);
    lengths[i] = n;
  }
  return lengths;
}

function sha256Length(options: EncodeOptions): number {
  const n = options.integritySha256Length ?? 32;
  if (!Number.isInteger(n) || n < 16 || n > 32 || n % 4 !== 0) {
    throw badValue(`integritySha256Length ${n} is not 16-32 and a multiple of 4`);
  }
  return n;
}

function trailerLength(options: EncodeOptions): number {
  return (
    (options.integrityKey === undefined ? 0 : 24) +
    (options.integritySha256Key === undefined ? 0 : 4 + sha256Length(options)) +
    (options.fingerprint === true ? 8 : 0)
  );
}

function total(lengths: number[], options: EncodeOptions): number {
  let n = HEADER_LENGTH + trailerLength(options);
  for (const l of lengths) n += 4 + padded(l);
  if (n - HEADER_LENGTH > MAX_ATTRIBUTES_LENGTH) throw badValue(`message of ${n} bytes is too long`);
  return n;
}

/** The number of bytes `encodeMessage(msg, options)` produces. Validates all values. */
export function encodedLength(msg: StunMessage, options: EncodeOptions = {}): number {
  return total(valueLengths(msg), options);
}

/**
 * Encodes `msg` into `buf` at `at`. Returns the number of bytes written.
 * @throws StunEncodeError stun_bad_value (a value that does not fit its attribute),
 *   stun_buffer_too_small
 */
export function encodeInto(msg: StunMessage, buf: Uint8Array, at = 0, options: EncodeOptions = {}): number {
  const lengths = valueLengths(msg);
  const size = total(lengths, options);
  if (!Number.isInteger(at) || at < 0 || at + size > buf.length) {
    throw new StunEncodeError('stun_buffer_too_small', `the message needs ${size} bytes at offset ${at}`, {
      size,
      available: buf.length - at,
    });
  }
  write(msg, lengths, size, buf, at, options);
  return size;
}

/**
 * Encodes `msg` into a new buffer of exactly the message's size.
 * @throws StunEncodeError stun_bad_value
 */
export function encodeMessage(msg: StunMessage, options: EncodeOptions = {}): Uint8Array {
  const lengths = valueLengths(msg);
  const size = total(lengths, options);
  const out = new Uint8Array(size);
  write(msg, lengths, size, out, 0, options);
  return out;
}

function write(
  msg: StunMessage,
  lengths: number[],
  size: number,
  buf: Uint8Array,
  at: number,
  options: EncodeOptions,
): void {
  const pad = options.paddingByte ?? 0;
  if (!Number.isInteger(pad) || pad < 0 || pad > 255) throw badValue(`paddingByte ${pad} is not 0-255`);
  writeHeader(buf, at, msg.class, msg.method, size - HEADER_LENGTH, msg.transactionId);
  let p = at + HEADER_LENGTH;
  for (let i = 0; i < lengths.length; i++) {
    const a = msg.attributes[i] as StunAttribute;
    const n = lengths[i] as number;
    writeU16(buf, p, a.type);
    writeU16(buf, p + 2, n);
    if (isRawAttribute(a)) buf.set(a.raw, p + 4);
    else (lookupCodec(a.type) as ValueCodec<unknown>).write(a.value, buf, p + 4, at);
    buf.fill(pad, p + 4 + n, p + 4 + padded(n));
    p += 4 + padded(n);
  }
  if (options.integrityKey !== undefined) {
    // RFC 8489 §14.5: the length covers up to the end of MESSAGE-INTEGRITY.
    const mac = computeIntegrity('sha1', options.integrityKey, buf, at, p, p + 24 - at - HEADER_LENGTH);
    writeU16(buf, p, AttrType.MessageIntegrity);
    writeU16(buf, p + 2, 20);
    buf.set(mac, p + 4);
    p += 24;
  }
  if (options.integritySha256Key !== undefined) {
    // RFC 8489 §14.6: the same, up to the end of MESSAGE-INTEGRITY-SHA256; the HMAC may be truncated.
    const n = sha256Length(options);
    const mac = computeIntegrity('sha256', options.integritySha256Key, buf, at, p, p + 4 + n - at - HEADER_LENGTH);
    writeU16(buf, p, AttrType.MessageIntegritySha256);
    writeU16(buf, p + 2, n);
    buf.set(mac.subarray(0, n), p + 4);
    p += 4 + n;
  }
  if (options.fingerprint === true) {
    // RFC 8489 §14.7: CRC-32 of everything before FINGERPRINT, the header's length (written
    // by writeHeader, never changed: HMACs adjust a copy) already including FINGERPRINT.
    writeU16(buf, p, AttrType.Fingerprint);
    writeU16(buf, p + 2, 4);
    writeU32(buf, p + 4, fingerprintOf(at === 0 ? buf : buf.subarray(at), p - at));
  }
}
