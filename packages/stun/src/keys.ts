/**
 * Keys for MESSAGE-INTEGRITY(-SHA256) and the USERHASH value (RFC 8489 §9, §14.4).
 */
import { createHash } from 'node:crypto';
import { PasswordAlgorithm } from './constants.ts';
import { StunEncodeError } from './errors.ts';
import { type CredentialPrep, prepare } from './prep.ts';

const encoder = new TextEncoder();

/**
 * Short-term credential key (RFC 8489 §9.1.1): "key = OpaqueString(password)", as UTF-8.
 * ICE connectivity checks use this with the peer's ice-pwd (RFC 8445 §7.2.2).
 *
 * @param prep default `opaque-string`; `none` for passwords already prepared (ICE
 *   passwords are ASCII ice-chars, which OpaqueString leaves as they are).
 */
export function shortTermKey(password: string, prep: CredentialPrep = 'opaque-string'): Uint8Array {
  return encoder.encode(prepare(password, prep, 'password'));
}

/** Options of longTermKey. */
export interface LongTermKeyOptions {
  /** PasswordAlgorithm.MD5 (default, RFC 8489 §9.2.2) or .SHA256 (§18.5). */
  algorithm?: number;
  /**
   * Preparation of realm and password. Default `opaque-string` (RFC 8489 §9.2.2);
   * `saslprep` reproduces RFC 5389 (and the RFC 5769 §2.4 vector).
   */
  prep?: CredentialPrep;
}

/**
 * Long-term credential key (RFC 8489 §9.2.2):
 * `key = H(username ":" OpaqueString(realm) ":" OpaqueString(password))`, H = MD5
 * (16 bytes) or SHA-256 (32 bytes) per PASSWORD-ALGORITHM. `username` is taken as
 * given: it is the (already prepared) value of the USERNAME attribute.
 *
 * @throws StunEncodeError stun_bad_value for an unknown algorithm, stun_bad_credential
 *   when preparation rejects the realm or password.
 */
export function longTermKey(
  username: string,
  realm: string,
  password: string,
  options: LongTermKeyOptions = {},
): Uint8Array {
  const algorithm = options.algorithm ?? PasswordAlgorithm.MD5;
  const prep = options.prep ?? 'opaque-string';
  const hash =
    algorithm === PasswordAlgorithm.MD5 ? 'md5' : algorithm === PasswordAlgorithm.SHA256 ? 'sha256' : undefined;
  if (hash === undefined) throw new StunEncodeError('stun_bad_value', `unknown password algorithm ${algorithm}`);
  const text = `${username}:${prepare(realm, prep, 'realm')}:${prepare(password, prep, 'password')}`;
  return new Uint8Array(createHash(hash).update(text, 'utf8').digest());
}

/**
 * USERHASH value (RFC 8489 §14.4):
 * `SHA-256(OpaqueString(username) ":" OpaqueString(realm))`, 32 bytes.
 */
export function userhash(username: string, realm: string, prep: CredentialPrep = 'opaque-string'): Uint8Array {
  const text = `${prepare(username, prep, 'username')}:${prepare(realm, prep, 'realm')}`;
  return new Uint8Array(createHash('sha256').update(text, 'utf8').digest());
}
