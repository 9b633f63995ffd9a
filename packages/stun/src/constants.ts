/**
 * Numbers of the STUN/TURN wire format: the magic cookie, message classes and methods,
 * attribute types, error codes and their reason phrases, password algorithms.
 * Each group names the RFC (and section) that assigns it.
 */

/** RFC 8489 §5: the fixed value of bytes 4–7 of every STUN message. */
export const MAGIC_COOKIE = 0x2112a442;

/** RFC 8489 §5: the header is 20 bytes; attributes follow. */
export const HEADER_LENGTH = 20;

/** RFC 8489 §5: the transaction id is 96 bits. */
export const TRANSACTION_ID_LENGTH = 12;

/** RFC 8489 §14.7: FINGERPRINT = CRC-32(message) XOR this value ("STUN"). */
export const FINGERPRINT_XOR = 0x5354554e;

/** RFC 8489 §5: the two class bits (C1 C0) of the message type. */
export const StunClass = {
  Request: 0b00,
  Indication: 0b01,
  SuccessResponse: 0b10,
  ErrorResponse: 0b11,
} as const;
export type StunClass = (typeof StunClass)[keyof typeof StunClass];

/**
 * The 12-bit methods. Binding: RFC 8489 §18.2. Allocate … ChannelBind: RFC 8656 §17.
 * Connect, ConnectionBind, ConnectionAttempt: RFC 6062 §6.1.
 */
export const StunMethod = {
  Binding: 0x001,
  Allocate: 0x003,
  Refresh: 0x004,
  Send: 0x006,
  Data: 0x007,
  CreatePermission: 0x008,
  ChannelBind: 0x009,
  Connect: 0x00a,
  ConnectionBind: 0x00b,
  ConnectionAttempt: 0x00c,
} as const;
export type StunMethod = (typeof StunMethod)[keyof typeof StunMethod];

/** The largest method number that fits the 12 method bits (RFC 8489 §5). */
export const MAX_METHOD = 0xfff;

/**
 * Attribute types (IANA "STUN Attributes" registry). 0x0000–0x7FFF are
 * comprehension-required, 0x8000–0xFFFF comprehension-optional (RFC 8489 §14).
 */
export const AttrType = {
  // RFC 8489 §14 / §18.3
  MappedAddress: 0x0001,
  Username: 0x0006,
  MessageIntegrity: 0x0008,
  ErrorCode: 0x0009,
  UnknownAttributes: 0x000a,
  Realm: 0x0014,
  Nonce: 0x0015,
  MessageIntegritySha256: 0x001c,
  PasswordAlgorithm: 0x001d,
  Userhash: 0x001e,
  XorMappedAddress: 0x0020,
  PasswordAlgorithms: 0x8002,
  AlternateDomain: 0x8003,
  Software: 0x8022,
  AlternateServer: 0x8023,
  Fingerprint: 0x8028,
  // RFC 8656 §18
  ChannelNumber: 0x000c,
  Lifetime: 0x000d,
  XorPeerAddress: 0x0012,
  Data: 0x0013,
  XorRelayedAddress: 0x0016,
  RequestedAddressFamily: 0x0017,
  EvenPort: 0x0018,
  RequestedTransport: 0x0019,
  DontFragment: 0x001a,
  ReservationToken: 0x0022,
  AdditionalAddressFamily: 0x8000,
  AddressErrorCode: 0x8001,
  Icmp: 0x8004,
  // RFC 6062 §6.2
  ConnectionId: 0x002a,
  // RFC 5780 §7
  ChangeRequest: 0x0003,
  Padding: 0x0026,
  ResponsePort: 0x0027,
  ResponseOrigin: 0x802b,
  OtherAddress: 0x802c,
  // RFC 8445 §16.1
  Priority: 0x0024,
  UseCandidate: 0x0025,
  IceControlled: 0x8029,
  IceControlling: 0x802a,
} as const;
export type AttrType = (typeof AttrType)[keyof typeof AttrType];

/** RFC 8489 §14: types below 0x8000 must be understood by the receiver. */
export function isComprehensionRequired(type: number): boolean {
  return type < 0x8000;
}

