/**
 * The one base error class of itda.
 *
 * Every error that crosses a module boundary carries a stable, documented `code`
 * (snake_case, never renamed once released), a human-readable message, an optional
 * `cause`, and — where the failure maps onto a wire protocol — the wire code:
 * a STUN error code (RFC 8489 §14.8), a WebSocket close code (RFC 6455 §7.4) or an
 * HTTP status. Tests assert on `code`, never on message text.
 */
export interface ItdaErrorOptions {
  /** The underlying error, kept for logs. */
  cause?: unknown;
  /** HTTP status to answer with when this error ends an HTTP request. */
  status?: number;
  /** WebSocket close code (RFC 6455 §7.4) when this error ends a connection. */
  closeCode?: number;
  /** STUN/TURN error code (RFC 8489 §14.8) when this error answers a STUN request. */
  stunCode?: number;
  /** Structured context for logs; never shown to remote peers. */
  details?: Record<string, unknown>;
}

export class ItdaError extends Error {
  override readonly name: string = 'ItdaError';
  readonly code: string;
  readonly status: number | undefined;
  readonly closeCode: number | undefined;
  readonly stunCode: number | undefined;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, options: ItdaErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.closeCode = options.closeCode;
    this.stunCode = options.stunCode;
    this.details = options.details;
  }

  /** A plain object for structured logs. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      ...(this.status === undefined ? {} : { status: this.status }),
      ...(this.closeCode === undefined ? {} : { closeCode: this.closeCode }),
      ...(this.stunCode === undefined ? {} : { stunCode: this.stunCode }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

/** True when `err` is an ItdaError, optionally with the given code. */
export function isItdaError(err: unknown, code?: string): err is ItdaError {
  return err instanceof ItdaError && (code === undefined || err.code === code);
}
