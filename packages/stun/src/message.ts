/**
 * The STUN message value type: what `encodeMessage` takes and
 * `DecodedStunMessage.toMessage()` gives back.
 */
import { randomFillSync } from 'node:crypto';
import type { AttributeValues, KnownAttribute, KnownAttrType, StunAttribute } from './attributes.ts';
import { type StunClass, TRANSACTION_ID_LENGTH } from './constants.ts';

/** A STUN message (RFC 8489 §5): class, method, transaction id, attributes in order. */
export interface StunMessage {
  class: StunClass;
  /** 12-bit method, e.g. StunMethod.Binding. */
  method: number;
  /** 12 bytes (RFC 8489 §5). */
  transactionId: Uint8Array;
  /**
   * Attributes in wire order. MESSAGE-INTEGRITY, MESSAGE-INTEGRITY-SHA256 and
   * FINGERPRINT are normally not listed here: `encodeMessage` appends them from its options.
   */
  attributes: StunAttribute[];
}

/**
 * A fresh transaction id: 96 bits from a cryptographically strong source, as RFC 8489 §5
 * requires ("uniformly and randomly chosen from the interval 0 .. 2**96-1, and MUST be
 * cryptographically random").
 */
export function createTransactionId(): Uint8Array {
  return randomFillSync(new Uint8Array(TRANSACTION_ID_LENGTH));
}

/** Lower-case hex of a transaction id, for use as a map key or in logs. */
export function transactionIdHex(transactionId: Uint8Array): string {
  return Buffer.from(transactionId.buffer, transactionId.byteOffset, transactionId.byteLength).toString('hex');
}

/** A typed attribute: `attr(AttrType.Lifetime, 600)`. */
export function attr<K extends KnownAttrType>(type: K, value: AttributeValues[K]): KnownAttribute {
  return { type, value } as KnownAttribute;
}

/** True for attributes given as raw bytes (`{ type, raw }`). */
export function isRawAttribute(a: StunAttribute): a is { type: number; raw: Uint8Array } {
  return 'raw' in a;
}
