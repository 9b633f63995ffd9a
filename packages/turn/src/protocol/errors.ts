/**
 * Errors of the TURN server. Every one is an `ItdaError` with a stable `code`
 * (documented in docs/turn.md) and, where the failure answers a STUN request, the
 * STUN error code (`stunCode`, RFC 8489 §14.8, RFC 8656 §19).
 */
import { ItdaError, type ItdaErrorOptions } from '@itda/common';

/** Stable codes of `TurnError`. Never renamed once released. */
export const TurnErrorCode = {
  /** An option of `TurnServer` / `TurnCore` is missing, out of range or of the wrong type. */
  BadOptions: 'turn_bad_options',
  /** A listener could not be bound (address in use, not available, bad certificate). */
  ListenFailed: 'turn_listen_failed',
  /** `start()` called twice, or a method called after `close()`. */
  BadState: 'turn_bad_state',
  /** `restCredential` got a bad secret, identity or TTL. */
  BadCredentialInput: 'turn_bad_credential_input',
} as const;
export type TurnErrorCode = (typeof TurnErrorCode)[keyof typeof TurnErrorCode];

export class TurnError extends ItdaError {
  override readonly name = 'TurnError';

  constructor(code: TurnErrorCode, message: string, options: ItdaErrorOptions = {}) {
    super(code, message, options);
  }
}
