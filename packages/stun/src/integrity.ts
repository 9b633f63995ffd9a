/**
 * MESSAGE-INTEGRITY (HMAC-SHA1, RFC 8489 §14.5) and MESSAGE-INTEGRITY-SHA256
 * (HMAC-SHA256, RFC 8489 §14.6): computing and verifying.
 *
 * The HMAC covers the message up to the integrity attribute, with the header's length
 * field "adjusted to point to the end of the MESSAGE-INTEGRITY attribute" — as if the
 * attributes after it (MESSAGE-INTEGRITY-SHA256, FINGERPRINT) were not there.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { HEADER_LENGTH } from './constants.ts';
import type { DecodedStunMessage } from './decode.ts';
import { StunDecodeError } from './errors.ts';
import { readU16, writeU16 } from './header.ts';

/** `sha1`: MESSAGE-INTEGRITY; `sha256`: MESSAGE-INTEGRITY-SHA256. */
export type IntegrityAlgorithm = 'sha1' | 'sha256';

// One scratch header: HMAC.update copies synchronously, so reuse is safe.
const scratchHeader = new Uint8Array(HEADER_LENGTH);

/**
 * HMAC of the message that starts at `msgStart`, over `buf[msgStart, at)` where `at` is
 * the integrity attribute's offset, with the length field set to `adjustedLength`.
 * Returns the full digest (20 or 32 bytes).
 */
export function computeIntegrity(
  algorithm: IntegrityAlgorithm,
  key: Uint8Array,
  buf: Uint8Array,
  msgStart: number,
  at: number,
  adjustedLength: number,
): Uint8Array {
  scratchHeader.set(buf.subarray(msgStart, msgStart + HEADER_LENGTH));
  writeU16(scratchHeader, 2, adjustedLength);
  const hmac = createHmac(algorithm, key);
  hmac.update(scratchHeader);
  hmac.update(buf.subarray(msgStart + HEADER_LENGTH, at));
  return hmac.digest();
}

/** Options of verifyIntegrity. */
export interface VerifyIntegrityOptions {
  /**
   * Which attribute to check. Default: MESSAGE-INTEGRITY-SHA256 when the message has
   * it, otherwise MESSAGE-INTEGRITY.
   */
  algorithm?: IntegrityAlgorithm;
}

/**
 * True when the message's MESSAGE-INTEGRITY-SHA256 (or MESSAGE-INTEGRITY) verifies with
 * `key` (see `shortTermKey` / `longTermKey`). False when it does not, or when the
 * message has no such attribute. Compares in constant time. A truncated
 * MESSAGE-INTEGRITY-SHA256 (16–28 bytes) is compared with the digest's prefix (RFC 8489 §14.6).
 */
export function verifyIntegrity(
  msg: DecodedStunMessage,
  key: Uint8Array,
  options: VerifyIntegrityOptions = {},
): boolean {
  const algorithm = options.algorithm ?? (msg.integritySha256At >= 0 ? 'sha256' : 'sha1');
  const at = algorithm === 'sha256' ? msg.integritySha256At : msg.integrityAt;
  if (at < 0) return false;
  const bytes = msg.bytes;
  const valueLength = readU16(bytes, at + 2);
  const mac = computeIntegrity(algorithm, key, bytes, 0, at, at + 4 + valueLength - HEADER_LENGTH);
  return timingSafeEqual(mac.subarray(0, valueLength), bytes.subarray(at + 4, at + 4 + valueLength));
}

/**
 * Like verifyIntegrity, but throws.
 * @throws StunDecodeError stun_bad_integrity (stunCode 401) when the attribute is missing or wrong.
 */
export function assertIntegrity(msg: DecodedStunMessage, key: Uint8Array, options: VerifyIntegrityOptions = {}): void {
  if (!verifyIntegrity(msg, key, options)) {
    const missing = msg.integrityAt < 0 && msg.integritySha256At < 0;
    throw new StunDecodeError(
      'stun_bad_integrity',
      missing ? 'the message has no MESSAGE-INTEGRITY' : 'MESSAGE-INTEGRITY does not verify',
    );
  }
}
