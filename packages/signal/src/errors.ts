/**
 * Errors of the signaling core. Every one carries a stable `code`: the protocol's
 * `ErrorCode` values (sent to clients as `error.code`) or, for configuration and room
 * administration, the codes listed here. See docs/signaling.md and docs/server.md.
 */
import { ItdaError, type ItdaErrorOptions } from '@itda/common';

/** Codes of the signaling core that are not wire error codes (room administration, config). */
export const SignalErrorCode = {
  /** A room with that name already exists (HTTP 409). */
  RoomExists: 'room_exists',
  /** The room mode is not available yet (`sfu`, `auto` until the SFU lands; HTTP 400). */
  UnsupportedMode: 'unsupported_mode',
  /** A configuration value is out of range or of the wrong type. */
  InvalidConfig: 'invalid_config',
} as const;

export interface SignalErrorOptions extends ItdaErrorOptions {
  /** The `type` of the client message that caused the error, when known. */
  ref?: string;
}

export class SignalError extends ItdaError {
  override readonly name = 'SignalError';
  /** The `type` of the offending client message, when known (sent as `error.ref`). */
  readonly ref: string | undefined;

  constructor(code: string, message: string, options: SignalErrorOptions = {}) {
    super(code, message, options);
    this.ref = options.ref;
  }
}
