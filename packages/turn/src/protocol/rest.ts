/**
 * TURN REST API ephemeral credentials (draft-uberti-behave-turn-rest-00 §2.2, coturn's
 * `use-auth-secret`): the username is `expiry:identity` where `expiry` is a Unix time in
 * seconds, and the password is `base64(HMAC-SHA1(secret, username))`. The server knows
 * only the shared secret(s), recomputes the password and checks the expiry.
 */
import { createHmac } from 'node:crypto';
import { TurnError, TurnErrorCode } from './errors.ts';

/** Input of `restCredential`. */
export interface RestCredentialInput {
  /** The shared secret (the TURN server's `secrets`). Non-empty. */
  secret: string;
  /** Who the credential is for (participant id, user name). May be empty; must not contain `:`. Default ''. */
  identity?: string;
  /** Validity in seconds, 1 – 31,536,000 (a year). Default 86,400 (a day). */
  ttlSeconds?: number;
  /** The current time in milliseconds since the epoch. Default `Date.now()`. */
  now?: number;
}

/** An ephemeral credential: what an RTCIceServer wants as `username` / `credential`. */
export interface RestCredential {
  /** `${expiryUnixSeconds}:${identity}` (just the expiry when the identity is empty). */
  username: string;
  /** base64(HMAC-SHA1(secret, username)). */
  credential: string;
  /** Expiry, Unix seconds. */
  expiresAt: number;
}

const MAX_TTL_SECONDS = 365 * 24 * 3600;

/** The password of a REST username under one secret: base64(HMAC-SHA1(secret, username)). */
export function restPassword(secret: string, username: string): string {
  return createHmac('sha1', secret).update(username, 'utf8').digest('base64');
}

/**
 * A TURN REST credential for `identity`, valid `ttlSeconds` from `now`.
 * @throws TurnError turn_bad_credential_input for an empty secret, an identity with `:`,
 *   or a TTL outside 1 s – 1 year.
 */
export function restCredential(input: RestCredentialInput): RestCredential {
  const identity = input.identity ?? '';
  const ttl = input.ttlSeconds ?? 86_400;
  if (typeof input.secret !== 'string' || input.secret.length === 0) {
    throw new TurnError(TurnErrorCode.BadCredentialInput, 'the REST secret must be a non-empty string');
  }
  if (identity.includes(':')) {
    throw new TurnError(TurnErrorCode.BadCredentialInput, 'the identity must not contain ":"');
  }
  if (!Number.isInteger(ttl) || ttl < 1 || ttl > MAX_TTL_SECONDS) {
    throw new TurnError(TurnErrorCode.BadCredentialInput, `ttlSeconds ${ttl} is not 1-${MAX_TTL_SECONDS}`);
  }
  const expiresAt = Math.floor((input.now ?? Date.now()) / 1000) + ttl;
  const username = identity === '' ? `${expiresAt}` : `${expiresAt}:${identity}`;
  return { username, credential: restPassword(input.secret, username), expiresAt };
}

/** A REST username taken apart, or undefined when it is not `digits[:identity]`. */
export interface RestUsername {
  expiresAt: number;
  identity: string;
}

/**
 * Parses `expiry[:identity]` (coturn's separator is `:`). The expiry is 1–12 decimal
 * digits. Returns undefined for anything else.
 */
export function parseRestUsername(username: string): RestUsername | undefined {
  const colon = username.indexOf(':');
  const head = colon < 0 ? username : username.slice(0, colon);
  if (head.length === 0 || head.length > 12 || !/^[0-9]+$/.test(head)) return undefined;
  return { expiresAt: Number(head), identity: colon < 0 ? '' : username.slice(colon + 1) };
}
