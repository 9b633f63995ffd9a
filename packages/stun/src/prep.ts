/**
 * String preparation of credentials, "lite": what STUN needs from PRECIS OpaqueString
 * (RFC 8265 §4.2, required by RFC 8489 §9.2.2 and §14.3) and from SASLprep
 * (RFC 4013, used by RFC 5389 and the RFC 5769 §2.4 test vector), without the full
 * Unicode tables.
 *
 * `opaqueString(s)`:
 *   1. additional mapping (RFC 8265 §4.2.1): every non-ASCII space (Unicode Zs) → U+0020;
 *   2. normalization: NFC;
 *   3. rejects (stun_bad_credential): the empty string; lone surrogates; control
 *      characters (Cc); default-ignorable code points and non-characters (RFC 8264
 *      §9.13 PrecisIgnorableProperties); private-use (Co) and unassigned (Cn) code
 *      points, as far as the runtime's Unicode tables know them.
 *   Not done: the full FreeformClass derivation of RFC 8264 §8 (e.g. Old Hangul Jamo).
 *
 * `saslPrep(s)`:
 *   1. RFC 3454 table B.1 ("commonly mapped to nothing", e.g. U+00AD SOFT HYPHEN) → removed;
 *   2. table C.1.2 (non-ASCII spaces) → U+0020;
 *   3. normalization: NFKC;
 *   4. rejects the empty string, lone surrogates, controls (C.2), private use (C.3),
 *      non-characters (C.4), and U+FFF9–U+FFFD, U+2FF0–U+2FFB, U+E0001, U+E0020–U+E007F
 *      (C.6–C.9, incl. the deprecated format characters U+206A–U+206F and U+200E/U+200F).
 *   Not done: the bidirectional check (RFC 3454 §6); unassigned code points are allowed
 *   (RFC 4013 "queries").
 *
 * For ASCII credentials both are the identity, except that they reject controls.
 */
import { StunEncodeError } from './errors.ts';

/** How credentials are prepared before they enter a key. */
export type CredentialPrep = 'opaque-string' | 'saslprep' | 'none';

const NON_ASCII_SPACE = /\p{Zs}/gu;
const OPAQUE_DISALLOWED = /[\p{Cc}\p{Default_Ignorable_Code_Point}\p{Noncharacter_Code_Point}\p{Co}\p{Cn}]/u;

// RFC 3454 table B.1.
// biome-ignore lint/suspicious/noMisleadingCharacterClass: a set of single code points, matched one at a time.
const SASL_MAP_TO_NOTHING = /[\u00AD\u034F\u1806\u180B-\u180D\u200B-\u200D\u2060\uFE00-\uFE0F\uFEFF]/g;
// RFC 3454 table C.1.2.
const SASL_SPACES = /[\u00A0\u1680\u2000-\u200A\u202F\u205F\u3000]/g;
// RFC 3454 tables C.2.1, C.2.2, C.3, C.4, C.5 (by property), C.6–C.9 (listed). U+200C/U+200D
// (C.2.2) are already removed by table B.1.
const SASL_PROHIBITED =
  /[\p{Cc}\p{Co}\p{Noncharacter_Code_Point}\u06DD\u070F\u180E\u200E\u200F\u2028\u2029\u2060-\u2063\u206A-\u206F\uFEFF\uFFF9-\uFFFD\u2FF0-\u2FFB\u{1D173}-\u{1D17A}\u{E0001}\u{E0020}-\u{E007F}]/u;

function reject(what: string, why: string): StunEncodeError {
  return new StunEncodeError('stun_bad_credential', `${what} ${why}`);
}

/** OpaqueString-lite (see the file comment). @throws StunEncodeError stun_bad_credential */
export function opaqueString(value: string, what = 'credential'): string {
  if (!value.isWellFormed()) throw reject(what, 'has a lone surrogate');
  const mapped = value.replace(NON_ASCII_SPACE, ' ').normalize('NFC');
  if (mapped.length === 0) throw reject(what, 'is empty');
  if (OPAQUE_DISALLOWED.test(mapped)) throw reject(what, 'has a character OpaqueString disallows');
  return mapped;
}

/** SASLprep-lite (see the file comment). @throws StunEncodeError stun_bad_credential */
export function saslPrep(value: string, what = 'credential'): string {
  if (!value.isWellFormed()) throw reject(what, 'has a lone surrogate');
  const mapped = value.replace(SASL_MAP_TO_NOTHING, '').replace(SASL_SPACES, ' ').normalize('NFKC');
  if (mapped.length === 0) throw reject(what, 'is empty');
  if (SASL_PROHIBITED.test(mapped)) throw reject(what, 'has a character SASLprep prohibits');
  return mapped;
}

/** Applies `prep` to `value`. */
export function prepare(value: string, prep: CredentialPrep, what?: string): string {
  if (prep === 'opaque-string') return opaqueString(value, what);
  if (prep === 'saslprep') return saslPrep(value, what);
  return value;
}
