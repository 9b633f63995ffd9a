import { ItdaError, type ItdaErrorOptions } from '@itda/common';

/**
 * Stable codes of RTP/RTCP decoding errors. Never renamed once released.
 *
 * - `rtp_too_short` — fewer bytes than the fixed header, CSRC list or extension header announce (RFC 3550 §5.1).
 * - `rtp_bad_version` — version field is not 2 (RFC 3550 §5.1).
 * - `rtp_bad_padding` — P bit set but the padding count is 0 or larger than the payload (RFC 3550 §5.1).
 * - `rtp_bad_extension` — a header extension element overruns its block (RFC 8285 §4.2/§4.3).
 * - `rtcp_too_short` — fewer bytes than an RTCP header or a packet type's fixed part (RFC 3550 §6.4).
 * - `rtcp_bad_version` — version field is not 2 (RFC 3550 §6.4.1).
 * - `rtcp_bad_length` — length field runs past the datagram, or a count does not fit it (RFC 3550 §6.4.1).
 * - `rtcp_bad_padding` — padding on a packet other than the last one of a compound, or a bad count (RFC 3550 §6.4.1, A.2).
 * - `rtcp_bad_value` — a value that cannot be encoded (e.g. an SDES text over 255 bytes, too many report blocks).
 * - `rtcp_over_limit` — a well-formed count over a documented parser limit (e.g. more transport-cc packet
 *   statuses than `MAX_TRANSPORT_CC_STATUSES`), refused before anything is allocated.
 */
export type RtpErrorCode =
  | 'rtp_too_short'
  | 'rtp_bad_version'
  | 'rtp_bad_padding'
  | 'rtp_bad_extension'
  | 'rtcp_too_short'
  | 'rtcp_bad_version'
  | 'rtcp_bad_length'
  | 'rtcp_bad_padding'
  | 'rtcp_bad_value'
  | 'rtcp_over_limit';

/** The one error RTP/RTCP parsers and builders throw. Assert on `code`, not on the message. */
export class RtpError extends ItdaError {
  override readonly name: string = 'RtpError';
  declare readonly code: RtpErrorCode;

  constructor(code: RtpErrorCode, message: string, options: ItdaErrorOptions = {}) {
    super(code, message, options);
  }
}
