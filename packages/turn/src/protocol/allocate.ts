/**
 * Allocate (RFC 8656 §7.2) and Refresh (RFC 8656 §8.2) requests, and the life and death
 * of allocations.
 */
import { randomBytes } from 'node:crypto';
import {
  AddressFamily,
  AttrType,
  type DecodedStunMessage,
  type IpFamily,
  type StunAttribute,
  TransportProtocol,
  transactionIdHex,
} from '@itda/stun';
import { Allocation } from './allocation.ts';
import type { ClientRef, RelayHandle } from './io.ts';
import { AuthFailure, DropReason } from './metrics.ts';
import { addRelayed, removeRelayed } from './own-relays.ts';
import { holdQuota, quotaExceeded, sourceKey } from './quota.ts';
import { ByteBucket } from './rate-limit.ts';
import { authenticateRequest, restIdentityActive } from './request-auth.ts';
import { requestInfo, sendError, sendSuccess } from './respond.ts';
import { indexByUser } from './sessions.ts';
import { type CoreState, findAllocation, hasPending, type PendingAllocate, type StreamConn } from './state.ts';

/** RFC 8656 §7.2: a reserved port is kept "for at least 30 seconds". */
export const RESERVATION_LIFETIME_MS = 30_000;

export function handleAllocate<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  client: ClientRef<S>,
  msg: DecodedStunMessage,
): void {
  const req = requestInfo(msg);
  // 1. "The server MUST require that the request be authenticated [...] using the
  //    long-term credential mechanism of [RFC8489]."
  //  4. "The request may contain a DONT-FRAGMENT attribute. If it does, but the server does
  //    not support sending UDP datagrams with the DF bit set to 1 [...], then the server
  //    treats the DONT-FRAGMENT attribute in the Allocate request as an unknown
  //    comprehension-required attribute." (Node cannot set DF per datagram.)
  const df = msg.has(AttrType.DontFragment) ? [AttrType.DontFragment] : [];
  const credential = authenticateRequest(st, client, msg, req, undefined, df);
  if (credential === undefined) return;
  const fail = (code: number): void => sendError(st, client, req, code, { credential });
  // 2. "The server checks if the 5-tuple is currently in use by an existing allocation.
  //    If yes, the server rejects the request with a 437 (Allocation Mismatch) error."
  //    A retransmission of the request that created it gets the same success response
  //    (RFC 8656 §7.2: the server must handle retransmitted Allocates "as described in
  //    RFC 8489 §6.3.1" — i.e. answer them the same).
  let existing = findAllocation(st, client);
  if (existing !== undefined && existing.expiresAt <= st.clock.now()) {
    expire(st, existing);
    existing = undefined;
  }
  if (existing !== undefined) {
    if (existing.response !== undefined && existing.transactionId === transactionIdHex(msg.transactionId)) {
      st.io.sendToClient(client, existing.response);
      st.metrics.request(req.method, 'success');
    } else {
      fail(437);
    }
    return;
  }
  if (hasPending(st, client)) {
    st.metrics.drop(DropReason.Ignored);
    return;
  }
  // 3. "The server checks if the request contains a REQUESTED-TRANSPORT attribute. If the
  //    REQUESTED-TRANSPORT attribute is not included or is malformed, the server rejects
  //    the request with a 400 (Bad Request) error. Otherwise, if the attribute is included
  //    but specifies a protocol that is not supported by the server, the server rejects
  //    the request with a 442 (Unsupported Transport Protocol) error." Only UDP relays.
  const transport = msg.get(AttrType.RequestedTransport);
  if (transport === undefined) {
    fail(400);
    return;
  }
  if (transport !== TransportProtocol.UDP) {
    fail(442);
    return;
  }
  const token = msg.raw(AttrType.ReservationToken);
  const evenPort = msg.get(AttrType.EvenPort);
  const requestedFamily = msg.get(AttrType.RequestedAddressFamily);
  const additionalFamily = msg.get(AttrType.AdditionalAddressFamily);
  // 5. "The server checks if the request contains a RESERVATION-TOKEN attribute. If yes,
  //    and the request also contains an EVEN-PORT or REQUESTED-ADDRESS-FAMILY or
  //    ADDITIONAL-ADDRESS-FAMILY attribute, the server rejects the request with a 400
  //    (Bad Request) error. Otherwise, it checks to see if the token is valid [...]. If
  //    the token is not valid for some reason, the server rejects the request with a 508
  //    (Insufficient Capacity) error."
  let reserved: R | undefined;
  if (token !== undefined) {
    if (evenPort !== undefined || requestedFamily !== undefined || additionalFamily !== undefined) {
      fail(400);
      return;
    }
    const key = Buffer.from(token).toString('hex');
    const r = st.reservations.get(key);
    if (r === undefined || r.expiresAt <= st.clock.now()) {
      fail(508);
      return;
    }
    reserved = r.relay;
  }
  // 6. "The server checks if the request contains both REQUESTED-ADDRESS-FAMILY and
  //    ADDITIONAL-ADDRESS-FAMILY attributes. If yes, then the server rejects the request
  //    with a 400 (Bad Request) error." A REQUESTED-ADDRESS-FAMILY the server does not
  //    offer gets 440 (Address Family not Supported). ADDITIONAL-ADDRESS-FAMILY must say
  //    IPv6 (else 400); dual allocations are not offered, so the IPv4 relay is granted with
  //    ADDRESS-ERROR-CODE 440 for IPv6 (RFC 8656 §7.2 step 7's "partial" success).
  if (requestedFamily !== undefined && additionalFamily !== undefined) {
    fail(400);
    return;
  }
  let family: IpFamily = reserved?.family ?? 'IPv4';
  if (requestedFamily !== undefined) {
    if (requestedFamily === AddressFamily.IPv4) family = 'IPv4';
    else if (requestedFamily === AddressFamily.IPv6) family = 'IPv6';
    else {
      fail(440);
      return;
    }
  }
  if (additionalFamily !== undefined && additionalFamily !== AddressFamily.IPv6) {
    fail(400);
    return;
  }
  if (st.relayAddresses[family] === undefined) {
    fail(440);
    return;
  }
  // 7. "At any point, the server MAY choose to reject the request with a 486 (Allocation
  //    Quota Reached) error if it feels the client is trying to exceed some locally
  //    defined allocation quota. The server is free to define this allocation quota any
  //    way it wishes, but it SHOULD define it based on the username used to authenticate
  //    the request and not on the client's transport address." Per user, per source
  //    address (why: quota.ts) and in total.
  const source = sourceKey(client.address);
  const exceeded = quotaExceeded(st, credential, source);
  if (exceeded !== undefined) {
    st.limitedLog.info('quota', 'allocation quota reached', { quota: exceeded, transport: client.transport });
    fail(486);
    return;
  }
  // Lifetime (RFC 8656 §7.2): "the minimum of the client's requested lifetime and the
  // server's maximum allowed lifetime. If this computed value is greater than the default
  // lifetime, then the server uses the computed lifetime [...]. Otherwise, the server
  // uses the default lifetime."
  const requested = msg.get(AttrType.Lifetime) ?? st.o.defaultLifetimeSeconds;
  const lifetime = Math.max(st.o.defaultLifetimeSeconds, Math.min(requested, st.o.maxLifetimeSeconds));
  const pending: PendingAllocate<S> = {
    id: st.nextId++,
    client,
    transactionId: Uint8Array.from(msg.transactionId),
    transactionHex: transactionIdHex(msg.transactionId),
    hadFingerprint: req.hadFingerprint,
    credential,
    sourceKey: source,
    lifetimeMs: lifetime * 1000,
    family,
    refuseAdditional: additionalFamily !== undefined,
  };
  holdQuota(st, credential, source, 1);
  st.pending.set(pending.id, pending);
  if (reserved !== undefined) {
    st.reservations.delete(Buffer.from(token as Uint8Array).toString('hex'));
    finishAllocate(st, pending.id, reserved);
    return;
  }
  // 6. (EVEN-PORT) "If yes, then the server checks that it can satisfy the request [...].
  //    If the server cannot satisfy the request, then the server rejects the request with
  //    a 508 (Insufficient Capacity) error." — decided when the adapter reports the bind.
  st.io.bindRelay({
    id: pending.id,
    client,
    family,
    evenPort: evenPort !== undefined,
    reserveNext: evenPort?.reserve === true,
  });
}

