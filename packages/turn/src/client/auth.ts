/**
 * The client side of the long-term credential mechanism (RFC 8489 §9.2, RFC 8656 §7.1):
 * what a request carries once the server has sent its REALM and NONCE, how to react to
 * 401 and 438, and checking the integrity of responses. No I/O.
 */
import {
  AttrType,
  type DecodedStunMessage,
  type EncodeOptions,
  longTermKey,
  PasswordAlgorithm,
  type PasswordAlgorithmValue,
  type StunAttribute,
  StunErrorCode,
  verifyIntegrity,
} from '@itda/stun';
import { TurnClientError } from './errors.ts';

/**
 * RFC 8489 §9.2: a NONCE that starts with this "nonce cookie" is followed by four
 * base64 characters of security feature bits; the server then speaks RFC 8489's
 * password algorithms.
 */
export const NONCE_COOKIE = 'obMatJos2';

/** What to do after an error response. */
export type AuthVerdict = 'retry' | 'fail';

const EMPTY = new Uint8Array(0);

/**
 * Long-term credentials of one client and the server's current realm and nonce.
 *
 * Flow (RFC 8489 §9.2.3–§9.2.5): the first request goes without credentials; a 401
 * brings REALM and NONCE (and, from an RFC 8489 server, PASSWORD-ALGORITHMS), and the
 * request is retried with USERNAME, REALM, NONCE and MESSAGE-INTEGRITY (or
 * MESSAGE-INTEGRITY-SHA256 with SHA-256). A 438 brings a new NONCE: retry with it.
 * A 401 to a request that carried credentials means they are wrong: stop.
 */
export class LongTermAuth {
  readonly username: string;
  readonly #password: string;
  #realm: string | undefined;
  #nonce: string | undefined;
  #key: Uint8Array = EMPTY;
  /** Chosen PASSWORD-ALGORITHM, when the server offered PASSWORD-ALGORITHMS. */
  #algorithm: PasswordAlgorithmValue | undefined;
  #algorithms: PasswordAlgorithmValue[] | undefined;

  constructor(username: string, password: string) {
    this.username = username;
    this.#password = password;
  }

  /** True once a REALM and NONCE are known, so requests can carry credentials. */
  get ready(): boolean {
    return this.#realm !== undefined && this.#nonce !== undefined;
  }

  get realm(): string | undefined {
    return this.#realm;
  }

  get nonce(): string | undefined {
    return this.#nonce;
  }

  /** The key in use (MD5 or SHA-256 of `username:realm:password`, RFC 8489 §9.2.2). */
  get key(): Uint8Array {
    return this.#key;
  }

  /** The password algorithm in use: MD5 unless an RFC 8489 server offered SHA-256. */
  get algorithm(): number {
    return this.#algorithm?.algorithm ?? PasswordAlgorithm.MD5;
  }

  /**
   * Attributes an authenticated request carries (RFC 8489 §9.2.4): USERNAME, REALM,
   * NONCE, and PASSWORD-ALGORITHMS + PASSWORD-ALGORITHM when the server sent the former.
   * Empty until `ready`.
   */
  attributes(): StunAttribute[] {
    if (!this.ready) return [];
    const out: StunAttribute[] = [
      { type: AttrType.Username, value: this.username },
      { type: AttrType.Realm, value: this.#realm as string },
      { type: AttrType.Nonce, value: this.#nonce as string },
    ];
    if (this.#algorithm !== undefined && this.#algorithms !== undefined) {
      out.push({ type: AttrType.PasswordAlgorithms, value: this.#algorithms });
      out.push({ type: AttrType.PasswordAlgorithm, value: this.#algorithm });
    }
    return out;
  }

  /**
   * Integrity options for encodeMessage: MESSAGE-INTEGRITY with the MD5 key, or only
   * MESSAGE-INTEGRITY-SHA256 when SHA-256 was chosen (RFC 8489 §9.2.4).
   */
  encodeOptions(): EncodeOptions {
    if (!this.ready) return {};
    if (this.algorithm === PasswordAlgorithm.SHA256) return { integritySha256Key: this.#key };
    return { integrityKey: this.#key };
  }

  /**
   * Learns from an error response to a request that carried credentials when
   * `withCredentials`. Returns `retry` when the request should be sent again with the
   * new realm/nonce, `fail` when not.
   * @throws TurnClientError turn_client_unauthenticated for a 401 to credentials,
   *   turn_client_bad_response for a 401/438 without REALM or NONCE.
   */
  handleError(response: DecodedStunMessage, withCredentials: boolean): AuthVerdict {
    const code = response.get(AttrType.ErrorCode)?.code;
    if (code !== StunErrorCode.Unauthenticated && code !== StunErrorCode.StaleNonce) return 'fail';
    if (code === StunErrorCode.Unauthenticated && withCredentials) {
      // RFC 8489 §9.2.5: a 401 to a request with credentials means they are not accepted.
      throw new TurnClientError(
        'turn_client_unauthenticated',
        `the server rejected the credentials of ${this.username}`,
        {
          stunCode: 401,
        },
      );
    }
    const realm = response.get(AttrType.Realm) ?? this.#realm;
    const nonce = response.get(AttrType.Nonce);
    if (realm === undefined || nonce === undefined) {
      throw new TurnClientError('turn_client_bad_response', `a ${code} response without REALM and NONCE`, {
        stunCode: code,
      });
    }
    this.#nonce = nonce;
    // RFC 8489 §9.2.4: PASSWORD-ALGORITHMS counts only with the nonce cookie and its feature bit.
    const offered = nonce.startsWith(NONCE_COOKIE) ? response.get(AttrType.PasswordAlgorithms) : undefined;
    let algorithm = this.#algorithm;
    if (offered !== undefined && offered.length > 0) {
      // The first algorithm in the server's order that the client supports.
      const pick = offered.find(
        (a) => a.algorithm === PasswordAlgorithm.SHA256 || a.algorithm === PasswordAlgorithm.MD5,
      );
      if (pick === undefined) {
        throw new TurnClientError('turn_client_bad_response', 'no supported password algorithm offered', {
          stunCode: code,
        });
      }
      algorithm = { algorithm: pick.algorithm, parameters: pick.parameters };
      this.#algorithms = offered.map((a) => ({ algorithm: a.algorithm, parameters: new Uint8Array(a.parameters) }));
    }
    if (realm !== this.#realm || algorithm?.algorithm !== this.#algorithm?.algorithm || this.#key.length === 0) {
      this.#realm = realm;
      this.#algorithm = algorithm;
      this.#key = longTermKey(this.username, realm, this.#password, { algorithm: this.algorithm });
    }
    return 'retry';
  }

  /**
   * True when a response may be accepted: it has no integrity attribute (the server may
   * answer errors unauthenticated), or it verifies with the current key. A response whose
   * integrity does not verify is to be discarded (RFC 8489 §9.2.5).
   */
  acceptResponse(response: DecodedStunMessage): boolean {
    if (response.integrityAt < 0 && response.integritySha256At < 0) return true;
    if (this.#key.length === 0) return true;
    return verifyIntegrity(response, this.#key);
  }
}
