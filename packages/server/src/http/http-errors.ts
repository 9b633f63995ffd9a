/**
 * The HTTP API's errors (room API, WHIP/WHEP): one table from each stable code to its
 * status, so a code always answers with the same status and a new code cannot be added
 * without one. Bodies are `{ "error": { "code", "message" } }` (docs/server.md).
 */
import { ItdaError } from '@itda/common';

export const HTTP_STATUS = {
  bad_request: 400,
  bad_json: 400,
  bad_name: 400,
  bad_quality: 400,
  sfu_bad_offer: 400,
  sfu_offer_too_large: 400,
  unauthorized: 401,
  invalid_token: 401,
  token_expired: 401,
  api_disabled: 403,
  forbidden: 403,
  not_found: 404,
  no_stream: 404,
  room_not_found: 404,
  participant_not_found: 404,
  method_not_allowed: 405,
  not_sfu_room: 409,
  room_full: 409,
  precondition_failed: 412,
  body_too_large: 413,
  unsupported_media_type: 415,
  rate_limited: 429,
  sfu_unavailable: 503,
} as const;

export type HttpErrorCode = keyof typeof HTTP_STATUS;

/** True when `code` is one of the HTTP API's codes. */
export function isHttpErrorCode(code: string): code is HttpErrorCode {
  return Object.hasOwn(HTTP_STATUS, code);
}

/** An error the HTTP layer answers with `HTTP_STATUS[code]` and `{ error: { code, message } }`. */
export class HttpError extends ItdaError {
  override readonly name = 'HttpError';
  override readonly code: HttpErrorCode;
  constructor(code: HttpErrorCode, message: string) {
    super(code, message, { status: HTTP_STATUS[code] });
    this.code = code;
  }
}
