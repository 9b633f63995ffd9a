/**
 * Room tokens: JSON Web Tokens (RFC 7519) signed with HMAC-SHA256 — JWS "HS256"
 * (RFC 7515, RFC 7518 §3.2) — with node:crypto, no library.
 *
 * Claims: `{ sub: identity, room, name?, grants?: { canPublish, canSubscribe, canRename }, iat, exp, nbf? }`.
 * `exp` is required (a room token that never expires is refused). Missing `grants`, or a
 * missing field in it, means allowed — except `canRename` when the token names the
 * participant: a token's `name` is authoritative (it follows the display-name rule of
 * @itda/protocol) and `update {name}` may change it only with `canRename: true`.
 * Several secrets may be configured for rotation: tokens verify with any of them and are
 * signed with the first.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { displayNameProblem, ErrorCode, type Grants, ROOM_NAME_PATTERN } from '@itda/protocol';
import { SignalError } from './errors.ts';

/** The verified content of a room token. */
export interface RoomTokenClaims {
  /** `sub`: the participant's identity. */
  identity: string;
  room: string;
  /** Display name to use instead of the one in `join` (trimmed; the display-name rule). */
  name: string | undefined;
  grants: Grants;
  /** Seconds since the epoch. */
  issuedAt: number;
  expiresAt: number;
  notBefore: number | undefined;
}

/** Verifies a token and returns its claims, or throws SignalError `invalid_token` / `token_expired`. */
export type TokenVerifier = (token: string) => RoomTokenClaims;

export interface SignTokenOptions {
  room: string;
  identity: string;
  /** The participant's display name (the display-name rule of @itda/protocol; else `invalid_config`). */
  name?: string;
  /** Lifetime in seconds. Default 3600. */
  ttlSeconds?: number;
  /**
   * Default: `canPublish` and `canSubscribe` true; `canRename` left out of the token, which
   * means false when `name` is given, true otherwise.
   */
  grants?: Partial<Grants>;
  /** Seconds from now before which the token is not valid (sets `nbf`). Default: no `nbf`. */
  notBeforeSeconds?: number;
  /** Wall clock in ms since the epoch. Default `Date.now`. */
  now?: () => number;
}

const HEADER = { alg: 'HS256', typ: 'JWT' };
/** Longest token accepted (the protocol's `join.token` limit). */
const MAX_TOKEN_LENGTH = 8192;

const b64url = (data: string | Buffer): string => Buffer.from(data).toString('base64url');

function hmac(secret: string, data: string): Buffer {
  return createHmac('sha256', secret).update(data).digest();
}

/** Mints a room token signed with `secret` (HS256). */
export function signRoomToken(secret: string, options: SignTokenOptions): string {
  if (secret.length === 0) throw new SignalError('invalid_config', 'token secret is empty');
  const problem = options.name === undefined ? undefined : displayNameProblem(options.name);
  if (problem !== undefined) throw new SignalError('invalid_config', `token name: ${problem}`);
  const iat = Math.floor((options.now ?? Date.now)() / 1000);
  const rename = options.grants?.canRename;
  const claims: Record<string, unknown> = {
    sub: options.identity,
    room: options.room,
    ...(options.name === undefined ? {} : { name: options.name.trim() }),
    grants: {
      canPublish: options.grants?.canPublish ?? true,
      canSubscribe: options.grants?.canSubscribe ?? true,
      ...(rename === undefined ? {} : { canRename: rename }),
      ...(options.grants?.roomAdmin === true ? { roomAdmin: true } : {}),
    },
    iat,
    exp: iat + (options.ttlSeconds ?? 3600),
    ...(options.notBeforeSeconds === undefined ? {} : { nbf: iat + options.notBeforeSeconds }),
  };
  const signingInput = `${b64url(JSON.stringify(HEADER))}.${b64url(JSON.stringify(claims))}`;
  return `${signingInput}.${hmac(secret, signingInput).toString('base64url')}`;
}

export interface VerifierOptions {
  /** Accepted secrets (rotation: any may verify). At least one. */
  secrets: readonly string[];
  /** Wall clock in ms since the epoch. Default `Date.now`. */
  now?: () => number;
  /** Allowed clock skew for `exp`/`nbf`, in seconds. Default 0. */
  leewaySeconds?: number;
}

const invalid = (message: string): SignalError => new SignalError(ErrorCode.InvalidToken, message);

