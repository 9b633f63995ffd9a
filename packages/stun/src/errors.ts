/**
 * Errors of the STUN codec. Every failure has a stable `code` (documented in
 * docs/stun.md) and, where a server would answer it, the STUN error code to answer with
 * (`stunCode`, RFC 8489 §14.8). Tests assert on `code`, never on message text.
 */
import { ItdaError } from '@itda/common';

/** Codes of StunDecodeError. Never renamed once released. */
export const StunDecodeErrorCode = {
  /** Fewer bytes than the header, the declared length or a frame needs. */
  Truncated: 'stun_truncated',
  /** The first two bits of the message are not zero: not a STUN message (RFC 8489 §5). */
  NotStun: 'stun_not_stun',
  /** Bytes 4–7 are not 0x2112A442 (RFC 8489 §5). */
  BadMagicCookie: 'stun_bad_magic_cookie',
  /** The length field is not a multiple of 4, or disagrees with the buffer (RFC 8489 §5). */
  BadLength: 'stun_bad_length',
  /** An attribute runs past the message, or its value is malformed for its type. */
  BadAttribute: 'stun_bad_attribute',
  /** An attribute other than FINGERPRINT after FINGERPRINT, or other attributes in a wrong place (RFC 8489 §14.7). */
  BadAttributeOrder: 'stun_bad_attribute_order',
  /** FINGERPRINT does not match the message's CRC-32 (RFC 8489 §14.7). */
  BadFingerprint: 'stun_bad_fingerprint',
  /** MESSAGE-INTEGRITY(-SHA256) is missing or does not verify with the key (RFC 8489 §14.5, §14.6). */
  BadIntegrity: 'stun_bad_integrity',
  /** A ChannelData channel number outside 0x4000–0x4FFF (RFC 8656 §12). */
  BadChannelNumber: 'stun_bad_channel_number',
  /** The first byte is neither STUN (0–3) nor ChannelData (64–79) on a TURN stream (RFC 7983). */
  UnknownFrame: 'stun_unknown_frame',
} as const;
export type StunDecodeErrorCode = (typeof StunDecodeErrorCode)[keyof typeof StunDecodeErrorCode];

/** Codes of StunEncodeError. Never renamed once released. */
export const StunEncodeErrorCode = {
  /** A value does not fit its attribute (too long, out of range, wrong family, bad text). */
  BadValue: 'stun_bad_value',
  /** The target buffer of `encodeInto` is too small for the message. */
  BufferTooSmall: 'stun_buffer_too_small',
  /** A username, realm or password is rejected by OpaqueString / SASLprep. */
  BadCredential: 'stun_bad_credential',
} as const;
export type StunEncodeErrorCode = (typeof StunEncodeErrorCode)[keyof typeof StunEncodeErrorCode];

/** The STUN error code a server answers each decode failure with (RFC 8489 §6.3.1, §9). */
const STUN_CODES: Readonly<Record<StunDecodeErrorCode, number | undefined>> = {
  stun_truncated: undefined,
  stun_not_stun: undefined,
  stun_bad_magic_cookie: undefined,
  stun_bad_length: undefined,
  stun_bad_attribute: 400,
  stun_bad_attribute_order: 400,
  stun_bad_fingerprint: undefined,
  stun_bad_integrity: 401,
  stun_bad_channel_number: undefined,
  stun_unknown_frame: undefined,
};

/**
 * Thrown by every decoder of this package for malformed input. `stunCode` is the error
 * response to send (400, 401) when the input was a well-framed request; it is undefined
 * when the input must be dropped silently (RFC 8489 §6.3: not STUN, bad fingerprint).
 */
export class StunDecodeError extends ItdaError {
  override readonly name = 'StunDecodeError';
  declare readonly code: StunDecodeErrorCode;

  constructor(code: StunDecodeErrorCode, message: string, details?: Record<string, unknown>) {
    const stunCode = STUN_CODES[code];
    super(code, message, {
      ...(stunCode === undefined ? {} : { stunCode }),
      ...(details === undefined ? {} : { details }),
    });
  }
}

/** Thrown by encoders and key derivation for values that cannot be put on the wire. */
export class StunEncodeError extends ItdaError {
  override readonly name = 'StunEncodeError';
  declare readonly code: StunEncodeErrorCode;

  constructor(code: StunEncodeErrorCode, message: string, details?: Record<string, unknown>) {
    super(code, message, details === undefined ? {} : { details });
  }
}
