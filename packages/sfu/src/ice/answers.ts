/**
 * The Binding responses an ICE-lite agent sends (RFC 8445 §7.3, RFC 8489 §6.3).
 * Every answer carries FINGERPRINT, as ICE's checks do (RFC 8445 §7; it tells STUN
 * apart from DTLS and SRTP on the shared port, RFC 8489 §7). Answers to an
 * authenticated request carry MESSAGE-INTEGRITY with the same key (RFC 8489 §9.1.3);
 * answers to a request that failed authentication carry no MESSAGE-INTEGRITY(-SHA256)
 * or USERNAME (RFC 8489 §9.1.3).
 */
import {
  AttrType,
  attr,
  type DecodedStunMessage,
  encodeMessage,
  reasonPhrase,
  type StunAttribute,
  StunClass,
  StunMethod,
} from '@itda/stun';
import type { IceTuple } from './tuple.ts';

/** 200: XOR-MAPPED-ADDRESS = the request's source (RFC 8445 §7.3, RFC 8489 §14.2), MI, FINGERPRINT. */
export function successResponse(
  request: DecodedStunMessage,
  tuple: IceTuple,
  key: Uint8Array,
  sha256: boolean,
): Uint8Array {
  return encodeMessage(
    {
      class: StunClass.SuccessResponse,
      method: StunMethod.Binding,
      transactionId: request.transactionId,
      attributes: [
        attr(AttrType.XorMappedAddress, {
          family: tuple.address.includes(':') ? 'IPv6' : 'IPv4',
          address: tuple.address,
          port: tuple.port,
        }),
      ],
    },
    sha256
      ? { integrityKey: key, integritySha256Key: key, fingerprint: true }
      : { integrityKey: key, fingerprint: true },
  );
}

/**
 * An error response with ERROR-CODE (RFC 8489 §14.8); with `key`, MESSAGE-INTEGRITY
 * too (only for a request that authenticated: 420, 487).
 */
export function errorResponse(
  request: DecodedStunMessage,
  code: number,
  key?: Uint8Array,
  unknown?: readonly number[],
): Uint8Array {
  const attributes: StunAttribute[] = [attr(AttrType.ErrorCode, { code, reason: reasonPhrase(code) })];
  if (unknown !== undefined) attributes.push(attr(AttrType.UnknownAttributes, [...unknown]));
  return encodeMessage(
    { class: StunClass.ErrorResponse, method: StunMethod.Binding, transactionId: request.transactionId, attributes },
    key === undefined ? { fingerprint: true } : { integrityKey: key, fingerprint: true },
  );
}
