/**
 * Length limits of the text attributes, from RFC 8489. Senders are held to the
 * "encoding" limits, receivers accept up to the "decoding" ones.
 */

/**
 * RFC 8489 §14.3: USERNAME "MUST contain a UTF-8-encoded sequence of fewer than 509
 * bytes"; receivers "MUST be able to parse … 763 or fewer octets" (RFC 5389 compatibility).
 */
export const USERNAME_LIMITS = { maxEncodeBytes: 508, maxDecodeBytes: 763 } as const;

/**
 * RFC 8489 §14.9 (REALM), §14.10 (NONCE), §14.14 (SOFTWARE), §14.8 (reason phrase):
 * "fewer than 128 characters (which can be as long as 509 bytes when encoding them and
 * as long as 763 bytes when decoding them)".
 */
export const TEXT_LIMITS = { maxEncodeBytes: 509, maxDecodeBytes: 763, maxChars: 127 } as const;

/** RFC 8489 §14.16: ALTERNATE-DOMAIN is a DNS name, at most 255 bytes. */
export const DOMAIN_LIMITS = { maxEncodeBytes: 255, maxDecodeBytes: 255 } as const;
