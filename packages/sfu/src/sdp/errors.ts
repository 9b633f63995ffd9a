/**
 * Errors of the SDP module. Every error carries a stable `code` from `SdpErrorCode`
 * (never renamed once released) and, when it comes from a line of the input, that
 * line's number (1-based) in `line`. Tests assert on `code`, never on message text.
 */
import { ItdaError, type ItdaErrorOptions } from '@itda/common';

export const SdpErrorCode = {
  /** The description is larger than `maxBytes` (default 256 KiB). */
  TooLarge: 'sdp_too_large',
  /** One line is longer than `maxLineLength` (default 4,096 characters). */
  LineTooLong: 'sdp_line_too_long',
  /** More than `maxMediaSections` m-lines (default 256). */
  TooManyMedia: 'sdp_too_many_media',
  /** A line does not follow the RFC 8866 grammar or the grammar of its attribute. */
  Malformed: 'sdp_malformed',
  /** A payload type outside 0…127 (RFC 3551 §3, RFC 8866 §5.14). */
  BadPayloadType: 'sdp_bad_payload_type',
  /** An accepted m-line has no ICE ufrag/pwd, neither its own nor the session's (RFC 8839 §5.4). */
  MissingIce: 'sdp_missing_ice',
  /** An accepted m-line has no DTLS fingerprint (RFC 8122 §5, RFC 5763 §5). */
  MissingFingerprint: 'sdp_missing_fingerprint',
  /** The offer does not BUNDLE all its m-lines (RFC 8843); the SFU needs one transport. */
  NoBundle: 'sdp_no_bundle',
  /** An RTP m-line without `a=rtcp-mux` (RFC 5761 §5.1.1, required by JSEP). */
  NoRtcpMux: 'sdp_no_rtcp_mux',
  /** A codec that cannot be used (subscribe answer with a payload type that was not offered). */
  UnsupportedCodec: 'sdp_unsupported_codec',
  /** `a=setup` incompatible with the SFU always being the DTLS server (RFC 4145 §4, RFC 5763 §5). */
  BadSetup: 'sdp_bad_setup',
  /** The answer's m-lines do not match the offer's (count, order, kind or mid; RFC 3264 §6). */
  MidMismatch: 'sdp_mid_mismatch',
  /** Input to an SDP builder is invalid (duplicate mids, bad SSRC, missing codec). */
  BadInput: 'sdp_bad_input',
} as const;

export type SdpErrorCode = (typeof SdpErrorCode)[keyof typeof SdpErrorCode];

/** An error of SDP parsing or negotiation; `code` is an `SdpErrorCode`. */
export class SdpError extends ItdaError {
  override readonly name: string = 'SdpError';
  /** The 1-based line number in the SDP text, when the error is about one line. */
  readonly line: number | undefined;
  constructor(code: SdpErrorCode, message: string, line?: number, options: ItdaErrorOptions = {}) {
    super(code, line === undefined ? message : `${message} (line ${line})`, {
      ...options,
      details: { ...options.details, ...(line === undefined ? {} : { line }) },
    });
    this.line = line;
  }
}
