/**
 * Session-bound TURN REST identities. A meeting server mints one REST identity per
 * participant session (`expiry:identity`, rest.ts) and the credential would otherwise
 * stay valid until its expiry — hours after the participant left. With the
 * `restIdentityActive` option the core asks, on every authenticated request, whether the
 * identity's session still exists (401 otherwise, request-auth.ts), and
 * `TurnCore.releaseRestIdentity` frees at once every allocation the identity holds when
 * its session ends, so join/leave cycles cannot pile up allocations. Pending Allocates of
 * the identity fail when their relay is bound (allocate.ts).
 */
import type { Allocation } from './allocation.ts';
import type { RelayHandle } from './io.ts';
import type { CoreState } from './state.ts';

/** Adds (`add`) or removes an allocation in the per-quota-key index. */
export function indexByUser<R extends RelayHandle, S>(st: CoreState<R, S>, a: Allocation<R, S>, add: boolean): void {
  const key = a.credential.quotaKey;
  let set = st.byUser.get(key);
  if (add) {
    if (set === undefined) {
      set = new Set();
      st.byUser.set(key, set);
    }
    set.add(a);
    return;
  }
  set?.delete(a);
  if (set?.size === 0) st.byUser.delete(key);
}

/** The allocations made with the TURN REST identity `identity` (a copy: the caller may delete them). */
export function allocationsOfRestIdentity<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  identity: string,
): Allocation<R, S>[] {
  const set = st.byUser.get(`rest:${identity}`);
  return set === undefined ? [] : [...set];
}