function decodeJsonPart(part: string, what: string): Record<string, unknown> {
  if (!/^[A-Za-z0-9_-]+$/.test(part)) throw invalid(`token ${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
  } catch {
    throw invalid(`token ${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw invalid(`token ${what} is not an object`);
  return value as Record<string, unknown>;
}

function optionalBoolean(value: unknown, field: string, absent = true): boolean {
  if (value === undefined) return absent;
  if (typeof value !== 'boolean') throw invalid(`token grant ${field} is not a boolean`);
  return value;
}

/**
 * Makes a verifier for HS256 room tokens. Checks, in order: shape, header (`alg` must be
 * HS256 — `none` and every other algorithm are refused, RFC 8725 §3.1; no `crit`, as this
 * verifier understands no extension, RFC 7515 §4.1.11), signature (constant-time, against
 * every secret), claim types and the display-name rule for `name`, then `nbf`/`exp`
 * (RFC 7519 §4.1.4–5).
 */
export function createTokenVerifier(options: VerifierOptions): TokenVerifier {
  const secrets = options.secrets.filter((s) => s.length > 0);
  if (secrets.length === 0) throw new SignalError('invalid_config', 'a token verifier needs at least one secret');
  const now = options.now ?? Date.now;
  const leeway = options.leewaySeconds ?? 0;

  return (token) => {
    if (token.length > MAX_TOKEN_LENGTH) throw invalid('token too long');
    const parts = token.split('.');
    if (parts.length !== 3) throw invalid('token is not a JWS compact serialisation');
    const [h = '', p = '', s = ''] = parts;
    const header = decodeJsonPart(h, 'header');
    if (header.alg !== 'HS256') throw invalid(`token algorithm must be HS256`);
    if (header.typ !== undefined && header.typ !== 'JWT') throw invalid('token typ must be JWT');
    // RFC 7515 §4.1.11: "If any of the listed extension Header Parameters are not
    // understood and supported by the recipient, then the JWS is invalid." This verifier
    // supports none, and an empty list is not allowed either: any `crit` is refused.
    if (header.crit !== undefined) throw invalid('token header crit names extensions this server does not support');
    if (!/^[A-Za-z0-9_-]+$/.test(s)) throw invalid('token signature is not base64url');
    const signature = Buffer.from(s, 'base64url');
    const signingInput = `${h}.${p}`;
    let ok = false;
    for (const secret of secrets) {
      const expected = hmac(secret, signingInput);
      // Evaluate every secret so that timing does not tell which one matched.
      if (signature.length === expected.length && timingSafeEqual(signature, expected)) ok = true;
    }
    if (!ok) throw invalid('token signature does not verify');

    const claims = decodeJsonPart(p, 'payload');
    const { sub, room, name, grants, iat, exp, nbf } = claims;
    if (typeof sub !== 'string' || sub.length === 0 || sub.length > 256) throw invalid('token sub must be a string');
    if (typeof room !== 'string' || !ROOM_NAME_PATTERN.test(room)) throw invalid('token room is not a room name');
    if (name !== undefined) {
      if (typeof name !== 'string') throw invalid('token name must be a string');
      const problem = displayNameProblem(name);
      if (problem !== undefined) throw invalid(`token name: ${problem}`);
    }
    if (typeof exp !== 'number' || !Number.isFinite(exp)) throw invalid('token exp is required');
    if (iat !== undefined && typeof iat !== 'number') throw invalid('token iat must be a number');
    if (nbf !== undefined && typeof nbf !== 'number') throw invalid('token nbf must be a number');
    if (grants !== undefined && (typeof grants !== 'object' || grants === null || Array.isArray(grants))) {
      throw invalid('token grants must be an object');
    }
    const g = (grants ?? {}) as Record<string, unknown>;
    const nowS = now() / 1000;
    if (nowS >= exp + leeway) throw new SignalError(ErrorCode.TokenExpired, 'token has expired');
    if (nbf !== undefined && nowS < nbf - leeway)
      throw new SignalError(ErrorCode.TokenExpired, 'token is not yet valid');
    return {
      identity: sub,
      room,
      name: typeof name === 'string' ? name.trim() : undefined,
      grants: {
        canPublish: optionalBoolean(g.canPublish, 'canPublish'),
        canSubscribe: optionalBoolean(g.canSubscribe, 'canSubscribe'),
        canRename: optionalBoolean(g.canRename, 'canRename', name === undefined),
        ...(optionalBoolean(g.roomAdmin, 'roomAdmin', false) ? { roomAdmin: true } : {}),
      },
      issuedAt: typeof iat === 'number' ? iat : 0,
      expiresAt: exp,
      notBefore: typeof nbf === 'number' ? nbf : undefined,
    };
  };
}
