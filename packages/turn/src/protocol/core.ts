/**
 * `TurnCore`: the sans-IO STUN/TURN server. Datagrams and stream bytes go in through
 * `handleUdp`, `handleStreamData` and `handlePeer`; everything the server does goes out
 * through the `TurnIo` it was given; time comes from the injected `Clock`. No sockets,
 * no timers of its own apart from one sweep per second on that clock.
 *
 * The relay paths (ChannelData in → datagram to the peer; peer datagram → ChannelData
 * out) decode nothing: two table lookups, a timestamp compare, one 4-byte header.
 */
import { type Clock, type Logger, RateLimitedLog, silentLogger, systemClock, type TimerHandle } from '@itda/common';
import { type DecodedStunMessage, decodeMessage, StunClass, StunMethod, streamFrameLength } from '@itda/stun';
import { deleteAllocation, expire, finishAllocate, handleAllocate, handleRefresh } from './allocate.ts';
import type { Allocation } from './allocation.ts';
import { Authenticator } from './auth.ts';
import { handleBinding } from './binding.ts';
import { type ResolvedCoreOptions, resolveCoreOptions, type TurnCoreOptions } from './config.ts';
import { encodeDataIndicationHead } from './data-indication.ts';
import type {
  ClientRef,
  ClientTransport,
  Endpoint,
  RelayAddresses,
  RelayHandle,
  StreamClient,
  TurnIo,
  UdpClient,
} from './io.ts';
import { DropReason, TurnMetrics } from './metrics.ts';
import { canonicalIp, isLiveRelayed } from './own-relays.ts';
import { PeerPolicy } from './peer-policy.ts';
import { handleChannelBind, handleCreatePermission, handleSend } from './permission.ts';
import { QUOTA_LOG_INTERVAL_MS } from './quota.ts';
import { SourceRateLimiter } from './rate-limit.ts';
import { requestInfo, sendError } from './respond.ts';
import { allocationsOfRestIdentity } from './sessions.ts';
import { type CoreState, type Rfc5780Group, StreamConn } from './state.ts';

/** How often expired allocations, permissions, channels and reservations are freed. */
export const SWEEP_INTERVAL_MS = 1000;

const ZEROS = new Uint8Array(3);

/** What a `TurnCore` is made of. */
export interface TurnCoreInit<R extends RelayHandle, S> {
  io: TurnIo<R, S>;
  /** Options (validated here) or already resolved ones. */
  options?: TurnCoreOptions | ResolvedCoreOptions;
  /** Default `systemClock`. */
  clock?: Clock;
  /** Default silent. */
  logger?: Logger;
  /**
   * The relayed IP written into XOR-RELAYED-ADDRESS per family (the external IP when
   * the server is behind NAT); `null`: the address the adapter bound the relay to (a
   * server that binds each relay on the address its Allocate arrived on). A family
   * without an entry is answered with 440.
   */
  relayAddresses: RelayAddresses;
}

/** The advertised relay IPs in canonical text, as peer addresses are compared with them (own-relays.ts). */
function canonicalRelayAddresses(a: RelayAddresses): RelayAddresses {
  const canonical = (ip: string | null): string | null => (ip === null ? null : canonicalIp(ip));
  return {
    ...(a.IPv4 === undefined ? {} : { IPv4: canonical(a.IPv4) }),
    ...(a.IPv6 === undefined ? {} : { IPv6: canonical(a.IPv6) }),
  };
}

function isResolved(o: TurnCoreOptions | ResolvedCoreOptions): o is ResolvedCoreOptions {
  return o.users instanceof Map;
}

export class TurnCore<R extends RelayHandle, S> {
  readonly #st: CoreState<R, S>;
  readonly #endpoints: Endpoint[] = [];
  readonly #streams = new Set<StreamConn<S>>();
  #sweep: TimerHandle | undefined;
  #closed = false;

