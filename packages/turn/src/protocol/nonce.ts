/**
 * Stateless nonces (RFC 8489 §9.2): nothing is stored per client. A nonce is
 *
 *   "obMatJos2" + features (4 base64 chars) + base64url(expiry (4 bytes) ‖ MAC (12 bytes))
 *
 * where MAC = HMAC-SHA256(server secret, features ‖ expiry ‖ client IP) truncated to 96
 * bits and `expiry` is in Unix seconds. A nonce is valid for the client IP it was given
 * to until its expiry; after that the server answers 438 Stale Nonce (RFC 8489 §9.2.4)
 * with a fresh one. 35 characters, all `qdtext` (RFC 8489 §14.10).
 *
 * The "nonce cookie" prefix with the STUN Security Feature bits (RFC 8489 §9.2.1,
 * §18.1) tells RFC 8489 clients that the server supports PASSWORD-ALGORITHMS (and
 * USERHASH when enabled). The bit order of that 24-bit field is ambiguous in the RFC
 * (its own example and erratum 6268 disagree), so each feature is set at both readings:
 * bit 0/1 counted from the most significant bit and from the least.
 */
import { createHmac, randomBytes } from 'node:crypto';

/** RFC 8489 §9.2.1 */
export const NONCE_COOKIE = 'obMatJos2';

/** Password algorithms: 0x80 (MSB-first bit 0) | 0x000001 (LSB-first bit 0). */
const FEATURE_PASSWORD_ALGORITHMS = 0x800001;
/** Username anonymity: 0x40 (MSB-first bit 1) | 0x000002 (LSB-first bit 1). */
const FEATURE_USERNAME_ANONYMITY = 0x400002;

export type NonceCheck = 'valid' | 'stale' | 'invalid';

/** Makes and checks nonces for one server. */
export class NonceFactory {
  readonly #secret: Uint8Array;
  readonly #ttl: number;
  readonly #features: string;
  readonly #prefix: string;

  /**
   * @param ttlSeconds lifetime of a nonce.
   * @param usernameAnonymity advertise USERHASH support (RFC 8489 §9.2.1).
   * @param secret HMAC key; default 32 random bytes.
   */
  constructor(ttlSeconds: number, usernameAnonymity: boolean, secret?: Uint8Array) {
    this.#secret = secret ?? randomBytes(32);
    this.#ttl = ttlSeconds;
    const bits = FEATURE_PASSWORD_ALGORITHMS | (usernameAnonymity ? FEATURE_USERNAME_ANONYMITY : 0);
    this.#features = Buffer.from([bits >>> 16, (bits >>> 8) & 0xff, bits & 0xff]).toString('base64');
    this.#prefix = NONCE_COOKIE + this.#features;
  }

  #mac(expiry: Buffer, clientIp: string): Buffer {
    return createHmac('sha256', this.#secret)
      .update(this.#features)
      .update(expiry)
      .update(clientIp)
      .digest()
      .subarray(0, 12);
  }

  /** A fresh nonce for `clientIp`, valid `ttlSeconds` from `nowMs` (Unix ms). */
  issue(clientIp: string, nowMs: number): string {
    const payload = Buffer.alloc(16);
    payload.writeUInt32BE(Math.floor(nowMs / 1000) + this.#ttl, 0);
    this.#mac(payload.subarray(0, 4), clientIp).copy(payload, 4);
    return this.#prefix + payload.toString('base64url');
  }

  /** 'valid', 'stale' (ours, for this client, expired) or 'invalid' (not ours / not this client's). */
  check(nonce: string, clientIp: string, nowMs: number): NonceCheck {
    if (nonce.length !== this.#prefix.length + 22 || !nonce.startsWith(this.#prefix)) return 'invalid';
    const payload = Buffer.from(nonce.slice(this.#prefix.length), 'base64url');
    if (payload.length !== 16) return 'invalid';
    const mac = this.#mac(payload.subarray(0, 4), clientIp);
    if (!mac.equals(payload.subarray(4))) return 'invalid';
    return payload.readUInt32BE(0) * 1000 > nowMs ? 'valid' : 'stale';
  }
}

/** True when `nonce` starts with the RFC 8489 nonce cookie. */
export function hasNonceCookie(nonce: string): boolean {
  return nonce.startsWith(NONCE_COOKIE);
}
