/**
 * Errors of the ICE module. Every error carries a stable `code` from `IceErrorCode`
 * (never renamed once released). The agent never throws on a received packet: it
 * answers or drops and counts (see `IceAgentStats`); these codes name the same outcomes
 * and are thrown only by setup calls (bad credentials, a taken ufrag) and by the TCP
 * framing (a connection that must be closed). Tests assert on `code`, never on text.
 */
import { ItdaError, type ItdaErrorOptions } from '@itda/common';

export const IceErrorCode = {
  /** A check without USERNAME or MESSAGE-INTEGRITY: answered 400 (RFC 8489 §9.1.3). */
  BadRequest: 'ice_bad_request',
  /** USERNAME is not `localUfrag:remoteUfrag` of this agent: answered 401 (RFC 8489 §9.1.3, RFC 8445 §7.3). */
  BadUsername: 'ice_bad_username',
  /** MESSAGE-INTEGRITY does not verify with the local password: answered 401 (RFC 8489 §9.1.3). */
  BadIntegrity: 'ice_bad_integrity',
  /** A check without FINGERPRINT, or with a wrong one: dropped (RFC 8445 §7, RFC 8489 §7.3). */
  BadFingerprint: 'ice_bad_fingerprint',
  /** The peer claims the controlled role too: answered 487 (RFC 8445 §7.3.1.1). */
  RoleConflict: 'ice_role_conflict',
  /** No transport has the ufrag named in USERNAME (shared-port demultiplexing). */
  UnknownUfrag: 'ice_unknown_ufrag',
  /** `IceDemux.register` with a ufrag another owner holds. */
  UfragInUse: 'ice_ufrag_in_use',
  /** A ufrag or password that is not 4–256 / 22–256 ice-chars (RFC 8839 §5.4). */
  BadCredentials: 'ice_bad_credentials',
  /** An option out of its documented range. */
  BadOption: 'ice_bad_option',
  /** An RFC 4571 frame longer than the limit (65,535 by the 16-bit length, or `maxFrameBytes`). */
  TcpFrameTooLarge: 'ice_tcp_frame_too_large',
  /** More bytes would be held for one ICE-TCP connection than `maxBufferedBytes`. */
  TcpBufferOverflow: 'ice_tcp_buffer_overflow',
} as const;

export type IceErrorCode = (typeof IceErrorCode)[keyof typeof IceErrorCode];

/** An error of ICE processing; `code` is an `IceErrorCode`. */
export class IceError extends ItdaError {
  override readonly name: string = 'IceError';
  constructor(code: IceErrorCode, message: string, options: ItdaErrorOptions = {}) {
    super(code, message, options);
  }
}
