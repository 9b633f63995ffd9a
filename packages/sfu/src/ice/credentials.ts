/**
 * ICE credentials (RFC 8839 §5.4): a username fragment and a password
 * of ice-chars (`ALPHA / DIGIT / "+" / "/"`), from crypto randomness.
 */
import { randomBytes } from 'node:crypto';
import { IceError, IceErrorCode } from './errors.ts';

/** Local (or remote) ICE credentials of one transport. */
export interface IceCredentials {
  /** Username fragment, 4–256 ice-chars (RFC 8839 §5.4). */
  ufrag: string;
  /** Password, 22–256 ice-chars (RFC 8839 §5.4). */
  pwd: string;
}

/** ufrag length we generate: 16 characters, 96 bits (RFC 8839 §5.4 asks for at least 24 bits of randomness). */
export const UFRAG_LENGTH = 16;
/** Password length we generate: 32 characters, 192 bits (RFC 8839 §5.4 asks for at least 128 bits). */
export const PWD_LENGTH = 32;
/** RFC 8839 §5.4: `ice-ufrag-att = "ice-ufrag:" ufrag; ufrag = 4*256ice-char`. */
export const UFRAG_MIN = 4;
/** RFC 8839 §5.4: `ice-pwd-att = "ice-pwd:" password; password = 22*256ice-char`. */
export const PWD_MIN = 22;
/** RFC 8839 §5.4: both at most 256 characters. */
export const CREDENTIAL_MAX = 256;

const ICE_CHARS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';

/** `length` ice-chars; 64 symbols, so `byte & 63` is uniform. */
function randomIceChars(length: number): string {
  const bytes = randomBytes(length);
  let out = '';
  for (let i = 0; i < length; i++) out += ICE_CHARS[(bytes[i] as number) & 63];
  return out;
}

/** Fresh credentials: a 16-character ufrag and a 32-character password. */
export function createIceCredentials(): IceCredentials {
  return { ufrag: randomIceChars(UFRAG_LENGTH), pwd: randomIceChars(PWD_LENGTH) };
}

/** True when `s` is `min`–256 ice-chars (RFC 8839 §5.4). */
export function isIceChars(s: string, min: number): boolean {
  if (s.length < min || s.length > CREDENTIAL_MAX) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || c === 0x2b || c === 0x2f;
    if (!ok) return false;
  }
  return true;
}

/** @throws IceError ice_bad_credentials when `ufrag` is not 4–256 ice-chars. */
export function assertUfrag(ufrag: string, which = 'ufrag'): void {
  if (!isIceChars(ufrag, UFRAG_MIN)) {
    throw new IceError(IceErrorCode.BadCredentials, `${which} must be ${UFRAG_MIN}–${CREDENTIAL_MAX} ice-chars`, {
      details: { length: ufrag.length },
    });
  }
}

/** @throws IceError ice_bad_credentials when either field is out of RFC 8839 §5.4. */
export function assertIceCredentials(credentials: IceCredentials): void {
  assertUfrag(credentials.ufrag);
  if (!isIceChars(credentials.pwd, PWD_MIN)) {
    throw new IceError(IceErrorCode.BadCredentials, `pwd must be ${PWD_MIN}–${CREDENTIAL_MAX} ice-chars`, {
      details: { length: credentials.pwd.length },
    });
  }
}
