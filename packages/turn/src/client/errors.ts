/**
 * Errors of itda's TURN client. Every failure has a stable `code`; an error response
 * from the server also carries its STUN error code in `stunCode` (RFC 8489 §14.8).
 */
import { ItdaError, type ItdaErrorOptions } from '@itda/common';

/** Codes of TurnClientError. Never renamed once released. */
export const TurnClientErrorCode = {
  /** No response within the retransmission schedule (RFC 8489 §6.2.1) or Ti (§6.2.2). */
  Timeout: 'turn_client_timeout',
  /** The server answered with an error response; `stunCode` is its ERROR-CODE. */
  ErrorResponse: 'turn_client_error_response',
  /** 401 again after sending credentials: wrong username or password (RFC 8489 §9.2.5). */
  Unauthenticated: 'turn_client_unauthenticated',
  /** A response that cannot be used: no ERROR-CODE, a missing attribute, bad integrity. */
  BadResponse: 'turn_client_bad_response',
  /** The client or its transport was closed while the operation was pending. */
  Closed: 'turn_client_closed',
  /** The operation needs an allocation (or has one already). */
  State: 'turn_client_state',
  /** A bad argument (channel number, address, lifetime). */
  BadArgument: 'turn_client_bad_argument',
  /** The transport could not connect or failed. */
  Transport: 'turn_client_transport',
} as const;
export type TurnClientErrorCode = (typeof TurnClientErrorCode)[keyof typeof TurnClientErrorCode];

/** The one error class of the TURN client. */
export class TurnClientError extends ItdaError {
  override readonly name: string = 'TurnClientError';
  declare readonly code: TurnClientErrorCode;

  constructor(code: TurnClientErrorCode, message: string, options: ItdaErrorOptions = {}) {
    super(code, message, options);
  }
}
