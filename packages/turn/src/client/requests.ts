/**
 * The attributes of each TURN client request and indication (RFC 8656 §7–§12), and the
 * fast paths for data: Send indications and ChannelData. No I/O.
 */
import {
  AddressFamily,
  AttrType,
  attr,
  CHANNEL_NUMBER_MAX,
  CHANNEL_NUMBER_MIN,
  createTransactionId,
  encodeChannelData,
  encodeMessage,
  type StunAttribute,
  StunClass,
  StunMethod,
  type TransportAddress,
  TransportProtocol,
} from '@itda/stun';
import { TurnClientError } from './errors.ts';

/** Options of an Allocate request (RFC 8656 §7.1). */
export interface AllocateOptions {
  /** LIFETIME to ask for, in seconds; the server decides (default 600 there). */
  lifetime?: number;
  /** REQUESTED-ADDRESS-FAMILY: `IPv4` (the server's default when absent) or `IPv6`. */
  family?: 'IPv4' | 'IPv6';
  /** DONT-FRAGMENT (RFC 8656 §18.9). Default false. */
  dontFragment?: boolean;
  /** EVEN-PORT with the R bit (RFC 8656 §18.7). Default: not sent. */
  evenPort?: { reserve: boolean };
  /** RESERVATION-TOKEN from an earlier allocation with EVEN-PORT reserve (RFC 8656 §18.10). */
  reservationToken?: Uint8Array;
}

/** RFC 8656 §7.1: REQUESTED-TRANSPORT UDP, and the optional attributes. */
export function allocateAttributes(options: AllocateOptions = {}): StunAttribute[] {
  const out: StunAttribute[] = [attr(AttrType.RequestedTransport, TransportProtocol.UDP)];
  if (options.lifetime !== undefined) out.push(attr(AttrType.Lifetime, checkLifetime(options.lifetime)));
  if (options.family === 'IPv6') out.push(attr(AttrType.RequestedAddressFamily, AddressFamily.IPv6));
  else if (options.family === 'IPv4') out.push(attr(AttrType.RequestedAddressFamily, AddressFamily.IPv4));
  if (options.dontFragment === true) out.push(attr(AttrType.DontFragment, true));
  if (options.evenPort !== undefined) out.push(attr(AttrType.EvenPort, { reserve: options.evenPort.reserve }));
  if (options.reservationToken !== undefined) out.push(attr(AttrType.ReservationToken, options.reservationToken));
  return out;
}

/** RFC 8656 §8: a Refresh carries LIFETIME; 0 deletes the allocation. */
export function refreshAttributes(lifetime: number | undefined): StunAttribute[] {
  return lifetime === undefined ? [] : [attr(AttrType.Lifetime, checkLifetime(lifetime))];
}

/**
 * RFC 8656 §10.1: one XOR-PEER-ADDRESS per peer IP (the port is ignored by the server;
 * 0 is sent).
 */
export function createPermissionAttributes(peers: readonly string[]): StunAttribute[] {
  if (peers.length === 0) throw new TurnClientError('turn_client_bad_argument', 'no peer address to permit');
  return peers.map((address) =>
    attr(AttrType.XorPeerAddress, { family: address.includes(':') ? 'IPv6' : 'IPv4', address, port: 0 }),
  );
}

/** RFC 8656 §11.1: CHANNEL-NUMBER and XOR-PEER-ADDRESS. */
export function channelBindAttributes(channel: number, peer: TransportAddress): StunAttribute[] {
  checkChannel(channel);
  return [attr(AttrType.ChannelNumber, channel), attr(AttrType.XorPeerAddress, peer)];
}

/** A request message of `method` with a fresh transaction id. */
export function request(
  method: number,
  attributes: StunAttribute[],
): { class: StunClass; method: number; transactionId: Uint8Array; attributes: StunAttribute[] } {
  return { class: StunClass.Request, method, transactionId: createTransactionId(), attributes };
}

/**
 * A Send indication (RFC 8656 §9.1): XOR-PEER-ADDRESS and DATA, no credentials
 * (indications cannot be authenticated in TURN).
 */
export function encodeSendIndication(peer: TransportAddress, data: Uint8Array, dontFragment = false): Uint8Array {
  const attributes: StunAttribute[] = [attr(AttrType.XorPeerAddress, peer), attr(AttrType.Data, data)];
  if (dontFragment) attributes.push(attr(AttrType.DontFragment, true));
  return encodeMessage({
    class: StunClass.Indication,
    method: StunMethod.Send,
    transactionId: createTransactionId(),
    attributes,
  });
}

/** ChannelData (RFC 8656 §12.4), padded to 4 bytes over TCP/TLS (§12.5). */
export function encodeChannelMessage(channel: number, data: Uint8Array, stream: boolean): Uint8Array {
  return encodeChannelData(channel, data, stream);
}

/** RFC 8656 §12: channel numbers 0x4000–0x4FFF. */
export function checkChannel(channel: number): void {
  if (!Number.isInteger(channel) || channel < CHANNEL_NUMBER_MIN || channel > CHANNEL_NUMBER_MAX) {
    throw new TurnClientError('turn_client_bad_argument', `channel ${channel} is not 0x4000-0x4FFF`);
  }
}

function checkLifetime(lifetime: number): number {
  if (!Number.isInteger(lifetime) || lifetime < 0 || lifetime > 0xffffffff) {
    throw new TurnClientError('turn_client_bad_argument', `lifetime ${lifetime} is not a 32-bit number of seconds`);
  }
  return lifetime;
}
