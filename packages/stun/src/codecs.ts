/**
 * Value codecs for attribute shapes: addresses, XOR-addresses, text with length limits,
 * integers, flags and raw bytes. `attributes.ts` assigns one to each attribute type.
 *
 * A codec reads a value straight out of the message buffer (`buf[at, at + length)`,
 * no copy for the fixed shapes) and writes one straight into the encoder's buffer.
 * `msgStart` is the offset of the message header in `buf`: XOR-addresses xor with the
 * magic cookie and transaction id found there (RFC 8489 §14.2).
 */
import { AddressFamily } from './constants.ts';
import { StunDecodeError, StunEncodeError } from './errors.ts';
import { readU16, readU32, writeU16, writeU32 } from './header.ts';
import { formatIPv4, formatIPv6, parseIp, type TransportAddress } from './ip.ts';

export interface ValueCodec<T> {
  /** Length in bytes of the encoded value (before padding). Validates: throws StunEncodeError. */
  size(value: T): number;
  /** Writes `value` at `buf[at]`; `size(value)` bytes are free there. */
  write(value: T, buf: Uint8Array, at: number, msgStart: number): void;
  /** Reads the value of `length` bytes at `buf[at]`. Throws StunDecodeError stun_bad_attribute. */
  read(buf: Uint8Array, at: number, length: number, msgStart: number): T;
}

export function badAttribute(what: string, details?: Record<string, unknown>): StunDecodeError {
  return new StunDecodeError('stun_bad_attribute', what, details);
}

export function badValue(what: string): StunEncodeError {
  return new StunEncodeError('stun_bad_value', what);
}

function checkLength(length: number, expected: number, what: string): void {
  if (length !== expected) throw badAttribute(`${what}: ${length} bytes, expected ${expected}`);
}

// ------------------------------------------------------------------ addresses

function addressBytes(value: TransportAddress): Uint8Array {
  if (!Number.isInteger(value.port) || value.port < 0 || value.port > 0xffff) {
    throw badValue(`port ${value.port} is not 0-65535`);
  }
  const bytes = parseIp(value.address);
  const expected = value.family === 'IPv4' ? 4 : value.family === 'IPv6' ? 16 : -1;
  if (bytes === undefined || bytes.length !== expected) {
    throw badValue(`"${value.address}" is not an ${value.family} address`);
  }
  return bytes;
}

/**
 * MAPPED-ADDRESS shape (RFC 8489 §14.1): reserved byte, family (0x01 IPv4, 0x02 IPv6),
 * port, then 4 or 16 address bytes. With `xor`, the XOR-MAPPED-ADDRESS shape
 * (RFC 8489 §14.2): port xor the cookie's top 16 bits, address xor cookie (IPv4) or
 * cookie ‖ transaction id (IPv6).
 */
export function addressCodec(xor: boolean): ValueCodec<TransportAddress> {
  return {
    size: (value) => 4 + addressBytes(value).length,
    write(value, buf, at, msgStart) {
      const bytes = addressBytes(value);
      buf[at] = 0;
      buf[at + 1] = bytes.length === 4 ? AddressFamily.IPv4 : AddressFamily.IPv6;
      // RFC 8489 §14.2: X-Port is the port xor the most significant 16 bits of the cookie.
      const keyAt = msgStart + 4; // magic cookie, then transaction id
      writeU16(buf, at + 2, xor ? value.port ^ readU16(buf, keyAt) : value.port);
      for (let i = 0; i < bytes.length; i++) {
        buf[at + 4 + i] = xor ? (bytes[i] as number) ^ (buf[keyAt + i] as number) : (bytes[i] as number);
      }
    },
    read(buf, at, length, msgStart) {
      if (length < 4) throw badAttribute(`address attribute of ${length} bytes`);
      const family = buf[at + 1] as number;
      const size = family === AddressFamily.IPv4 ? 4 : family === AddressFamily.IPv6 ? 16 : 0;
      if (size === 0) throw badAttribute(`unknown address family 0x${family.toString(16)}`, { family });
      checkLength(length, 4 + size, 'address attribute');
      const keyAt = msgStart + 4;
      const port = xor ? readU16(buf, at + 2) ^ readU16(buf, keyAt) : readU16(buf, at + 2);
      let address: string;
      if (!xor) {
        address = size === 4 ? formatIPv4(buf, at + 4) : formatIPv6(buf, at + 4);
      } else if (size === 4) {
        const x = (i: number): number => (buf[at + 4 + i] as number) ^ (buf[keyAt + i] as number);
        address = `${x(0)}.${x(1)}.${x(2)}.${x(3)}`;
      } else {
        const plain = new Uint8Array(16);
        for (let i = 0; i < 16; i++) plain[i] = (buf[at + 4 + i] as number) ^ (buf[keyAt + i] as number);
        address = formatIPv6(plain);
      }
      return { family: size === 4 ? 'IPv4' : 'IPv6', address, port };
    },
  };
}

// ------------------------------------------------------------------ text

const utf8Decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Encoder = new TextEncoder();

/** Strict UTF-8 decode of `buf[at, at + length)`; invalid UTF-8 is stun_bad_attribute. */
export function readUtf8(buf: Uint8Array, at: number, length: number, what: string): string {
  try {
    return utf8Decoder.decode(buf.subarray(at, at + length));
  } catch {
    throw badAttribute(`${what} is not valid UTF-8`);
  }
}

