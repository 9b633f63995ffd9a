/**
 * Invitation links (`itda token --url …`): `/r/<room>#token=<JWT>`. The fragment never
 * reaches the server; the app takes the token from it, removes it from the address bar
 * (history.replaceState) and keeps it for this tab (sessionStorage), so a reload or
 * Rejoin still has it (invitation-token.ts reads it).
 */
import { type InvitationResult, readInvitation } from './invitation-token.ts';

export type { Invitation, InvitationProblem, InvitationResult } from './invitation-token.ts';

const KEY = 'itda.invitation.';

/**
 * The invitation of this page for `room`: from `#token=` (then removed from the address
 * bar and kept for the tab), else the one kept earlier in this tab, else none.
 */
export function takeInvitation(room: string): InvitationResult {
  const fragment = new URLSearchParams(location.hash.slice(1)).get('token');
  let token: string | null = fragment;
  if (fragment !== null) {
    history.replaceState(history.state, '', `${location.pathname}${location.search}`);
    try {
      sessionStorage.setItem(KEY + room, fragment);
    } catch {
      // Storage disabled: the token works for this page view only.
    }
  } else {
    try {
      token = sessionStorage.getItem(KEY + room);
    } catch {
      token = null;
    }
  }
  if (token === null || token === '') return { kind: 'none' };
  const result = readInvitation(token, room, Date.now() / 1000);
  if (result.kind === 'problem') forgetInvitation(room);
  return result;
}

/** Forgets the tab's invitation for `room` (it did not work). */
export function forgetInvitation(room: string): void {
  try {
    sessionStorage.removeItem(KEY + room);
  } catch {
    // Nothing kept.
  }
}