/** Attribute type → its registry name, for logs and error messages. */
export const ATTR_NAMES: ReadonlyMap<number, string> = new Map(
  Object.entries(AttrType).map(([name, type]) => [type, name] as const),
);

/** Address families of the (XOR-)address attributes (RFC 8489 §14.1) and REQUESTED-ADDRESS-FAMILY (RFC 8656 §18.6). */
export const AddressFamily = { IPv4: 0x01, IPv6: 0x02 } as const;
export type AddressFamily = (typeof AddressFamily)[keyof typeof AddressFamily];

/** RFC 8656 §18.8: REQUESTED-TRANSPORT carries an IANA protocol number. */
export const TransportProtocol = { TCP: 6, UDP: 17 } as const;

/** RFC 8489 §18.5: PASSWORD-ALGORITHM values. */
export const PasswordAlgorithm = { MD5: 0x0001, SHA256: 0x0002 } as const;
export type PasswordAlgorithm = (typeof PasswordAlgorithm)[keyof typeof PasswordAlgorithm];

/** RFC 5780 §7.2: CHANGE-REQUEST flag bits. */
export const ChangeRequestFlag = { ChangeIp: 0x04, ChangePort: 0x02 } as const;

/**
 * STUN/TURN error codes (the ERROR-CODE attribute, RFC 8489 §14.8) with the RFC that
 * defines each.
 */
export const StunErrorCode = {
  /** RFC 8489 §14.8 */
  TryAlternate: 300,
  /** RFC 8489 §14.8 */
  BadRequest: 400,
  /** RFC 8489 §14.8 */
  Unauthenticated: 401,
  /** RFC 8656 §19 */
  Forbidden: 403,
  /** RFC 8016 §3.4 */
  MobilityForbidden: 405,
  /** RFC 8489 §14.8 */
  UnknownAttribute: 420,
  /** RFC 8656 §19 */
  AllocationMismatch: 437,
  /** RFC 8489 §14.8 */
  StaleNonce: 438,
  /** RFC 8656 §19 */
  AddressFamilyNotSupported: 440,
  /** RFC 8656 §19 */
  WrongCredentials: 441,
  /** RFC 8656 §19 */
  UnsupportedTransportProtocol: 442,
  /** RFC 8656 §19 */
  PeerAddressFamilyMismatch: 443,
  /** RFC 6062 §6.3 */
  ConnectionAlreadyExists: 446,
  /** RFC 6062 §6.3 */
  ConnectionTimeoutOrFailure: 447,
  /** RFC 8656 §19 */
  AllocationQuotaReached: 486,
  /** RFC 8445 §7.3.1.1 */
  RoleConflict: 487,
  /** RFC 8489 §14.8 */
  ServerError: 500,
  /** RFC 8656 §19 */
  InsufficientCapacity: 508,
} as const;
export type StunErrorCode = (typeof StunErrorCode)[keyof typeof StunErrorCode];

/** The recommended reason phrase of each error code (the RFCs' wording). */
export const REASON_PHRASES: ReadonlyMap<number, string> = new Map([
  [300, 'Try Alternate'],
  [400, 'Bad Request'],
  [401, 'Unauthenticated'],
  [403, 'Forbidden'],
  [405, 'Mobility Forbidden'],
  [420, 'Unknown Attribute'],
  [437, 'Allocation Mismatch'],
  [438, 'Stale Nonce'],
  [440, 'Address Family not Supported'],
  [441, 'Wrong Credentials'],
  [442, 'Unsupported Transport Protocol'],
  [443, 'Peer Address Family Mismatch'],
  [446, 'Connection Already Exists'],
  [447, 'Connection Timeout or Failure'],
  [486, 'Allocation Quota Reached'],
  [487, 'Role Conflict'],
  [500, 'Server Error'],
  [508, 'Insufficient Capacity'],
]);

/** The reason phrase for `code`, or a generic one for codes not in the table. */
export function reasonPhrase(code: number): string {
  return REASON_PHRASES.get(code) ?? (code >= 500 ? 'Server Error' : code >= 400 ? 'Bad Request' : 'Try Alternate');
}
