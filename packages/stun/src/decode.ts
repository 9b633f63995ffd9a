/**
 * Decoding one STUN message. `decodeMessage` validates the framing (header, attribute
 * bounds, the place of MESSAGE-INTEGRITY/FINGERPRINT, the fingerprint's value) and
 * records where each attribute is; attribute values are decoded on demand by `get`,
 * straight from the input buffer. Nothing is copied: the decoded message is a view of
 * the input, valid as long as the caller does not reuse that buffer.
 */
import { type AttributeValues, type KnownAttrType, lookupCodec, type StunAttribute } from './attributes.ts';
import { ATTR_NAMES, AttrType, HEADER_LENGTH, isComprehensionRequired, type StunClass } from './constants.ts';
import { StunDecodeError } from './errors.ts';
import { fingerprintOf } from './fingerprint.ts';
import { checkHeader, classOf, methodOf, readU16, readU32 } from './header.ts';
import type { StunMessage } from './message.ts';

/** Shared by messages without unknown attributes (most): no allocation. */
const NONE: readonly number[] = Object.freeze([]);

/** Where one attribute is in the message. */
export interface AttributeSlot {
  type: number;
  /** Offset of the attribute's value (after its 4-byte header) in `bytes`. */
  offset: number;
  /** Length of the value, without padding. */
  length: number;
}

/** Options of decodeMessage. */
export interface DecodeOptions {
  /**
   * Verify FINGERPRINT when the message has one (RFC 8489 §7, §14.7) and throw
   * stun_bad_fingerprint when it does not match. Default true.
   */
  checkFingerprint?: boolean;
}

/** A decoded message: header fields, attribute positions, lazily decoded values. */
export class DecodedStunMessage {
  /** The message bytes (a view of the decoder's input). */
  readonly bytes: Uint8Array;
  readonly class: StunClass;
  readonly method: number;
  /**
   * Attributes that count, in order (RFC 8489 §14.5–§14.7): everything before
   * MESSAGE-INTEGRITY, then MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and
   * FINGERPRINT. Attributes after MESSAGE-INTEGRITY other than those are ignored.
   */
  readonly attributes: readonly AttributeSlot[];
  /**
   * Comprehension-required types (0x0000–0x7FFF) this package does not know, in order,
   * without duplicates. A server answers a request that has any with 420 and an
   * UNKNOWN-ATTRIBUTES attribute listing them (RFC 8489 §6.3.1).
   */
  readonly unknownRequired: readonly number[];
  /** Offset of the MESSAGE-INTEGRITY attribute header, or -1. */
  readonly integrityAt: number;
  /** Offset of the MESSAGE-INTEGRITY-SHA256 attribute header, or -1. */
  readonly integritySha256At: number;
  /** Offset of the FINGERPRINT attribute header, or -1. */
  readonly fingerprintAt: number;

  constructor(
    bytes: Uint8Array,
    attributes: AttributeSlot[],
    unknownRequired: readonly number[],
    integrityAt: number,
    integritySha256At: number,
    fingerprintAt: number,
  ) {
    this.bytes = bytes;
    const type = readU16(bytes, 0);
    this.class = classOf(type);
    this.method = methodOf(type);
    this.attributes = attributes;
    this.unknownRequired = unknownRequired;
    this.integrityAt = integrityAt;
    this.integritySha256At = integritySha256At;
    this.fingerprintAt = fingerprintAt;
  }

  /** The 12-byte transaction id (a view). */
  get transactionId(): Uint8Array {
    return this.bytes.subarray(8, HEADER_LENGTH);
  }

  /** True when an attribute of `type` counts in this message. */
  has(type: number): boolean {
    return this.slot(type) !== undefined;
  }

  /** The first attribute of `type`, or undefined (RFC 8489 §14: only the first counts). */
  slot(type: number): AttributeSlot | undefined {
    for (const s of this.attributes) if (s.type === type) return s;
    return undefined;
  }

  /** The raw value bytes (a view) of the first attribute of `type`. */
  raw(type: number): Uint8Array | undefined {
    const s = this.slot(type);
    return s === undefined ? undefined : this.bytes.subarray(s.offset, s.offset + s.length);
  }