/** The adapter's answer to `bindRelay`: completes (or fails with 508) the Allocate. */
export function finishAllocate<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  id: number,
  relay: R | undefined,
  reservedNext?: R,
): void {
  const p = st.pending.get(id);
  if (p === undefined) {
    if (relay !== undefined) st.io.closeRelay(relay);
    if (reservedNext !== undefined) st.io.closeRelay(reservedNext);
    return;
  }
  st.pending.delete(id);
  const req = { method: 0x003, transactionId: p.transactionId, hadFingerprint: p.hadFingerprint };
  const clientGone = p.client.transport !== 'udp' && (p.client as StreamConn<S>).closed;
  // The session of a session-bound credential may have ended while the relay was binding.
  const ended = !restIdentityActive(st, p.credential);
  if (relay === undefined || clientGone || ended) {
    holdQuota(st, p.credential, p.sourceKey, -1);
    if (relay !== undefined) st.io.closeRelay(relay);
    if (reservedNext !== undefined) st.io.closeRelay(reservedNext);
    if (clientGone) return;
    if (ended) {
      st.metrics.authFailure(AuthFailure.SessionEnded);
      sendError(st, p.client, req, 401, { challenge: true });
    } else {
      sendError(st, p.client, req, 508, { credential: p.credential });
    }
    return;
  }
  const now = st.clock.now();
  const bps = st.o.bandwidthBps;
  const allocation = new Allocation<R, S>({
    client: p.client,
    relay,
    relayed: { family: relay.family, address: st.relayAddresses[relay.family] ?? relay.address, port: relay.port },
    credential: p.credential,
    sourceKey: p.sourceKey,
    expiresAt: now + p.lifetimeMs,
    transactionId: p.transactionHex,
    toPeer: bps > 0 ? new ByteBucket(bps, now) : undefined,
    fromPeer: bps > 0 ? new ByteBucket(bps, now) : undefined,
  });
  register(st, allocation);
  // "Once the allocation is created, the server replies with a success response. The
  //  success response contains: An XOR-RELAYED-ADDRESS attribute containing the relayed
  //  transport address; a LIFETIME attribute containing the current value of the
  //  time-to-expiry timer; a RESERVATION-TOKEN attribute (if a second relayed transport
  //  address was reserved); an XOR-MAPPED-ADDRESS attribute containing the client's IP
  //  address and port (from the 5-tuple)." (RFC 8656 §7.2)
  const attributes = [
    { type: AttrType.XorRelayedAddress, value: allocation.relayed },
    { type: AttrType.Lifetime, value: Math.round(p.lifetimeMs / 1000) },
    {
      type: AttrType.XorMappedAddress,
      value: { family: p.client.family, address: p.client.address, port: p.client.port },
    },
  ] as StunAttribute[];
  if (reservedNext !== undefined) {
    const token = randomBytes(8);
    st.reservations.set(token.toString('hex'), { relay: reservedNext, expiresAt: now + RESERVATION_LIFETIME_MS });
    attributes.push({ type: AttrType.ReservationToken, value: new Uint8Array(token) } as StunAttribute);
  }
  if (p.refuseAdditional) {
    attributes.push({
      type: AttrType.AddressErrorCode,
      value: { family: AddressFamily.IPv6, code: 440, reason: 'Address Family not Supported' },
    } as StunAttribute);
  }
  allocation.response = sendSuccess(st, p.client, req, attributes, { credential: p.credential });
  st.log.debug('allocation created', {
    transport: p.client.transport,
    client: `${p.client.address}:${p.client.port}`,
    relay: `${relay.address}:${relay.port}`,
    lifetime: p.lifetimeMs / 1000,
  });
}

