/**
 * @itda/stun — the STUN/TURN message codec (RFC 8489, RFC 8656, RFC 5780, RFC 8445
 * attributes, RFC 6062 CONNECTION-ID), ChannelData framing and packet demultiplexing.
 * No I/O. See docs/stun.md.
 */
export {
  type AttributeValues,
  codecOf,
  isKnownAttribute,
  KNOWN_ATTRIBUTE_TYPES,
  type KnownAttribute,
  type KnownAttrType,
  type RawAttribute,
  type StunAttribute,
} from './attributes.ts';
export {
  CHANNEL_DATA_HEADER_LENGTH,
  CHANNEL_NUMBER_MAX,
  CHANNEL_NUMBER_MAX_RFC5766,
  CHANNEL_NUMBER_MIN,
  type ChannelData,
  channelDataLength,
  decodeChannelData,
  encodeChannelData,
  encodeChannelDataInto,
  isValidChannelNumber,
} from './channel-data.ts';
export type { TextLimits, ValueCodec } from './codecs.ts';
export {
  AddressFamily,
  ATTR_NAMES,
  AttrType,
  ChangeRequestFlag,
  FINGERPRINT_XOR,
  HEADER_LENGTH,
  isComprehensionRequired,
  MAGIC_COOKIE,
  MAX_METHOD,
  PasswordAlgorithm,
  REASON_PHRASES,
  reasonPhrase,
  StunClass,
  StunErrorCode,
  StunMethod,
  TRANSACTION_ID_LENGTH,
  TransportProtocol,
} from './constants.ts';
export { type AttributeSlot, DecodedStunMessage, type DecodeOptions, decodeMessage } from './decode.ts';
export { classifyPacket, isChannelData, isStunMessage, type PacketKind, streamFrameLength } from './demux.ts';
export { type EncodeOptions, encodedLength, encodeInto, encodeMessage } from './encode.ts';
export {
  StunDecodeError,
  StunDecodeErrorCode,
  StunEncodeError,
  StunEncodeErrorCode,
} from './errors.ts';
export { fingerprintOf, verifyFingerprint } from './fingerprint.ts';
export { classOf, encodeMessageType, methodOf } from './header.ts';
export {
  assertIntegrity,
  computeIntegrity,
  type IntegrityAlgorithm,
  type VerifyIntegrityOptions,
  verifyIntegrity,
} from './integrity.ts';
export { formatIPv4, formatIPv6, type IpFamily, parseIp, parseIpInto, type TransportAddress } from './ip.ts';
export { type LongTermKeyOptions, longTermKey, shortTermKey, userhash } from './keys.ts';
export { DOMAIN_LIMITS, TEXT_LIMITS, USERNAME_LIMITS } from './limits.ts';
export { attr, createTransactionId, isRawAttribute, type StunMessage, transactionIdHex } from './message.ts';
export { type CredentialPrep, opaqueString, prepare, saslPrep } from './prep.ts';
export type {
  AddressErrorCodeValue,
  ChangeRequestValue,
  ErrorCodeValue,
  EvenPortValue,
  IcmpValue,
  PasswordAlgorithmValue,
} from './shapes.ts';
