/**
 * CreatePermission (RFC 8656 §10.2), ChannelBind (RFC 8656 §12.2) and Send indications
 * (RFC 8656 §11.2), with the peer address policy checked before anything is installed
 * or sent.
 */
import {
  AttrType,
  type DecodedStunMessage,
  isValidChannelNumber,
  type StunAttribute,
  type TransportAddress,
} from '@itda/stun';
import { type Allocation, CHANNEL_COOLDOWN_MS, CHANNEL_LIFETIME_MS, type Channel } from './allocation.ts';
import type { ClientRef, RelayHandle } from './io.ts';
import { DropReason } from './metrics.ts';
import { isLiveRelayed, type PeerAllowed, peerAccess } from './own-relays.ts';
import { authenticateRequest } from './request-auth.ts';
import { requestInfo, sendError, sendSuccess } from './respond.ts';
import { type CoreState, findAllocation } from './state.ts';

function liveAllocation<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  client: ClientRef<S>,
  now: number,
): Allocation<R, S> | undefined {
  const a = findAllocation(st, client);
  return a !== undefined && a.expiresAt > now ? a : undefined;
}

/**
 * The error code for an XOR-PEER-ADDRESS of CreatePermission (RFC 8656 §10.2) or
 * ChannelBind (§12.2), or what kind of permission it may get. Both sections say:
 * - "If an XOR-PEER-ADDRESS attribute contains an address of an address family that is
 *   not the same as that of a relayed transport address for the allocation, the server
 *   MUST generate an error response with the 443 (Peer Address Family Mismatch)."
 * - "The server MAY impose restrictions on the IP address [and port values] allowed in
 *   the XOR-PEER-ADDRESS attribute; if a value is not allowed, the server rejects the
 *   request with a 403 (Forbidden) error." (itda denies by default, peer-policy.ts; the
 *   server's own live relayed addresses pass as relay-only, own-relays.ts.)
 */
function checkPeer<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  allocation: Allocation<R, S>,
  peer: { family: 'IPv4' | 'IPv6'; address: string; port: number },
  now: number,
): 443 | 403 | PeerAllowed {
  if (peer.family !== allocation.relayed.family) return 443;
  const access = peerAccess(st, peer.address, peer.port, now);
  if (access.ok) return access;
  st.limitedLog.info('peer', 'peer refused', { peer: peer.address, reason: access.reason });
  return 403;
}

/**
 * The common start of a request on an existing allocation (RFC 8656 §5: authenticate as
 * in Allocate, then the request needs a live allocation on its 5-tuple, else 437). Answers
 * the client itself and returns undefined when the request stops here.
 */
function openAllocationRequest<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  client: ClientRef<S>,
  msg: DecodedStunMessage,
) {
  const req = requestInfo(msg);
  const now = st.clock.now();
  const allocation = liveAllocation(st, client, now);
  const credential = authenticateRequest(st, client, msg, req, allocation);
  if (credential === undefined) return undefined;
  const fail = (code: number): void => sendError(st, client, req, code, { credential });
  if (allocation === undefined) {
    fail(437);
    return undefined;
  }
  return { req, now, allocation, credential, fail };
}

export function handleCreatePermission<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  client: ClientRef<S>,
  msg: DecodedStunMessage,
): void {
  // RFC 8656 §10.2: "When the server receives the CreatePermission request, it processes
  // as per Section 5 plus the specific rules mentioned here." No allocation → 437.
  const open = openAllocationRequest(st, client, msg);
  if (open === undefined) return;
  const { req, now, allocation, credential, fail } = open;
  // "The message is checked for validity. The CreatePermission request MUST contain at
  //  least one XOR-PEER-ADDRESS attribute and MAY contain multiple such attributes. If no
  //  such attribute exists, or if any of these attributes are invalid, then a 400 (Bad
  //  Request) error is returned. If the request is valid, but the server is unable to
  //  fulfill the request due to some capacity limit or similar, then a 508 (Insufficient
  //  Capacity) error is returned."
  let peers: TransportAddress[];
  try {
    peers = msg.getAll(AttrType.XorPeerAddress);
  } catch {
    fail(400);
    return;
  }
  if (peers.length === 0) {
    fail(400);
    return;
  }
  const relayOnly: boolean[] = [];
  for (const peer of peers) {
    const checked = checkPeer(st, allocation, peer, now);
    if (typeof checked === 'number') {
      fail(checked);
      return;
    }
    relayOnly.push(checked.relayOnly);
  }
  let added = 0;
  for (const peer of peers) if (!allocation.permissions.has(peer.address)) added++;
  if (allocation.permissions.size + added > st.o.permissionsPerAllocation) {
    fail(508);
    return;
  }
  // "If the message is valid and the server is capable of carrying out the request, then
  //  the server installs or refreshes a permission for the IP address contained in each
  //  XOR-PEER-ADDRESS attribute [...]. The port portion of each attribute is ignored."
  // A peer admitted only as this server's own relay gets a relay-only permission: its IP's
  // other ports stay closed in both directions (own-relays.ts).
  peers.forEach((peer, i) => {
    if (allocation.permit(peer.address, now, relayOnly[i] === true)) st.metrics.permissions++;
  });
  sendSuccess(st, client, req, [], { credential });
}