function register<R extends RelayHandle, S>(st: CoreState<R, S>, a: Allocation<R, S>): void {
  const c = a.client;
  if (c.transport === 'udp') {
    let byPort = st.udpAllocations.get(c.endpoint.id);
    if (byPort === undefined) {
      byPort = new Map();
      st.udpAllocations.set(c.endpoint.id, byPort);
    }
    let byIp = byPort.get(c.port);
    if (byIp === undefined) {
      byIp = new Map();
      byPort.set(c.port, byIp);
    }
    byIp.set(c.address, a);
  } else {
    (c as StreamConn<S>).allocation = a as unknown as Allocation<RelayHandle, S>;
  }
  st.byRelay.set(a.relay, a);
  addRelayed(st, a);
  indexByUser(st, a, true);
  st.metrics.allocations++;
  st.metrics.allocationsCreated++;
}

/** Frees an allocation: tables, gauges, quota, relay socket. */
export function deleteAllocation<R extends RelayHandle, S>(st: CoreState<R, S>, a: Allocation<R, S>): void {
  if (st.byRelay.get(a.relay) !== a) return;
  st.byRelay.delete(a.relay);
  removeRelayed(st, a);
  indexByUser(st, a, false);
  const c = a.client;
  if (c.transport === 'udp') {
    const byPort = st.udpAllocations.get(c.endpoint.id);
    const byIp = byPort?.get(c.port);
    byIp?.delete(c.address);
    if (byIp?.size === 0) byPort?.delete(c.port);
    if (byPort?.size === 0) st.udpAllocations.delete(c.endpoint.id);
  } else {
    const conn = c as StreamConn<S>;
    if (conn.allocation === (a as unknown)) conn.allocation = undefined;
  }
  st.metrics.allocations--;
  st.metrics.permissions -= a.activePermissions;
  for (const ch of a.channels.values()) if (ch.active) st.metrics.channels--;
  holdQuota(st, a.credential, a.sourceKey, -1);
  st.io.closeRelay(a.relay);
}

