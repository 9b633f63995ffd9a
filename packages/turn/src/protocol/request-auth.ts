/**
 * The checks every TURN request (Allocate, Refresh, CreatePermission, ChannelBind)
 * starts with: authentication (RFC 8656 §5 → RFC 8489 §9.2.4), then unknown
 * comprehension-required attributes (RFC 8489 §6.3.1: "Once the authentication checks
 * are done"), then — for requests on an existing allocation — the username that created
 * it (RFC 8656 §5: 441 Wrong Credentials).
 */
import type { DecodedStunMessage } from '@itda/stun';
import type { Allocation } from './allocation.ts';
import type { Credential } from './auth.ts';
import type { ClientRef, RelayHandle } from './io.ts';
import { AuthFailure } from './metrics.ts';
import { type RequestInfo, sendError } from './respond.ts';
import type { CoreState } from './state.ts';

/**
 * False when `credential` is a TURN REST identity whose session has ended (the
 * `restIdentityActive` option says so, sessions.ts): the username is no longer valid, so
 * it is refused like an expired one — RFC 8489 §9.2.4: "If the value of the USERNAME or
 * USERHASH attribute is not valid, the server MUST generate an error response with an
 * error code of 401 (Unauthenticated)." A callback that throws counts as "ended".
 */
export function restIdentityActive<R extends RelayHandle, S>(st: CoreState<R, S>, credential: Credential): boolean {
  const check = st.o.restIdentityActive;
  if (check === undefined || credential.restIdentity === undefined) return true;
  try {
    return check(credential.restIdentity) === true;
  } catch {
    return false;
  }
}

/**
 * Authenticates `msg`; on failure sends the error answer and returns undefined.
 * `extraUnknown` lists attributes the handler treats as unknown (DONT-FRAGMENT).
 */
export function authenticateRequest<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  client: ClientRef<S>,
  msg: DecodedStunMessage,
  req: RequestInfo,
  allocation: Allocation<R, S> | undefined,
  extraUnknown: readonly number[] = [],
): Credential | undefined {
  const result = st.auth.authenticate(msg, client.address, st.wallNow(), allocation?.credential);
  if (!result.ok) {
    if (result.reason !== 'bad_request') st.metrics.authFailure(result.reason);
    sendError(st, client, req, result.code, { challenge: result.code !== 400 });
    return undefined;
  }
  const credential = result.credential;
  if (!restIdentityActive(st, credential)) {
    st.metrics.authFailure(AuthFailure.SessionEnded);
    sendError(st, client, req, 401, { challenge: true });
    return undefined;
  }
  const unknown = extraUnknown.length === 0 ? msg.unknownRequired : [...msg.unknownRequired, ...extraUnknown];
  if (unknown.length > 0) {
    sendError(st, client, req, 420, { unknown, credential });
    return undefined;
  }
  // RFC 8656 §5: "[...] if the USERNAME [...] does not match the username used to create
  // the allocation, the server MUST reject the request with a 441 (Wrong Credentials)."
  if (allocation !== undefined && allocation.credential.username !== credential.username) {
    st.metrics.authFailure(AuthFailure.WrongCredentials);
    sendError(st, client, req, 441, { credential });
    return undefined;
  }
  return credential;
}
