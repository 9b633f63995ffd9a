/**
 * Value codecs of the attributes with a shape of their own: ERROR-CODE,
 * ADDRESS-ERROR-CODE, UNKNOWN-ATTRIBUTES, PASSWORD-ALGORITHM(S),
 * MESSAGE-INTEGRITY-SHA256, EVEN-PORT, CHANGE-REQUEST and ICMP, with their value types.
 */
import { badAttribute, badValue, textCodec, type ValueCodec, writeUtf8 } from './codecs.ts';
import { readU16, readU32, writeU16, writeU32 } from './header.ts';
import { TEXT_LIMITS } from './limits.ts';

/** ERROR-CODE (RFC 8489 §14.8): a code 300–699 and a reason phrase. */
export interface ErrorCodeValue {
  code: number;
  reason: string;
}

/** ADDRESS-ERROR-CODE (RFC 8656 §18.12): ERROR-CODE for one address family. */
export interface AddressErrorCodeValue extends ErrorCodeValue {
  /** 0x01 IPv4, 0x02 IPv6 (AddressFamily). */
  family: number;
}

/** PASSWORD-ALGORITHM (RFC 8489 §14.12) and one entry of PASSWORD-ALGORITHMS (§14.11). */
export interface PasswordAlgorithmValue {
  /** PasswordAlgorithm.MD5 (1) or .SHA256 (2); others are carried as-is. */
  algorithm: number;
  /** Algorithm parameters; empty for MD5 and SHA-256. */
  parameters: Uint8Array;
}

/** ICMP (RFC 8656 §18.13). */
export interface IcmpValue {
  type: number;
  code: number;
  /** The ICMP message's 32-bit error data (e.g. the MTU of "fragmentation needed"). */
  data: number;
}

/** CHANGE-REQUEST (RFC 5780 §7.2). */
export interface ChangeRequestValue {
  changeIp: boolean;
  changePort: boolean;
}

/** EVEN-PORT (RFC 8656 §18.7). */
export interface EvenPortValue {
  /** R bit: also reserve the next-higher port. */
  reserve: boolean;
}

const reasonCodec = textCodec('reason phrase', TEXT_LIMITS);

function checkErrorCode(code: number): void {
  // RFC 8489 §14.8: class 3–6, number 0–99.
  if (!Number.isInteger(code) || code < 300 || code > 699) throw badValue(`error code ${code} is not 300-699`);
}

function readErrorCode(buf: Uint8Array, at: number, length: number): ErrorCodeValue {
  if (length < 4) throw badAttribute(`error code attribute of ${length} bytes`);
  const cls = (buf[at + 2] as number) & 0x07;
  const num = buf[at + 3] as number;
  // RFC 8489 §14.8: "The Class represents the hundreds digit … from 3 to 6."
  if (cls < 3 || cls > 6 || num > 99) throw badAttribute(`error code class ${cls} number ${num}`);
  return { code: cls * 100 + num, reason: reasonCodec.read(buf, at + 4, length - 4, 0) };
}

/** ERROR-CODE (RFC 8489 §14.8): 21 reserved bits, class (3 bits), number (8 bits), reason. */
export const errorCodeCodec: ValueCodec<ErrorCodeValue> = {
  size(value) {
    checkErrorCode(value.code);
    return 4 + reasonCodec.size(value.reason);
  },
  write(value, buf, at) {
    writeU16(buf, at, 0);
    buf[at + 2] = Math.floor(value.code / 100);
    buf[at + 3] = value.code % 100;
    writeUtf8(value.reason, buf, at + 4);
  },
  read: (buf, at, length) => readErrorCode(buf, at, length),
};

/** ADDRESS-ERROR-CODE (RFC 8656 §18.12): family (8 bits), 13 reserved bits, class, number, reason. */
export const addressErrorCodeCodec: ValueCodec<AddressErrorCodeValue> = {
  size(value) {
    if (!Number.isInteger(value.family) || value.family < 0 || value.family > 0xff)
      throw badValue('family is not 0-255');
    return errorCodeCodec.size(value);
  },
  write(value, buf, at, msgStart) {
    errorCodeCodec.write(value, buf, at, msgStart);
    buf[at] = value.family;
  },
  read: (buf, at, length) => ({ family: buf[at] as number, ...readErrorCode(buf, at, length) }),
};

/** UNKNOWN-ATTRIBUTES (RFC 8489 §14.13): a list of 16-bit attribute types. */
export const unknownAttributesCodec: ValueCodec<number[]> = {
  size(value) {
    for (const t of value) if (!Number.isInteger(t) || t < 0 || t > 0xffff) throw badValue(`attribute type ${t}`);
    return value.length * 2;
  },
  write(value, buf, at) {
    for (let i = 0; i < value.length; i++) writeU16(buf, at + i * 2, value[i] as number);
  },
  read(buf, at, length) {
    if ((length & 1) !== 0) throw badAttribute(`UNKNOWN-ATTRIBUTES of odd length ${length}`);
    const types: number[] = [];
    for (let i = 0; i < length; i += 2) types.push(readU16(buf, at + i));
    return types;
  },
};

function padded(n: number): number {
  return (n + 3) & ~3;
}

function algorithmSize(value: PasswordAlgorithmValue): number {
  if (!Number.isInteger(value.algorithm) || value.algorithm < 0 || value.algorithm > 0xffff) {
    throw badValue(`password algorithm ${value.algorithm}`);
  }
  if (!(value.parameters instanceof Uint8Array) || value.parameters.length > 0xffff) {
    throw badValue('password algorithm parameters');
  }
  return 4 + padded(value.parameters.length);
}

