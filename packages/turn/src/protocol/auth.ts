/**
 * The long-term credential mechanism (RFC 8489 §9.2) on the server side, with static
 * users and TURN REST ephemeral usernames (`expiry:identity`, password
 * base64(HMAC-SHA1(secret, username)), any of several secrets), PASSWORD-ALGORITHMS
 * (MD5, SHA-256) and USERHASH for static users.
 */
import { timingSafeEqual } from 'node:crypto';
import {
  AttrType,
  type DecodedStunMessage,
  longTermKey,
  PasswordAlgorithm,
  type StunAttribute,
  userhash,
  verifyIntegrity,
} from '@itda/stun';
import type { ResolvedCoreOptions } from './config.ts';
import { AuthFailure } from './metrics.ts';
import { hasNonceCookie, NonceFactory } from './nonce.ts';
import { parseRestUsername, restPassword } from './rest.ts';

/** PASSWORD-ALGORITHMS the server offers, in order of preference (RFC 8489 §14.11). */
const OFFERED = [PasswordAlgorithm.SHA256, PasswordAlgorithm.MD5];
const OFFERED_BYTES = Buffer.from([0, 2, 0, 0, 0, 1, 0, 0]);

/** A verified credential: what the response is signed with and what quotas count. */
export interface Credential {
  /** The USERNAME (or, for USERHASH, the user name it stands for). */
  username: string;
  /** Key for quotas: the static user name, or `rest:identity`. */
  quotaKey: string;
  /** The identity part of a TURN REST username (`expiry:identity`); undefined for static users. */
  restIdentity: string | undefined;
  /** PasswordAlgorithm used to derive `key`. */
  algorithm: number;
  key: Uint8Array;
  /** Sign the response with MESSAGE-INTEGRITY-SHA256 (the request used it) instead of MESSAGE-INTEGRITY. */
  sha256: boolean;
  /** REST credentials: expiry in Unix seconds; static users: Infinity. */
  expiresAt: number;
}

/** The outcome of authenticating a request. */
export type AuthResult =
  | { ok: true; credential: Credential }
  | { ok: false; code: 400 | 401 | 438; reason: AuthFailure | 'bad_request' };

/** Authenticates requests; stateless apart from a table of static users' keys. */
export class Authenticator {
  readonly #o: ResolvedCoreOptions;
  readonly #nonces: NonceFactory;
  /** USERHASH (hex) → static user name. */
  readonly #userhashes = new Map<string, string>();
  /** `${algorithm}:${user}` → key, static users only. */
  readonly #staticKeys = new Map<string, Uint8Array>();

  constructor(options: ResolvedCoreOptions) {
    this.#o = options;
    // USERHASH only works for names the server can hash in advance: advertise it only
    // when every credential is a static user (REST usernames change every time).
    const anonymity = options.users.size > 0 && options.secrets.length === 0;
    this.#nonces = new NonceFactory(options.nonceTtlSeconds, anonymity, options.nonceSecret);
    if (anonymity) {
      for (const name of options.users.keys()) {
        try {
          this.#userhashes.set(Buffer.from(userhash(name, options.realm)).toString('hex'), name);
        } catch {
          // a name OpaqueString rejects cannot be hashed; it still works as USERNAME
        }
      }
    }
  }