/** UTF-8 length of a well-formed string; throws stun_bad_value for lone surrogates. */
export function utf8Length(value: string, what: string): number {
  if (typeof value !== 'string' || !value.isWellFormed()) throw badValue(`${what} is not a well-formed string`);
  return Buffer.byteLength(value, 'utf8');
}

export function writeUtf8(value: string, buf: Uint8Array, at: number): void {
  utf8Encoder.encodeInto(value, buf.subarray(at));
}

/** Limits of a text attribute. */
export interface TextLimits {
  /** Largest UTF-8 length a sender may use. */
  maxEncodeBytes: number;
  /** Largest UTF-8 length a receiver accepts. */
  maxDecodeBytes: number;
  /** Largest number of characters (code points) a sender may use, if limited. */
  maxChars?: number;
}

function codePoints(value: string): number {
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff) n++;
  }
  return n;
}

/** UTF-8 text with the RFC's limits (USERNAME RFC 8489 §14.3, REALM §14.9, NONCE §14.10, SOFTWARE §14.14). */
export function textCodec(what: string, limits: TextLimits): ValueCodec<string> {
  return {
    size(value) {
      const bytes = utf8Length(value, what);
      if (bytes > limits.maxEncodeBytes) throw badValue(`${what} is ${bytes} bytes, at most ${limits.maxEncodeBytes}`);
      if (limits.maxChars !== undefined && codePoints(value) > limits.maxChars) {
        throw badValue(`${what} has more than ${limits.maxChars} characters`);
      }
      return bytes;
    },
    write: (value, buf, at) => writeUtf8(value, buf, at),
    read(buf, at, length) {
      if (length > limits.maxDecodeBytes) {
        throw badAttribute(`${what} is ${length} bytes, at most ${limits.maxDecodeBytes}`, { length });
      }
      return readUtf8(buf, at, length, what);
    },
  };
}

// ------------------------------------------------------------------ numbers and flags

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) throw badValue(`${what} ${value} is not 0-${max}`);
}

/** A 32-bit unsigned integer (LIFETIME, PRIORITY, CONNECTION-ID, FINGERPRINT). */
export function uint32Codec(what: string): ValueCodec<number> {
  return {
    size(value) {
      checkUint(value, 0xffffffff, what);
      return 4;
    },
    write: (value, buf, at) => writeU32(buf, at, value),
    read(buf, at, length) {
      checkLength(length, 4, what);
      return readU32(buf, at);
    },
  };
}

/**
 * An unsigned integer of `bits` (8 or 16) at the start of a 4-byte value whose other
 * bytes are RFFU: written as zero, ignored on receipt (CHANNEL-NUMBER RFC 8656 §18.1,
 * REQUESTED-TRANSPORT §18.8, REQUESTED-ADDRESS-FAMILY §18.6, RESPONSE-PORT RFC 5780 §7.5).
 */
export function leadingUintCodec(what: string, bits: 8 | 16): ValueCodec<number> {
  const max = bits === 8 ? 0xff : 0xffff;
  return {
    size(value) {
      checkUint(value, max, what);
      return 4;
    },
    write(value, buf, at) {
      writeU32(buf, at, bits === 8 ? value << 24 : value << 16);
    },
    read(buf, at, length) {
      checkLength(length, 4, what);
      return bits === 8 ? (buf[at] as number) : readU16(buf, at);
    },
  };
}

/** A 64-bit unsigned integer as a bigint (ICE-CONTROLLED/-CONTROLLING, RFC 8445 §16.1). */
export function uint64Codec(what: string): ValueCodec<bigint> {
  return {
    size(value) {
      if (typeof value !== 'bigint' || value < 0n || value > 0xffffffffffffffffn)
        throw badValue(`${what} is not a u64`);
      return 8;
    },
    write(value, buf, at) {
      writeU32(buf, at, Number(value >> 32n));
      writeU32(buf, at + 4, Number(value & 0xffffffffn));
    },
    read(buf, at, length) {
      checkLength(length, 8, what);
      return (BigInt(readU32(buf, at)) << 32n) | BigInt(readU32(buf, at + 4));
    },
  };
}

/** An attribute whose presence is its meaning, with an empty value (USE-CANDIDATE, DONT-FRAGMENT). */
export function emptyCodec(what: string): ValueCodec<true> {
  return {
    size: () => 0,
    write() {},
    read(_buf, _at, length) {
      checkLength(length, 0, what);
      return true;
    },
  };
}

/**
 * Raw bytes. `fixed`: exactly that many (RESERVATION-TOKEN 8, USERHASH 32,
 * MESSAGE-INTEGRITY 20); otherwise any length up to `max`. Decoded values are views
 * into the message buffer (no copy): valid as long as that buffer is not reused.
 */
export function bytesCodec(what: string, fixed?: number, max = 0xffff - 4): ValueCodec<Uint8Array> {
  return {
    size(value) {
      if (!(value instanceof Uint8Array)) throw badValue(`${what} must be a Uint8Array`);
      if (fixed !== undefined && value.length !== fixed) throw badValue(`${what} must be ${fixed} bytes`);
      if (value.length > max) throw badValue(`${what} is ${value.length} bytes, at most ${max}`);
      return value.length;
    },
    write: (value, buf, at) => buf.set(value, at),
    read(buf, at, length) {
      if (fixed !== undefined) checkLength(length, fixed, what);
      else if (length > max) throw badAttribute(`${what} is ${length} bytes, at most ${max}`);
      return buf.subarray(at, at + length);
    },
  };
}
