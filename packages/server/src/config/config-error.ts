import { ItdaError } from '@itda/common';

/** A configuration error (`invalid_config`), naming the setting. The CLI exits with code 2. */
export function configError(message: string, details?: Record<string, unknown>): ItdaError {
  return new ItdaError('invalid_config', message, details === undefined ? {} : { details });
}
