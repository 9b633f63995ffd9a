/**
 * What the web app reads from an invitation's room token (invitation.ts takes it from the
 * link): its name and grants for the pre-join form, its room and expiry to explain a bad
 * link before joining. Only read, never trusted: the server verifies the signature.
 * No DOM here, so it is tested without a browser.
 */

/** What the app reads from a token (claims in docs/signaling.md). */
export interface Invitation {
  token: string;
  /** Display name the token sets (authoritative unless `canRename`). */
  name: string | undefined;
  canRename: boolean;
  /** Seconds since the epoch. */
  expiresAt: number;
}

/** A link whose token cannot work. */
export type InvitationProblem = 'invitation_malformed' | 'invitation_expired' | 'invitation_wrong_room';

export type InvitationResult =
  | { kind: 'none' }
  | { kind: 'ok'; invitation: Invitation }
  | { kind: 'problem'; problem: InvitationProblem; room?: string };

const JWT = /^[A-Za-z0-9_-]+\.([A-Za-z0-9_-]+)\.[A-Za-z0-9_-]+$/;

function base64urlJson(part: string): unknown {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const bytes = Uint8Array.from(atob(b64.padEnd(Math.ceil(b64.length / 4) * 4, '=')), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** Reads a token's claims for `room` at `nowSeconds`. Pure: for tests and `takeInvitation`. */
export function readInvitation(token: string, room: string, nowSeconds: number): InvitationResult {
  const m = JWT.exec(token);
  let claims: Record<string, unknown>;
  try {
    const payload = m?.[1] === undefined ? undefined : base64urlJson(m[1]);
    if (typeof payload !== 'object' || payload === null) return { kind: 'problem', problem: 'invitation_malformed' };
    claims = payload as Record<string, unknown>;
  } catch {
    return { kind: 'problem', problem: 'invitation_malformed' };
  }
  const exp = claims.exp;
  if (typeof claims.room !== 'string' || typeof exp !== 'number') {
    return { kind: 'problem', problem: 'invitation_malformed' };
  }
  if (claims.room !== room) return { kind: 'problem', problem: 'invitation_wrong_room', room: claims.room };
  if (nowSeconds >= exp) return { kind: 'problem', problem: 'invitation_expired' };
  const grants = (typeof claims.grants === 'object' && claims.grants !== null ? claims.grants : {}) as Record<
    string,
    unknown
  >;
  const name = typeof claims.name === 'string' ? claims.name : undefined;
  return {
    kind: 'ok',
    invitation: {
      token,
      name,
      // A token with a name fixes it unless it grants renaming; one without lets the person choose.
      canRename: grants.canRename === true || (name === undefined && grants.canRename !== false),
      expiresAt: exp,
    },
  };
}