function writeAlgorithm(value: PasswordAlgorithmValue, buf: Uint8Array, at: number): number {
  writeU16(buf, at, value.algorithm);
  writeU16(buf, at + 2, value.parameters.length);
  buf.set(value.parameters, at + 4);
  buf.fill(0, at + 4 + value.parameters.length, at + 4 + padded(value.parameters.length));
  return 4 + padded(value.parameters.length);
}

/** Reads one algorithm entry; returns it and its padded size. */
function readAlgorithm(buf: Uint8Array, at: number, end: number): [PasswordAlgorithmValue, number] {
  if (at + 4 > end) throw badAttribute('password algorithm entry truncated');
  const paramLength = readU16(buf, at + 2);
  // RFC 8489 §14.11, §14.12: parameters are padded to a 32-bit boundary.
  const size = 4 + padded(paramLength);
  if (at + size > end) throw badAttribute('password algorithm parameters run past the attribute');
  return [{ algorithm: readU16(buf, at), parameters: buf.subarray(at + 4, at + 4 + paramLength) }, size];
}

/** PASSWORD-ALGORITHM (RFC 8489 §14.12): algorithm, parameter length, parameters (padded). */
export const passwordAlgorithmCodec: ValueCodec<PasswordAlgorithmValue> = {
  size: algorithmSize,
  write: (value, buf, at) => void writeAlgorithm(value, buf, at),
  read(buf, at, length) {
    const [value, size] = readAlgorithm(buf, at, at + length);
    if (size !== length) throw badAttribute('PASSWORD-ALGORITHM length disagrees with its parameters');
    return value;
  },
};

/** PASSWORD-ALGORITHMS (RFC 8489 §14.11): a list of PASSWORD-ALGORITHM values. */
export const passwordAlgorithmsCodec: ValueCodec<PasswordAlgorithmValue[]> = {
  size: (value) => value.reduce((n, v) => n + algorithmSize(v), 0),
  write(value, buf, at) {
    let p = at;
    for (const v of value) p += writeAlgorithm(v, buf, p);
  },
  read(buf, at, length) {
    const list: PasswordAlgorithmValue[] = [];
    const end = at + length;
    for (let p = at; p < end; ) {
      const [value, size] = readAlgorithm(buf, p, end);
      list.push(value);
      p += size;
    }
    return list;
  },
};

/** MESSAGE-INTEGRITY-SHA256 (RFC 8489 §14.6): 16 to 32 bytes, a multiple of 4. */
export const integritySha256Codec: ValueCodec<Uint8Array> = {
  size(value) {
    if (!(value instanceof Uint8Array) || value.length < 16 || value.length > 32 || value.length % 4 !== 0) {
      throw badValue('MESSAGE-INTEGRITY-SHA256 must be 16-32 bytes, a multiple of 4');
    }
    return value.length;
  },
  write: (value, buf, at) => buf.set(value, at),
  read(buf, at, length) {
    if (length < 16 || length > 32 || length % 4 !== 0)
      throw badAttribute(`MESSAGE-INTEGRITY-SHA256 of ${length} bytes`);
    return buf.subarray(at, at + length);
  },
};

/** EVEN-PORT (RFC 8656 §18.7): one byte, the R bit first, then 7 RFFU bits. */
export const evenPortCodec: ValueCodec<EvenPortValue> = {
  size: () => 1,
  write(value, buf, at) {
    buf[at] = value.reserve ? 0x80 : 0;
  },
  read(buf, at, length) {
    if (length !== 1) throw badAttribute(`EVEN-PORT of ${length} bytes, expected 1`);
    return { reserve: ((buf[at] as number) & 0x80) !== 0 };
  },
};

/** CHANGE-REQUEST (RFC 5780 §7.2): 32 bits; A (0x4) change IP, B (0x2) change port. */
export const changeRequestCodec: ValueCodec<ChangeRequestValue> = {
  size: () => 4,
  write(value, buf, at) {
    writeU32(buf, at, (value.changeIp ? 4 : 0) | (value.changePort ? 2 : 0));
  },
  read(buf, at, length) {
    if (length !== 4) throw badAttribute(`CHANGE-REQUEST of ${length} bytes, expected 4`);
    const flags = buf[at + 3] as number;
    return { changeIp: (flags & 4) !== 0, changePort: (flags & 2) !== 0 };
  },
};

/** ICMP (RFC 8656 §18.13): 16 reserved bits, type, code, 32-bit error data. */
export const icmpCodec: ValueCodec<IcmpValue> = {
  size(value) {
    for (const [n, max] of [
      [value.type, 0xff],
      [value.code, 0xff],
      [value.data, 0xffffffff],
    ] as const) {
      if (!Number.isInteger(n) || n < 0 || n > max) throw badValue(`ICMP field ${n}`);
    }
    return 8;
  },
  write(value, buf, at) {
    writeU16(buf, at, 0);
    buf[at + 2] = value.type;
    buf[at + 3] = value.code;
    writeU32(buf, at + 4, value.data);
  },
  read(buf, at, length) {
    if (length !== 8) throw badAttribute(`ICMP of ${length} bytes, expected 8`);
    return { type: buf[at + 2] as number, code: buf[at + 3] as number, data: readU32(buf, at + 4) };
  },
};