  /** REALM, NONCE and PASSWORD-ALGORITHMS of a 401 / 438 answer (RFC 8489 §9.2.4). */
  challenge(clientIp: string, nowMs: number): StunAttribute[] {
    return [
      { type: AttrType.Realm, value: this.#o.realm },
      { type: AttrType.Nonce, value: this.#nonces.issue(clientIp, nowMs) },
      {
        type: AttrType.PasswordAlgorithms,
        value: OFFERED.map((algorithm) => ({ algorithm, parameters: new Uint8Array(0) })),
      },
    ] as StunAttribute[];
  }

  /**
   * Authenticates `msg` from `clientIp` following RFC 8489 §9.2.4 step by step.
   * `hint` (the allocation's credential) is tried first, which saves the key derivation.
   */
  authenticate(msg: DecodedStunMessage, clientIp: string, nowMs: number, hint?: Credential): AuthResult {
    // "If the message does not contain a MESSAGE-INTEGRITY or a MESSAGE-INTEGRITY-SHA256
    //  attribute, the server MUST generate an error response with an error code of 401."
    if (msg.integrityAt < 0 && msg.integritySha256At < 0) return { ok: false, code: 401, reason: AuthFailure.Missing };
    // "If the message contains a MESSAGE-INTEGRITY or a MESSAGE-INTEGRITY-SHA256 attribute,
    //  but is missing either the USERNAME or USERHASH, REALM, or NONCE attribute, the server
    //  MUST generate an error response with an error code of 400 (Bad Request)."
    let username: string | undefined;
    let hash: Uint8Array | undefined;
    let realm: string | undefined;
    let nonce: string | undefined;
    let algorithm: number = PasswordAlgorithm.MD5;
    try {
      username = msg.get(AttrType.Username);
      hash = username === undefined ? msg.get(AttrType.Userhash) : undefined;
      realm = msg.get(AttrType.Realm);
      nonce = msg.get(AttrType.Nonce);
      if ((username === undefined && hash === undefined) || realm === undefined || nonce === undefined) {
        return { ok: false, code: 400, reason: 'bad_request' };
      }
      // "If the NONCE attribute starts with the 'nonce cookie' with the STUN Security Feature
      //  'Password algorithms' bit set to 1 [...]: If the request contains neither
      //  PASSWORD-ALGORITHMS nor PASSWORD-ALGORITHM, then the request is processed as though
      //  PASSWORD-ALGORITHM were MD5. Otherwise, unless (1) PASSWORD-ALGORITHM and
      //  PASSWORD-ALGORITHMS are both present, (2) PASSWORD-ALGORITHMS matches the value sent
      //  in the response that sent this NONCE, and (3) PASSWORD-ALGORITHM matches one of the
      //  entries in PASSWORD-ALGORITHMS, the server MUST generate [...] 400."
      if (hasNonceCookie(nonce)) {
        const chosen = msg.get(AttrType.PasswordAlgorithm);
        const list = msg.raw(AttrType.PasswordAlgorithms);
        if (chosen !== undefined || list !== undefined) {
          if (chosen === undefined || list === undefined) return { ok: false, code: 400, reason: 'bad_request' };
          if (list.length !== OFFERED_BYTES.length || !timingSafeEqual(list, OFFERED_BYTES)) {
            return { ok: false, code: 400, reason: 'bad_request' };
          }
          if (!(OFFERED as number[]).includes(chosen.algorithm) || chosen.parameters.length !== 0) {
            return { ok: false, code: 400, reason: 'bad_request' };
          }
          algorithm = chosen.algorithm;
        }
      }
    } catch {
      return { ok: false, code: 400, reason: 'bad_request' };
    }
    // "If the value of the USERNAME or USERHASH attribute is not valid, the server MUST
    //  generate an error response with an error code of 401 (Unauthenticated)."
    if (realm !== this.#o.realm) return { ok: false, code: 401, reason: AuthFailure.UnknownUser };
    if (username === undefined) {
      username = this.#userhashes.get(Buffer.from(hash as Uint8Array).toString('hex'));
      if (username === undefined) return { ok: false, code: 401, reason: AuthFailure.UnknownUser };
    }
    const sha256 = msg.integritySha256At >= 0;
    // "[...] compute the value for the message integrity [...] If the resulting value does
    //  not match the contents of the corresponding attribute [...] 401 (Unauthenticated)."
    let credential: Credential | undefined;
    if (hint !== undefined && hint.username === username && hint.algorithm === algorithm) {
      if (verifyIntegrity(msg, hint.key)) credential = { ...hint, sha256 };
    }
    if (credential === undefined) {
      const found = this.#verify(msg, username, algorithm, sha256, nowMs);
      if (!found.ok) return found;
      credential = found.credential;
    }
    if (credential.expiresAt * 1000 <= nowMs) return { ok: false, code: 401, reason: AuthFailure.Expired };
    // "If the NONCE is no longer valid, the server MUST generate an error response with an
    //  error code of 438 (Stale Nonce)."
    if (this.#nonces.check(nonce, clientIp, nowMs) !== 'valid') {
      return { ok: false, code: 438, reason: AuthFailure.StaleNonce };
    }
    return { ok: true, credential };
  }

  #verify(msg: DecodedStunMessage, username: string, algorithm: number, sha256: boolean, nowMs: number): AuthResult {
    const password = this.#o.users.get(username);
    if (password !== undefined) {
      const k = `${algorithm}:${username}`;
      let key = this.#staticKeys.get(k);
      if (key === undefined) {
        try {
          key = longTermKey(username, this.#o.realm, password, { algorithm });
        } catch {
          return { ok: false, code: 401, reason: AuthFailure.UnknownUser };
        }
        this.#staticKeys.set(k, key);
      }
      if (!verifyIntegrity(msg, key)) return { ok: false, code: 401, reason: AuthFailure.BadIntegrity };
      return {
        ok: true,
        credential: {
          username,
          quotaKey: username,
          restIdentity: undefined,
          algorithm,
          key,
          sha256,
          expiresAt: Infinity,
        },
      };
    }
    const rest = this.#o.secrets.length > 0 ? parseRestUsername(username) : undefined;
    if (rest === undefined) return { ok: false, code: 401, reason: AuthFailure.UnknownUser };
    // An expired REST username is refused before any key is derived (cheap rejection).
    if (rest.expiresAt * 1000 <= nowMs) return { ok: false, code: 401, reason: AuthFailure.Expired };
    for (const secret of this.#o.secrets) {
      let key: Uint8Array;
      try {
        key = longTermKey(username, this.#o.realm, restPassword(secret, username), { algorithm });
      } catch {
        return { ok: false, code: 401, reason: AuthFailure.UnknownUser };
      }
      if (verifyIntegrity(msg, key)) {
        const credential = {
          username,
          quotaKey: `rest:${rest.identity}`,
          restIdentity: rest.identity,
          algorithm,
          key,
          sha256,
          expiresAt: rest.expiresAt,
        };
        return { ok: true, credential };
      }
    }
    return { ok: false, code: 401, reason: AuthFailure.BadIntegrity };
  }
}
