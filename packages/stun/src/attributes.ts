/**
 * The attribute registry: one typed value codec per attribute type, and the type map
 * `AttributeValues` that gives `message.get(AttrType.X)` its return type.
 * Attribute types not in the registry travel as raw bytes (`{ type, raw }`).
 */
import {
  addressCodec,
  bytesCodec,
  emptyCodec,
  leadingUintCodec,
  textCodec,
  uint32Codec,
  uint64Codec,
  type ValueCodec,
} from './codecs.ts';
import { AttrType } from './constants.ts';
import type { TransportAddress } from './ip.ts';
import { DOMAIN_LIMITS, TEXT_LIMITS, USERNAME_LIMITS } from './limits.ts';
import {
  type AddressErrorCodeValue,
  addressErrorCodeCodec,
  type ChangeRequestValue,
  changeRequestCodec,
  type ErrorCodeValue,
  type EvenPortValue,
  errorCodeCodec,
  evenPortCodec,
  type IcmpValue,
  icmpCodec,
  integritySha256Codec,
  type PasswordAlgorithmValue,
  passwordAlgorithmCodec,
  passwordAlgorithmsCodec,
  unknownAttributesCodec,
} from './shapes.ts';

/** The value type of each registered attribute. */
export interface AttributeValues {
  [AttrType.MappedAddress]: TransportAddress;
  [AttrType.Username]: string;
  [AttrType.MessageIntegrity]: Uint8Array;
  [AttrType.ErrorCode]: ErrorCodeValue;
  [AttrType.UnknownAttributes]: number[];
  [AttrType.Realm]: string;
  [AttrType.Nonce]: string;
  [AttrType.MessageIntegritySha256]: Uint8Array;
  [AttrType.PasswordAlgorithm]: PasswordAlgorithmValue;
  [AttrType.Userhash]: Uint8Array;
  [AttrType.XorMappedAddress]: TransportAddress;
  [AttrType.PasswordAlgorithms]: PasswordAlgorithmValue[];
  [AttrType.AlternateDomain]: string;
  [AttrType.Software]: string;
  [AttrType.AlternateServer]: TransportAddress;
  [AttrType.Fingerprint]: number;
  [AttrType.ChannelNumber]: number;
  [AttrType.Lifetime]: number;
  [AttrType.XorPeerAddress]: TransportAddress;
  [AttrType.Data]: Uint8Array;
  [AttrType.XorRelayedAddress]: TransportAddress;
  [AttrType.RequestedAddressFamily]: number;
  [AttrType.EvenPort]: EvenPortValue;
  [AttrType.RequestedTransport]: number;
  [AttrType.DontFragment]: true;
  [AttrType.ReservationToken]: Uint8Array;
  [AttrType.AdditionalAddressFamily]: number;
  [AttrType.AddressErrorCode]: AddressErrorCodeValue;
  [AttrType.Icmp]: IcmpValue;
  [AttrType.ConnectionId]: number;
  [AttrType.ChangeRequest]: ChangeRequestValue;
  [AttrType.Padding]: Uint8Array;
  [AttrType.ResponsePort]: number;
  [AttrType.ResponseOrigin]: TransportAddress;
  [AttrType.OtherAddress]: TransportAddress;
  [AttrType.Priority]: number;
  [AttrType.UseCandidate]: true;
  [AttrType.IceControlled]: bigint;
  [AttrType.IceControlling]: bigint;
}

export type KnownAttrType = keyof AttributeValues;

/** A registered attribute with its typed value. */
export type KnownAttribute = { [K in KnownAttrType]: { type: K; value: AttributeValues[K] } }[KnownAttrType];

/** Any attribute as raw value bytes (unregistered types, or to send exact bytes). */
export interface RawAttribute {
  type: number;
  raw: Uint8Array;
}

/** What a message carries: typed values for registered types, raw bytes for others. */
export type StunAttribute = KnownAttribute | RawAttribute;

// ------------------------------------------------------------------ the registry

const address = addressCodec(false);
const xorAddress = addressCodec(true);