export function handleChannelBind<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  client: ClientRef<S>,
  msg: DecodedStunMessage,
): void {
  const open = openAllocationRequest(st, client, msg);
  if (open === undefined) return;
  const { req, now, allocation, credential, fail } = open;
  // RFC 8656 §12.2: "The server MUST check the following:
  //  * The request contains both a CHANNEL-NUMBER and an XOR-PEER-ADDRESS attribute;
  //  * The channel number is in the range 0x4000 through 0x4FFF (inclusive);
  //    (with `legacyChannelNumbers`, RFC 5766 §11's 0x4000 through 0x7FFF)
  //  * The channel number is not currently bound to a different transport address (same
  //    transport address is OK);
  //  * The transport address is not currently bound to a different channel number.
  //  If any of these tests fail, the server replies with a 400 (Bad Request) error."
  let number: number | undefined;
  let peer: TransportAddress | undefined;
  try {
    number = msg.get(AttrType.ChannelNumber);
    peer = msg.get(AttrType.XorPeerAddress);
  } catch {
    fail(400);
    return;
  }
  if (number === undefined || peer === undefined || !isValidChannelNumber(number, st.o.maxChannel)) {
    fail(400);
    return;
  }
  // A binding that expired less than 5 minutes ago still blocks other bindings (RFC 8656 §12).
  const blocking = (c: Channel | undefined): boolean => c !== undefined && c.expiresAt + CHANNEL_COOLDOWN_MS > now;
  const byNumber = allocation.channels.get(number);
  if (blocking(byNumber) && (byNumber?.peerAddress !== peer.address || byNumber.peerPort !== peer.port)) {
    fail(400);
    return;
  }
  const byPeer = allocation.channelsByPeer.get(peer.address)?.get(peer.port);
  if (blocking(byPeer) && byPeer?.number !== number) {
    fail(400);
    return;
  }
  const checked = checkPeer(st, allocation, peer, now);
  if (typeof checked === 'number') {
    fail(checked);
    return;
  }
  // "If the request is valid, but the server is unable to fulfill the request due to some
  //  capacity limit or similar, the server replies with a 508 (Insufficient Capacity)."
  const fresh = byNumber === undefined || !blocking(byNumber);
  if (fresh && allocation.channels.size >= st.o.channelsPerAllocation) {
    fail(508);
    return;
  }
  // "If the request is valid [...] the server replies with a ChannelBind success response
  //  [...]. The server binds or refreshes the channel [...] In addition, the server MUST
  //  install or refresh a permission for the IP address contained in the
  //  XOR-PEER-ADDRESS attribute." (RFC 8656 §12.2)
  if (byNumber !== undefined && byNumber !== byPeer) allocation.removeChannel(byNumber);
  if (byNumber !== undefined && byNumber === byPeer) {
    byNumber.expiresAt = now + CHANNEL_LIFETIME_MS;
    if (!byNumber.active) {
      byNumber.active = true;
      st.metrics.channels++;
    }
  } else {
    if (byNumber?.active === true) st.metrics.channels--;
    allocation.addChannel({
      number,
      peerAddress: peer.address,
      peerPort: peer.port,
      expiresAt: now + CHANNEL_LIFETIME_MS,
      active: true,
      relayOnly: checked.relayOnly,
    });
    st.metrics.channels++;
  }
  if (allocation.permit(peer.address, now, checked.relayOnly)) st.metrics.permissions++;
  sendSuccess(st, client, req, [] as StunAttribute[], { credential });
}

/**
 * A Send indication (RFC 8656 §11.2): "When the server receives a Send indication, it
 * processes as per Section 5 plus the specific rules mentioned here. The message is
 * first checked for validity. The Send indication MUST contain both an XOR-PEER-ADDRESS
 * attribute and a DATA attribute. If one of these attributes is missing or invalid,
 * then the message is discarded. [...] The Send indication may also contain the
 * DONT-FRAGMENT attribute. If the server is unable to set the DF bit on outgoing UDP
 * datagrams when this attribute is present, then the server acts as if the
 * DONT-FRAGMENT attribute is an unknown comprehension-required attribute (and thus the
 * Send indication is discarded). The server also checks that there is a permission
 * installed for the IP address contained in the XOR-PEER-ADDRESS attribute. If no such
 * permission exists, the message is discarded."
 */
export function handleSend<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  client: ClientRef<S>,
  msg: DecodedStunMessage,
): void {
  const now = st.clock.now();
  const allocation = liveAllocation(st, client, now);
  if (allocation === undefined) {
    st.metrics.drop(DropReason.NoAllocation);
    return;
  }
  if (msg.unknownRequired.length > 0 || msg.has(AttrType.DontFragment)) {
    st.metrics.drop(DropReason.Ignored);
    return;
  }
  let peer: TransportAddress | undefined;
  try {
    peer = msg.get(AttrType.XorPeerAddress);
  } catch {
    peer = undefined;
  }
  const data = msg.slot(AttrType.Data);
  if (peer === undefined || data === undefined) {
    st.metrics.drop(DropReason.Ignored);
    return;
  }
  if (!allocation.hasPermission(peer.address, now)) {
    const forbidden = st.policy.check(peer.address, peer.port) !== undefined;
    st.metrics.drop(forbidden ? DropReason.ForbiddenPeer : DropReason.NoPermission);
    return;
  }
  // The permission is for the IP (RFC 8656 §9), but a listener port of the server is never
  // a peer, and a relay-only IP reaches only the server's live relayed addresses on it.
  if (
    (st.policy.isOwnPort(peer.port) && st.policy.check(peer.address, peer.port) !== undefined) ||
    (allocation.relayOnly.size !== 0 &&
      allocation.relayOnly.has(peer.address) &&
      !isLiveRelayed(st, peer.address, peer.port, now))
  ) {
    st.metrics.drop(DropReason.ForbiddenPeer);
    return;
  }
  if (allocation.toPeer !== undefined && !allocation.toPeer.take(data.length, now)) {
    st.metrics.drop(DropReason.Bandwidth);
    return;
  }
  st.io.sendToPeer(allocation.relay, msg.bytes, data.offset, data.length, peer.address, peer.port);
  st.metrics.packetsToPeer++;
  st.metrics.bytesToPeer += data.length;
}