  /**
   * The decoded value of the first attribute of `type`, or undefined when absent.
   * @throws StunDecodeError stun_bad_attribute when the value is malformed for its type.
   */
  get<K extends KnownAttrType>(type: K): AttributeValues[K] | undefined {
    const s = this.slot(type);
    return s === undefined ? undefined : (this.#read(s) as AttributeValues[K]);
  }

  /** Decoded values of every attribute of `type`, in order. */
  getAll<K extends KnownAttrType>(type: K): AttributeValues[K][] {
    const out: AttributeValues[K][] = [];
    for (const s of this.attributes) if (s.type === type) out.push(this.#read(s) as AttributeValues[K]);
    return out;
  }

  /**
   * Every attribute decoded, as a StunMessage (values are views into `bytes` where they
   * are bytes). MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and FINGERPRINT are left
   * out: `encodeMessage` computes them.
   * @throws StunDecodeError stun_bad_attribute for the first malformed value.
   */
  toMessage(): StunMessage {
    const attributes: StunAttribute[] = [];
    for (const s of this.attributes) {
      if (s.type === AttrType.MessageIntegrity || s.type === AttrType.MessageIntegritySha256) continue;
      if (s.type === AttrType.Fingerprint) continue;
      if (lookupCodec(s.type) === undefined) {
        attributes.push({ type: s.type, raw: this.bytes.subarray(s.offset, s.offset + s.length) });
      } else {
        attributes.push({ type: s.type, value: this.#read(s) } as StunAttribute);
      }
    }
    return { class: this.class, method: this.method, transactionId: this.transactionId, attributes };
  }

  #read(s: AttributeSlot): unknown {
    const codec = lookupCodec(s.type);
    if (codec === undefined) return this.bytes.subarray(s.offset, s.offset + s.length);
    try {
      return codec.read(this.bytes, s.offset, s.length, 0);
    } catch (err) {
      if (err instanceof StunDecodeError) {
        throw new StunDecodeError(err.code, `${ATTR_NAMES.get(s.type) ?? 'attribute'}: ${err.message}`, {
          ...err.details,
          attribute: s.type,
        });
      }
      throw err;
    }
  }
}

/**
 * Decodes `buf`, which must hold exactly one STUN message (a UDP datagram, or one frame
 * cut from a stream with `streamFrameLength`).
 *
 * Rules checked: RFC 8489 §5 (header, length), §14 (attribute bounds and 4-byte
 * padding; the padding's content is ignored), §14.5–§14.6 (attributes after
 * MESSAGE-INTEGRITY are ignored except MESSAGE-INTEGRITY-SHA256 and FINGERPRINT; after
 * MESSAGE-INTEGRITY-SHA256 all but FINGERPRINT), §14.7 (FINGERPRINT is last and, with
 * `checkFingerprint`, matches). Integrity is not verified here: see `verifyIntegrity`.
 *
 * @throws StunDecodeError stun_truncated, stun_not_stun, stun_bad_magic_cookie,
 *   stun_bad_length, stun_bad_attribute, stun_bad_attribute_order, stun_bad_fingerprint
 */
export function decodeMessage(buf: Uint8Array, options: DecodeOptions = {}): DecodedStunMessage {
  const length = checkHeader(buf);
  const end = HEADER_LENGTH + length;
  const slots: AttributeSlot[] = [];
  let unknown: number[] | undefined;
  let integrityAt = -1;
  let integritySha256At = -1;
  let fingerprintAt = -1;
  for (let at = HEADER_LENGTH; at < end; ) {
    if (at + 4 > end) throw new StunDecodeError('stun_bad_attribute', 'attribute header runs past the message', { at });
    const type = readU16(buf, at);
    const valueLength = readU16(buf, at + 2);
    const next = at + 4 + ((valueLength + 3) & ~3);
    // RFC 8489 §14: each value is padded to a multiple of 4 bytes, inside the message length.
    if (next > end) {
      throw new StunDecodeError('stun_bad_attribute', 'attribute runs past the message', { at, type, valueLength });
    }
    // RFC 8489 §14.7: "the FINGERPRINT attribute MUST be the last attribute in the message".
    if (fingerprintAt >= 0) {
      throw new StunDecodeError('stun_bad_attribute_order', 'attribute after FINGERPRINT', { at, type });
    }
    const slot: AttributeSlot = { type, offset: at + 4, length: valueLength };
    if (type === AttrType.Fingerprint) {
      if (valueLength !== 4) throw new StunDecodeError('stun_bad_attribute', `FINGERPRINT of ${valueLength} bytes`);
      fingerprintAt = at;
      slots.push(slot);
    } else if (integritySha256At >= 0) {
      // RFC 8489 §14.6: ignore all attributes after MESSAGE-INTEGRITY-SHA256 except FINGERPRINT.
    } else if (type === AttrType.MessageIntegritySha256) {
      if (valueLength < 16 || valueLength > 32 || valueLength % 4 !== 0) {
        throw new StunDecodeError('stun_bad_attribute', `MESSAGE-INTEGRITY-SHA256 of ${valueLength} bytes`);
      }
      integritySha256At = at;
      slots.push(slot);
    } else if (integrityAt >= 0) {
      // RFC 8489 §14.5: ignore attributes after MESSAGE-INTEGRITY, except MESSAGE-INTEGRITY-SHA256 and FINGERPRINT.
    } else if (type === AttrType.MessageIntegrity) {
      if (valueLength !== 20)
        throw new StunDecodeError('stun_bad_attribute', `MESSAGE-INTEGRITY of ${valueLength} bytes`);
      integrityAt = at;
      slots.push(slot);
    } else {
      slots.push(slot);
      if (isComprehensionRequired(type) && lookupCodec(type) === undefined) {
        unknown ??= [];
        if (!unknown.includes(type)) unknown.push(type);
      }
    }
    at = next;
  }
  if (fingerprintAt >= 0 && options.checkFingerprint !== false) {
    // RFC 8489 §14.7: CRC-32 of the message up to FINGERPRINT, xor 0x5354554e.
    if (fingerprintOf(buf, fingerprintAt) !== readU32(buf, fingerprintAt + 4)) {
      throw new StunDecodeError('stun_bad_fingerprint', 'FINGERPRINT does not match the message');
    }
  }
  return new DecodedStunMessage(buf, slots, unknown ?? NONE, integrityAt, integritySha256At, fingerprintAt);
}