const CODECS: { [K in KnownAttrType]: ValueCodec<AttributeValues[K]> } = {
  [AttrType.MappedAddress]: address,
  [AttrType.Username]: textCodec('USERNAME', USERNAME_LIMITS),
  [AttrType.MessageIntegrity]: bytesCodec('MESSAGE-INTEGRITY', 20),
  [AttrType.ErrorCode]: errorCodeCodec,
  [AttrType.UnknownAttributes]: unknownAttributesCodec,
  [AttrType.Realm]: textCodec('REALM', TEXT_LIMITS),
  [AttrType.Nonce]: textCodec('NONCE', TEXT_LIMITS),
  [AttrType.MessageIntegritySha256]: integritySha256Codec,
  [AttrType.PasswordAlgorithm]: passwordAlgorithmCodec,
  [AttrType.Userhash]: bytesCodec('USERHASH', 32),
  [AttrType.XorMappedAddress]: xorAddress,
  [AttrType.PasswordAlgorithms]: passwordAlgorithmsCodec,
  [AttrType.AlternateDomain]: textCodec('ALTERNATE-DOMAIN', DOMAIN_LIMITS),
  [AttrType.Software]: textCodec('SOFTWARE', TEXT_LIMITS),
  [AttrType.AlternateServer]: address,
  [AttrType.Fingerprint]: uint32Codec('FINGERPRINT'),
  [AttrType.ChannelNumber]: leadingUintCodec('CHANNEL-NUMBER', 16),
  [AttrType.Lifetime]: uint32Codec('LIFETIME'),
  [AttrType.XorPeerAddress]: xorAddress,
  [AttrType.Data]: bytesCodec('DATA'),
  [AttrType.XorRelayedAddress]: xorAddress,
  [AttrType.RequestedAddressFamily]: leadingUintCodec('REQUESTED-ADDRESS-FAMILY', 8),
  [AttrType.EvenPort]: evenPortCodec,
  [AttrType.RequestedTransport]: leadingUintCodec('REQUESTED-TRANSPORT', 8),
  [AttrType.DontFragment]: emptyCodec('DONT-FRAGMENT'),
  [AttrType.ReservationToken]: bytesCodec('RESERVATION-TOKEN', 8),
  [AttrType.AdditionalAddressFamily]: leadingUintCodec('ADDITIONAL-ADDRESS-FAMILY', 8),
  [AttrType.AddressErrorCode]: addressErrorCodeCodec,
  [AttrType.Icmp]: icmpCodec,
  [AttrType.ConnectionId]: uint32Codec('CONNECTION-ID'),
  [AttrType.ChangeRequest]: changeRequestCodec,
  [AttrType.Padding]: bytesCodec('PADDING'),
  [AttrType.ResponsePort]: leadingUintCodec('RESPONSE-PORT', 16),
  [AttrType.ResponseOrigin]: address,
  [AttrType.OtherAddress]: address,
  [AttrType.Priority]: uint32Codec('PRIORITY'),
  [AttrType.UseCandidate]: emptyCodec('USE-CANDIDATE'),
  [AttrType.IceControlled]: uint64Codec('ICE-CONTROLLED'),
  [AttrType.IceControlling]: uint64Codec('ICE-CONTROLLING'),
};

const REGISTRY = new Map<number, ValueCodec<unknown>>(
  Object.entries(CODECS).map(([type, codec]) => [Number(type), codec as ValueCodec<unknown>] as const),
);

/** The codec of a registered attribute type. */
export function codecOf<K extends KnownAttrType>(type: K): ValueCodec<AttributeValues[K]> {
  return CODECS[type];
}

/** The codec of `type`, or undefined when the type is not registered. */
export function lookupCodec(type: number): ValueCodec<unknown> | undefined {
  return REGISTRY.get(type);
}

/** True when this package knows how to decode `type`. */
export function isKnownAttribute(type: number): type is KnownAttrType {
  return REGISTRY.has(type);
}

/** Every registered attribute type. */
export const KNOWN_ATTRIBUTE_TYPES: readonly number[] = [...REGISTRY.keys()];