  /** @throws TurnError turn_bad_options */
  constructor(init: TurnCoreInit<R, S>) {
    const o = init.options !== undefined && isResolved(init.options) ? init.options : resolveCoreOptions(init.options);
    const clock = init.clock ?? systemClock;
    // Without a wall clock of its own, the core's wall time moves with its Clock.
    const startWall = Date.now();
    const startClock = clock.now();
    const wallNow = o.wallClock ?? ((): number => startWall + (clock.now() - startClock));
    const log = init.logger ?? silentLogger;
    this.#st = {
      o,
      io: init.io,
      clock,
      log,
      metrics: new TurnMetrics(),
      auth: new Authenticator(o),
      policy: new PeerPolicy(o),
      limiter: new SourceRateLimiter(o.unauthPerSecond, o.unauthBurst),
      wallNow,
      relayAddresses: canonicalRelayAddresses(init.relayAddresses),
      udpAllocations: new Map(),
      byRelay: new Map(),
      relayed: new Map(),
      pending: new Map(),
      perUser: new Map(),
      byUser: new Map(),
      perSource: new Map(),
      limitedLog: new RateLimitedLog({ logger: log, clock, windowMs: QUOTA_LOG_INTERVAL_MS }),
      reservations: new Map(),
      rfc5780: { group: undefined, roles: new Map() },
      nextId: 1,
    };
    this.#schedule();
  }

  /** The metrics (live object; `snapshot()` for a copy). */
  get metrics(): TurnMetrics {
    return this.#st.metrics;
  }

  /** Allocations open now. */
  get allocationCount(): number {
    return this.#st.byRelay.size;
  }

  /**
   * Registers a local address the adapter listens on. Its transport address is also
   * denied as a peer (no relay loops).
   */
  addEndpoint(e: { transport: ClientTransport; address: string; port: number; family: 'IPv4' | 'IPv6' }): Endpoint {
    const endpoint: Endpoint = { id: this.#endpoints.length, ...e };
    this.#endpoints.push(endpoint);
    this.#st.policy.addOwnAddress(e.address, e.port);
    return endpoint;
  }

  /** Denies `ip:port` as a peer (the server's public address on a wildcard listener, …). */
  addOwnAddress(ip: string, port: number): void {
    this.#st.policy.addOwnAddress(ip, port);
  }

  /**
   * The session of TURN REST identity `identity` has ended: deletes every allocation made
   * with it (relays closed). New requests with it are refused only if the
   * `restIdentityActive` option says so (sessions.ts). Returns how many were deleted.
   */
  releaseRestIdentity(identity: string): number {
    const all = allocationsOfRestIdentity(this.#st, identity);
    for (const a of all) deleteAllocation(this.#st, a);
    if (all.length > 0) this.#st.log.debug('allocations released', { count: all.length });
    return all.length;
  }

  /** RFC 5780: the four UDP endpoints `[ip][port]` (0 primary, 1 alternate). */
  setRfc5780Group(group: Rfc5780Group): void {
    this.#st.rfc5780.group = group;
    for (const ip of [0, 1] as const) {
      for (const port of [0, 1] as const) this.#st.rfc5780.roles.set(group[ip][port].id, [ip, port]);
    }
  }

  /** A datagram from a client on a UDP endpoint. Never throws. */
  handleUdp(endpoint: Endpoint, data: Uint8Array, address: string, port: number): void {
    if (this.#closed || data.length === 0) return;
    const b = data[0] as number;
    // ChannelData: first two bits 01 (RFC 8656 §12.4); the channel's high byte bounded by
    // the accepted range (0x4F, or 0x7F with legacyChannelNumbers). Unknown channels drop.
    if (b >= 0x40 && b <= this.#st.o.maxChannel >> 8) {
      const a = this.#st.udpAllocations.get(endpoint.id)?.get(port)?.get(address);
      if (a === undefined) {
        this.#st.metrics.drop(DropReason.NoAllocation);
        return;
      }
      this.#channelToPeer(a, data, 0, data.length);
      return;
    }
    if (b > 3) {
      this.#st.metrics.drop(DropReason.Malformed);
      return;
    }
    const client: UdpClient = {
      transport: 'udp',
      endpoint,
      address,
      port,
      family: address.includes(':') ? 'IPv6' : 'IPv4',
    };
    this.#stun(client, data);
  }

  /** A TCP/TLS connection was accepted. Returns the client the adapter passes back. */
  streamOpened(endpoint: Endpoint, address: string, port: number, handle: S): StreamClient<S> {
    const conn = new StreamConn(endpoint, address, port, handle);
    if (this.#closed) conn.closed = true;
    else {
      this.#streams.add(conn);
      this.#st.metrics.streams++;
    }
    return conn;
  }

  /**
   * Bytes from a TCP/TLS client. Frames are cut out with `streamFrameLength` (RFC 8656
   * §12.5: STUN messages and ChannelData padded to 4 bytes); an unframeable byte closes
   * the connection.
   */
  handleStreamData(client: StreamClient<S>, chunk: Uint8Array): void {
    const conn = client as StreamConn<S>;
    if (conn.closed || chunk.length === 0) return;
    let buf = chunk;
    if (conn.pending !== undefined) {
      buf = new Uint8Array(conn.pending.length + chunk.length);
      buf.set(conn.pending, 0);
      buf.set(chunk, conn.pending.length);
      conn.pending = undefined;
    }
    let at = 0;
    while (buf.length - at >= 4 && !conn.closed) {
      let n: number | undefined;
      try {
        n = streamFrameLength(at === 0 ? buf : buf.subarray(at), this.#st.o.maxChannel);
      } catch {
        n = undefined;
      }
      if (n === undefined) {
        this.#st.metrics.drop(DropReason.BadStream);
        this.#st.io.closeStream(conn);
        return;
      }
      if (n > buf.length - at) break;
      const b = buf[at] as number;
      if (b >= 0x40) {
        const a = conn.allocation as Allocation<R, S> | undefined;
        if (a === undefined) this.#st.metrics.drop(DropReason.NoAllocation);
        else this.#channelToPeer(a, buf, at, n);
      } else {
        this.#stun(conn, buf.subarray(at, at + n));
      }
      at += n;
    }
    if (at < buf.length && !conn.closed) conn.pending = buf.slice(at);
  }

  /** The TCP/TLS connection is gone: its allocation (and a pending Allocate) goes with it. */
  streamClosed(client: StreamClient<S>): void {
    const conn = client as StreamConn<S>;
    if (conn.closed) return;
    conn.closed = true;
    conn.pending = undefined;
    if (this.#streams.delete(conn)) this.#st.metrics.streams--;
    const a = conn.allocation as Allocation<R, S> | undefined;
    if (a !== undefined) deleteAllocation(this.#st, a);
  }

  /** The adapter bound (or failed to bind: `relay` undefined) the relay of `bindRelay(request)`. */
  relayBound(id: number, relay: R | undefined, reservedNext?: R): void {
    if (this.#closed) {
      if (relay !== undefined) this.#st.io.closeRelay(relay);
      if (reservedNext !== undefined) this.#st.io.closeRelay(reservedNext);
      return;
    }
    finishAllocate(this.#st, id, relay, reservedNext);
  }

  /**
   * A datagram from a peer on a relay socket (RFC 8656 §11.3, §12.7): relayed to the
   * client as ChannelData when a channel is bound to the peer, else as a Data indication;
   * dropped without a permission for the peer's IP.
   */
  handlePeer(relay: R, data: Uint8Array, address: string, port: number): void {
    const st = this.#st;
    const a = st.byRelay.get(relay);
    if (a === undefined) {
      st.metrics.drop(DropReason.NoAllocation);
      return;
    }
    const now = st.clock.now();
    if (a.expiresAt <= now) {
      st.metrics.drop(DropReason.NoAllocation);
      return;
    }
    // RFC 8656 §11.3: "the server MUST check for a permission [...]; if none exists, the
    // UDP datagram is silently discarded."
    if (!a.hasPermission(address, now)) {
      st.metrics.drop(DropReason.NoPermission);
      return;
    }
    // A relay-only permission (own-relays.ts) lets in only this server's live relays.
    if (a.relayOnly.size !== 0 && a.relayOnly.has(address) && !isLiveRelayed(st, address, port, now)) {
      st.metrics.drop(DropReason.ForbiddenPeer);
      return;
    }
    const length = data.length;
    if (a.fromPeer !== undefined && !a.fromPeer.take(length, now)) {
      st.metrics.drop(DropReason.Bandwidth);
      return;
    }
    const stream = a.client.transport !== 'udp';
    const pad = stream && (length & 3) !== 0 ? ZEROS.subarray(0, 4 - (length & 3)) : undefined;
    const channel = a.channelFor(address, port, now);
    if (channel !== undefined) {
      // RFC 8656 §12.7 / §12.4: Channel Number, Length, Application Data (padded over streams).
      const head = Buffer.allocUnsafe(4);
      head.writeUInt16BE(channel.number, 0);
      head.writeUInt16BE(length, 2);
      st.io.sendToClient(a.client, head, data, pad);
    } else {
      if (length > 0xffff - 64) {
        st.metrics.drop(DropReason.Ignored);
        return;
      }
      // RFC 8656 §11.3: a Data indication with XOR-PEER-ADDRESS and DATA.
      const head = encodeDataIndicationHead(a, address, port, length);
      st.io.sendToClient(a.client, head, data, (length & 3) !== 0 ? ZEROS.subarray(0, 4 - (length & 3)) : undefined);
    }
    st.metrics.packetsFromPeer++;
    st.metrics.bytesFromPeer += length;
  }

  /** Frees everything (relays through `closeRelay`) and stops the sweep. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#sweep?.cancel();
    this.#sweep = undefined;
    const st = this.#st;
    for (const a of [...st.byRelay.values()]) deleteAllocation(st, a);
    for (const r of st.reservations.values()) st.io.closeRelay(r.relay);
    st.reservations.clear();
    st.pending.clear();
    for (const conn of this.#streams) conn.closed = true;
    this.#streams.clear();
    st.metrics.streams = 0;
  }

  // RFC 8656 §12.6: "If the ChannelData message is received on a channel that is not
  // bound to any peer, then the message is silently discarded." Also discarded: a
  // Length larger than the datagram (§12.6), an allocation past its lifetime.
  #channelToPeer(a: Allocation<R, S>, buf: Uint8Array, at: number, frameLength: number): void {
    const st = this.#st;
    const number = ((buf[at] as number) << 8) | (buf[at + 1] as number);
    const length = ((buf[at + 2] as number) << 8) | (buf[at + 3] as number);
    if (4 + length > frameLength) {
      st.metrics.drop(DropReason.Malformed);
      return;
    }
    const now = st.clock.now();
    if (a.expiresAt <= now) {
      st.metrics.drop(DropReason.NoAllocation);
      return;
    }
    const channel = a.channels.get(number);
    if (channel === undefined || channel.expiresAt <= now) {
      st.metrics.drop(DropReason.NoChannel);
      return;
    }
    if (channel.relayOnly && !isLiveRelayed(st, channel.peerAddress, channel.peerPort, now)) {
      st.metrics.drop(DropReason.ForbiddenPeer);
      return;
    }
    if (a.toPeer !== undefined && !a.toPeer.take(length, now)) {
      st.metrics.drop(DropReason.Bandwidth);
      return;
    }
    st.io.sendToPeer(a.relay, buf, at + 4, length, channel.peerAddress, channel.peerPort);
    st.metrics.packetsToPeer++;
    st.metrics.bytesToPeer += length;
  }

  #stun(client: ClientRef<S>, data: Uint8Array): void {
    const st = this.#st;
    let msg: DecodedStunMessage;
    try {
      msg = decodeMessage(data);
    } catch {
      st.metrics.drop(DropReason.Malformed);
      return;
    }
    if (msg.class === StunClass.Indication) {
      if (msg.method === StunMethod.Send) handleSend(st, client, msg);
      else st.metrics.drop(DropReason.Unexpected);
      return;
    }
    if (msg.class !== StunClass.Request) {
      st.metrics.drop(DropReason.Unexpected);
      return;
    }
    try {
      const m = msg.method;
      if (m === StunMethod.Binding) handleBinding(st, client, msg);
      else if (m === StunMethod.Allocate) handleAllocate(st, client, msg);
      else if (m === StunMethod.Refresh) handleRefresh(st, client, msg);
      else if (m === StunMethod.CreatePermission) handleCreatePermission(st, client, msg);
      else if (m === StunMethod.ChannelBind) handleChannelBind(st, client, msg);
      // RFC 8489 §6.3.1 leaves unknown methods to the usage; RFC 6062's Connect and
      // ConnectionBind (TCP relays) are not offered: 400.
      else sendError(st, client, requestInfo(msg), 400);
    } catch (err) {
      // A malformed attribute value read by a handler (stun_bad_attribute): 400, rate limited.
      st.log.debug('bad request', { err, method: msg.method });
      try {
        sendError(st, client, requestInfo(msg), 400);
      } catch {
        st.metrics.drop(DropReason.Malformed);
      }
    }
  }

  #schedule(): void {
    this.#sweep = this.#st.clock.setTimeout(() => {
      this.#runSweep();
      if (!this.#closed) this.#schedule();
    }, SWEEP_INTERVAL_MS);
  }

  /** Frees what has expired; keeps the gauges right. */
  #runSweep(): void {
    const st = this.#st;
    const now = st.clock.now();
    for (const a of [...st.byRelay.values()]) {
      if (a.expiresAt <= now) {
        expire(st, a);
        continue;
      }
      for (const [ip, t] of a.permissions) {
        if (t <= now) {
          a.forget(ip);
          st.metrics.permissions--;
        }
      }
      for (const c of a.channels.values()) {
        if (c.active && c.expiresAt <= now) {
          c.active = false;
          st.metrics.channels--;
        }
        if (!c.active && c.expiresAt + 300_000 <= now) a.removeChannel(c);
      }
    }
    for (const [token, r] of st.reservations) {
      if (r.expiresAt <= now) {
        st.reservations.delete(token);
        st.io.closeRelay(r.relay);
      }
    }
    st.limiter.prune(now);
  }
}
