/**
 * Errors of the router layer (Router, WebRtcTransport, Producer, Consumer). Every error
 * carries a stable `code` from `SfuErrorCode`; the media path counts them in metrics
 * and drops the packet, the control path answers the client with them.
 */
import { ItdaError, type ItdaErrorOptions } from '@itda/common';

export const SfuErrorCode = {
  /** The object was closed; nothing more can be done with it. */
  Closed: 'sfu_closed',
  /** An id (transport, producer, consumer) that does not exist or no longer exists. */
  NotFound: 'sfu_not_found',
  /** Two producers on one transport with the same SSRC or mid. */
  Duplicate: 'sfu_duplicate',
  /** A limit (transports per router, producers per transport, consumers) was reached. */
  LimitReached: 'sfu_limit_reached',
  /** Parameters that cannot work: a consumer of a kind the transport cannot carry, … */
  BadParameters: 'sfu_bad_parameters',
} as const;

export type SfuErrorCode = (typeof SfuErrorCode)[keyof typeof SfuErrorCode];

/** An error of the router layer; `code` is an `SfuErrorCode`. */
export class SfuError extends ItdaError {
  override readonly name: string = 'SfuError';
  constructor(code: SfuErrorCode, message: string, options: ItdaErrorOptions = {}) {
    super(code, message, options);
  }
}