/** Frees an allocation whose lifetime has run out (counted as expired). */
export function expire<R extends RelayHandle, S>(st: CoreState<R, S>, a: Allocation<R, S>): void {
  st.metrics.allocationsExpired++;
  st.log.debug('allocation expired', { client: `${a.client.address}:${a.client.port}` });
  deleteAllocation(st, a);
}

export function handleRefresh<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  client: ClientRef<S>,
  msg: DecodedStunMessage,
): void {
  const req = requestInfo(msg);
  const allocation = findAllocation(st, client);
  const live = allocation !== undefined && allocation.expiresAt > st.clock.now() ? allocation : undefined;
  const credential = authenticateRequest(st, client, msg, req, live);
  if (credential === undefined) return;
  // RFC 8656 §8.2: "If the server receives a Refresh Request with a [5-tuple that has no
  // allocation], the server rejects it with a 437 (Allocation Mismatch) error."
  if (live === undefined) {
    sendError(st, client, req, 437, { credential });
    return;
  }
  // "If the request includes a REQUESTED-ADDRESS-FAMILY attribute whose family does not
  // match the allocation's, 443 (Peer Address Family Mismatch)."
  const requestedFamily = msg.get(AttrType.RequestedAddressFamily);
  if (requestedFamily !== undefined) {
    const family = requestedFamily === AddressFamily.IPv6 ? 'IPv6' : 'IPv4';
    if (family !== live.relayed.family) {
      sendError(st, client, req, 443, { credential });
      return;
    }
  }
  // "The server computes a value called the 'desired lifetime' as follows: if the request
  //  contains a LIFETIME attribute [...] the desired lifetime is the minimum of the
  //  client's requested lifetime and the server's maximum allowed lifetime. [...]
  //  Otherwise, the desired lifetime is the default. [...] If the desired lifetime is
  //  zero, the allocation is deleted [and the response carries LIFETIME 0]."
  const requested = msg.get(AttrType.Lifetime);
  const lifetime = requested === undefined ? st.o.defaultLifetimeSeconds : Math.min(requested, st.o.maxLifetimeSeconds);
  live.credential = credential;
  if (lifetime === 0) deleteAllocation(st, live);
  else live.expiresAt = st.clock.now() + lifetime * 1000;
  sendSuccess(st, client, req, [{ type: AttrType.Lifetime, value: lifetime } as StunAttribute], { credential });
}
