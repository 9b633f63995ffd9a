/**
 * Errors of the SRTP module. Every error carries a stable `code` from `SrtpErrorCode`
 * (never renamed once released). Callers on the media path count them in metrics and
 * drop the packet; tests assert on `code`, never on message text.
 */
import { ItdaError, type ItdaErrorOptions } from '@itda/common';

export const SrtpErrorCode = {
  /** The packet is shorter than its header plus the authentication tag (and trailer). */
  TooShort: 'srtp_too_short',
  /** The RTP/RTCP header is malformed: version ≠ 2, or CSRC/extension past the end. */
  BadHeader: 'srtp_bad_header',
  /** The authentication tag (HMAC-SHA1-80 or the GCM tag) did not verify. */
  AuthFailed: 'srtp_auth_failed',
  /** The packet index was already received (RFC 3711 §3.3.2). */
  Replayed: 'srtp_replayed',
  /** The packet index is older than the replay window (RFC 3711 §3.3.2). */
  ReplayTooOld: 'srtp_replay_too_old',
  /** The master key or salt has the wrong length for the profile. */
  BadKey: 'srtp_bad_key',
  /** The protection profile is not one this module implements. */
  BadProfile: 'srtp_bad_profile',
  /** More SSRCs than `maxStreams` on one session. */
  TooManyStreams: 'srtp_too_many_streams',
  /** The sender's packet or SRTCP index space is used up (2^48 / 2^31): re-key. */
  IndexExhausted: 'srtp_index_exhausted',
} as const;

export type SrtpErrorCode = (typeof SrtpErrorCode)[keyof typeof SrtpErrorCode];

/** An error of SRTP/SRTCP processing; `code` is an `SrtpErrorCode`. */
export class SrtpError extends ItdaError {
  override readonly name: string = 'SrtpError';
  constructor(code: SrtpErrorCode, message: string, options: ItdaErrorOptions = {}) {
    super(code, message, options);
  }
}
