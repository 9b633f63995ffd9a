import { ItdaError, type ItdaErrorOptions } from '@itda/common';

/**
 * What `startServer`, `startTurn` and the CLI fail with when itda cannot start:
 * - `invalid_config` — a setting is wrong (the message names it); the CLI exits 2;
 * - `listen_failed` — a port could not be bound (in use, no permission, no such address); exit 1.
 * Errors of requests (HTTP, signaling) have codes of their own (http-errors.ts, @itda/protocol).
 */
export type ServerErrorCode = 'invalid_config' | 'listen_failed';

/** An error of starting itda; `code` is a `ServerErrorCode`. */
export class ServerError extends ItdaError {
  override readonly name = 'ServerError';
  declare readonly code: ServerErrorCode;
  constructor(code: ServerErrorCode, message: string, options: ItdaErrorOptions = {}) {
    super(code, message, options);
  }
}

/** A configuration error (`invalid_config`), naming the setting. The CLI exits with code 2. */
export function configError(message: string, details?: Record<string, unknown>): ServerError {
  return new ServerError('invalid_config', message, details === undefined ? {} : { details });
}

/** A port that could not be bound (`listen_failed`). The CLI exits with code 1. */
export function listenError(message: string, cause: unknown): ServerError {
  return new ServerError('listen_failed', message, { cause });
}
