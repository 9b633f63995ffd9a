/**
 * `TurnServer`: the TURN core (`protocol/`) on Node sockets — UDP, TCP and TLS client
 * listeners (RFC 8656 §3.1) and one UDP relay socket per allocation. It implements the
 * core's `TurnIo`: the core decides, this class only moves bytes.
 *
 * A UDP listener on a wildcard address is one socket per local address (per-address-udp.ts)
 * so that every answer leaves from the address the client sent to; without a configured
 * `relayIp`, each relay is bound on the address its Allocate arrived on.
 */
import type { Socket as DgramSocket } from 'node:dgram';
import { createServer as createTcpServer, type Server, type Socket } from 'node:net';
import { createServer as createTlsServer, TLSSocket, Server as TlsServer } from 'node:tls';
import { type Clock, type Logger, silentLogger, systemClock, type TimerHandle } from '@itda/common';
import { StreamGuard } from '@itda/common/node';
import { resolveCoreOptions } from '../protocol/config.ts';
import { TurnCore } from '../protocol/core.ts';
import { TurnError, TurnErrorCode } from '../protocol/errors.ts';
import type { ClientRef, Endpoint, RelayAddresses, RelayRequest, StreamClient, TurnIo } from '../protocol/io.ts';
import { DropReason, type TurnMetrics, type TurnMetricsSnapshot } from '../protocol/metrics.ts';
import type { StreamConn } from '../protocol/state.ts';
import { addressesOf, type ListAddresses, type LocalAddress, systemAddresses } from './local-addresses.ts';
import type { BoundAddress, ListenOptions, TurnServerOptions } from './options.ts';
import { PerAddressUdp } from './per-address-udp.ts';
import { bindRelaySockets, bindUdp, NodeRelay } from './relay.ts';
import { familyOf, isWildcard, type ResolvedServerOptions, resolveServerOptions } from './validate.ts';

/** Bytes queued on a TCP/TLS client beyond which relayed packets to it are dropped. */
const MAX_STREAM_BACKLOG = 1 << 20;

function pem(v: string | Uint8Array | undefined): string | Buffer {
  return typeof v === 'string' ? v : Buffer.from(v ?? new Uint8Array(0));
}

/**
 * Makes every `write` on a TLS client its own TLS record: each STUN message or ChannelData
 * message then travels in a record of its own, as coturn sends them.
 *
 * Why: while a TLS write is in flight (its completion always comes back on a later turn of
 * the event loop), Node buffers further writes and flushes them with `_writev` as a single
 * `SSL_write`, i.e. several messages in one record. That is a valid byte stream (RFC 8656
 * §12.5 frames ChannelData by its length, padded to 4 bytes over TCP and TLS), but
 * clients that read one record as one message lose the rest: coturn's
 * `turnutils_uclient` keeps the first ChannelData message of a record and drops the others
 * without a word (`stun_is_channel_message_str` truncates to the first length). Without
 * `_writev`, the stream writes its buffered chunks one by one.
 */
function oneRecordPerWrite(socket: Socket): void {
  // `_writev` is the documented hook for stream implementers; an own `undefined` hides
  // net.Socket's, and Writable then flushes its buffer one chunk (one SSL_write) at a time.
  (socket as { _writev?: unknown })._writev = undefined;
}

function isLoopback(ip: string): boolean {
  return ip.startsWith('127.') || ip === '::1';
}

/** IPv4-mapped IPv6 text from a dual-stack socket → plain IPv4. */
function plainIp(ip: string | undefined): string {
  if (ip === undefined) return '';
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}

export class TurnServer implements TurnIo<NodeRelay, Socket> {
  readonly #o: ResolvedServerOptions;
  readonly #log: Logger;
  readonly #clock: Clock;
  readonly #core: TurnCore<NodeRelay, Socket>;
  /** UDP sockets by endpoint id. */
  readonly #udp = new Map<number, DgramSocket>();
  readonly #servers: Server[] = [];
  readonly #sockets = new Set<Socket>();
  /** Stream clients by `endpointId ip port`, for the guards' questions about raw sockets. */
  readonly #streamClients = new Map<string, StreamClient<Socket>>();
  readonly #guards: StreamGuard[] = [];
  readonly #relays = new Set<NodeRelay>();
  readonly #binding = new Set<Promise<void>>();
  /** The wildcard UDP listeners, each one socket per local address. */
  readonly #perAddress: PerAddressUdp[] = [];
  /** Endpoints of per-address sockets by `listener index|address`: an address that comes back keeps its endpoint. */
  readonly #addressEndpoints = new Map<string, Endpoint>();
  readonly #listAddresses: ListAddresses;
  #poll: TimerHandle | undefined;
  #addresses: BoundAddress[] = [];
  #bufferWarned = false;
  #state: 'new' | 'starting' | 'started' | 'closed' = 'new';

  /** @throws TurnError turn_bad_options */
  constructor(options: TurnServerOptions = {}) {
    this.#o = resolveServerOptions(options);
    this.#log = options.logger ?? silentLogger;
    this.#clock = options.clock ?? systemClock;
    this.#listAddresses = options.listAddresses ?? systemAddresses;
    const relayAddresses: { IPv4?: string | null; IPv6?: string | null } = {};
    const { relayIp, externalIp } = this.#o;
    if (relayIp === undefined) {
      // Per request: the relay's own address (the one the Allocate arrived on) is advertised.
      relayAddresses[familyOf((this.#o.listen[0] as ListenOptions).host)] = null;
    } else {
      relayAddresses[familyOf(relayIp)] = externalIp ?? relayIp;
    }
    if (this.#o.relayIpv6 !== undefined) relayAddresses.IPv6 = this.#o.relayIpv6;
    this.#core = new TurnCore<NodeRelay, Socket>({
      io: this,
      options: resolveCoreOptions(options),
      clock: this.#clock,
      logger: this.#log,
      relayAddresses: relayAddresses satisfies RelayAddresses,
    });
  }

  /** Binds every listener. Rejects with TurnError turn_listen_failed (and frees what was bound). */
  async start(): Promise<void> {
    if (this.#state !== 'new') throw new TurnError(TurnErrorCode.BadState, `start() in state ${this.#state}`);
    this.#state = 'starting';
    try {
      const udpIndex = this.#o.listen.findIndex((l) => l.transport === 'udp');
      for (let i = 0; i < this.#o.listen.length; i++) {
        const l = this.#o.listen[i] as ListenOptions;
        if (l.transport === 'udp') {
          if (i === udpIndex && this.#o.rfc5780 !== undefined) await this.#listenRfc5780(l.host, l.port);
          else if (isWildcard(l.host)) await this.#listenPerAddress(i, l.host, l.port);
          else await this.#listenUdp(l.host, l.port);
        } else {
          await this.#listenStream(l);
        }
      }
    } catch (err) {
      await this.close();
      if (err instanceof TurnError) throw err;
      throw new TurnError(TurnErrorCode.ListenFailed, `cannot listen: ${(err as Error).message}`, { cause: err });
    }
    if (this.#state !== 'starting') throw new TurnError(TurnErrorCode.BadState, 'closed while starting');
    this.#state = 'started';
    // Relaying to the server's own listeners through its advertised address is refused too.
    for (const a of this.#addresses) {
      for (const ip of [this.#o.relayIp, this.#o.externalIp])
        if (ip !== undefined) this.#core.addOwnAddress(ip, a.port);
    }
    for (const a of this.udpLocalAddresses) this.#ownStreamPorts(a.host);
    if (this.#perAddress.length > 0) this.#schedulePoll();
    this.#log.info('turn listening', {
      addresses: this.#addresses.map((a) => `${a.transport}://${a.host}:${a.port}`),
      ...(this.#perAddress.length > 0 ? { udpLocalAddresses: this.udpLocalAddresses.map((a) => a.host) } : {}),
    });
  }

  /**
   * The sockets behind wildcard UDP listeners: one per local address, as bound now (they
   * follow the machine's addresses, polled every `interfacePollMs`). Empty without one.
   */
  get udpLocalAddresses(): BoundAddress[] {
    return this.#perAddress.flatMap((g) =>
      g.addresses.map((host) => ({ transport: 'udp' as const, host, port: g.port, family: familyOf(host) })),
    );
  }

  /** Looks for local addresses that appeared or vanished now (as the poll timer does). */
  async syncLocalAddresses(): Promise<void> {
    await Promise.all(this.#perAddress.map((g) => g.sync()));
  }

  #schedulePoll(): void {
    const ms = this.#o.interfacePollMs;
    if (ms === 0 || this.#state !== 'started') return;
    this.#poll = this.#clock.setTimeout(() => {
      void this.syncLocalAddresses().finally(() => this.#schedulePoll());
    }, ms);
  }

  /** Addresses actually bound (port 0 resolved), in the order of `listen`. Empty before start(). */
  get addresses(): BoundAddress[] {
    return this.#addresses.map((a) => ({ ...a }));
  }

  /** A snapshot of the metrics (no per-user labels). See `formatTurnMetrics`. */
  get metrics(): TurnMetricsSnapshot {
    return this.#core.metrics.snapshot();
  }

  /** The TCP and TLS listeners' limits and counters (refused, timed out), in the order of `listen`. */
  get streamGuards(): readonly StreamGuard[] {
    return this.#guards;
  }

  /** The live metrics object (counters are read without copying). */
  get liveMetrics(): TurnMetrics {
    return this.#core.metrics;
  }

  /**
   * The session a TURN REST identity was minted for has ended: frees every allocation made
   * with it now. With the `restIdentityActive` option saying so, its credentials are then
   * refused too (docs/turn.md, "Session-bound credentials"). Returns how many allocations.
   */
  releaseRestIdentity(identity: string): number {
    return this.#core.releaseRestIdentity(identity);
  }

  /** Closes every listener, connection, relay socket and timer. Idempotent. */
  /**
   * A new certificate for every TLS listener (a reload on SIGHUP): new connections get
   * it, open ones keep theirs. Throws when the pair does not load (the old one stays).
   */
  setCertificate(cert: string, key: string): void {
    for (const s of this.#servers) if (s instanceof TlsServer) s.setSecureContext({ cert, key });
  }

  async close(): Promise<void> {
    if (this.#state === 'closed') return;
    this.#state = 'closed';
    this.#poll?.cancel();
    this.#core.close();
    // The groups close their own sockets (after a poll in progress); the others are closed below.
    await Promise.all(this.#perAddress.map((g) => g.close()));
    for (const e of this.#addressEndpoints.values()) this.#udp.delete(e.id);
    while (this.#binding.size > 0) await Promise.allSettled([...this.#binding]);
    for (const r of this.#relays) r.close();
    this.#relays.clear();
    for (const s of this.#sockets) s.destroy();
    this.#sockets.clear();
    this.#streamClients.clear();
    const closing: Promise<void>[] = [];
    for (const u of this.#udp.values()) closing.push(new Promise((resolve) => u.close(() => resolve())));
    this.#udp.clear();
    for (const s of this.#servers) closing.push(new Promise((resolve) => s.close(() => resolve())));
    this.#servers.length = 0;
    await Promise.all(closing);
  }

  // ---- listeners

  async #listenUdp(host: string, port: number): Promise<Endpoint> {
    const family = familyOf(host);
    const socket = await bindUdp(family, host, port, this.#o.udpBufferBytes);
    return this.#addUdp(socket, host, family);
  }

  #addUdp(socket: DgramSocket, host: string, family: 'IPv4' | 'IPv6'): Endpoint {
    const port = socket.address().port;
    const endpoint = this.#core.addEndpoint({ transport: 'udp', address: host, port, family });
    this.#addresses.push({ transport: 'udp', host, port, family });
    this.#readUdp(endpoint, socket);
    return endpoint;
  }

  #readUdp(endpoint: Endpoint, socket: DgramSocket): void {
    const port = endpoint.port;
    this.#checkBuffers(socket, port);
    this.#udp.set(endpoint.id, socket);
    const core = this.#core;
    socket.on('message', (msg, rinfo) => core.handleUdp(endpoint, msg, plainIp(rinfo.address), rinfo.port));
    socket.on('error', (err) => this.#log.warn('udp socket error', { err, port }));
  }

  /**
   * A wildcard UDP listener: one socket per local address of its family, each its own
   * endpoint (so answers, relayed data and relays use the address the client asked).
   */
  async #listenPerAddress(index: number, host: string, port: number): Promise<void> {
    const family = familyOf(host);
    const group = new PerAddressUdp({
      family,
      port,
      bufferBytes: this.#o.udpBufferBytes,
      list: this.#listAddresses,
      logger: this.#log,
      clock: this.#clock,
      onBound: (local, socket) => {
        const key = `${index}|${local.address}`;
        let endpoint = this.#addressEndpoints.get(key);
        if (endpoint === undefined) {
          endpoint = this.#core.addEndpoint({ transport: 'udp', address: local.address, port: group.port, family });
          this.#addressEndpoints.set(key, endpoint);
          this.#ownStreamPorts(local.address);
        }
        this.#readUdp(endpoint, socket);
      },
      onLost: (address) => {
        const endpoint = this.#addressEndpoints.get(`${index}|${address}`);
        if (endpoint !== undefined) this.#udp.delete(endpoint.id);
      },
    });
    this.#perAddress.push(group);
    await group.start();
    this.#addresses.push({ transport: 'udp', host, port: group.port, family });
  }

  /** The TCP and TLS listeners on a wildcard are reached on `address` too: no relaying to them. */
  #ownStreamPorts(address: string): void {
    for (const a of this.#addresses)
      if (a.transport !== 'udp' && isWildcard(a.host) && a.family === familyOf(address))
        this.#core.addOwnAddress(address, a.port);
  }

  /**
   * Warns (once per server) when the kernel granted less buffer than `udpBufferBytes`
   * asked (Linux reports twice the grant).
   */
  #checkBuffers(socket: DgramSocket, port: number): void {
    const asked = this.#o.udpBufferBytes;
    if (asked === 0 || this.#bufferWarned) return;
    try {
      const recv = socket.getRecvBufferSize() / 2;
      const send = socket.getSendBufferSize() / 2;
      if (recv < asked || send < asked) {
        this.#bufferWarned = true;
        this.#log.warn('udp socket buffers smaller than asked: raise net.core.rmem_max / wmem_max', {
          port,
          asked,
          receive: recv,
          send,
        });
      }
    } catch {
      // not available on this platform
    }
  }

  /**
   * RFC 5780 §6: the primary address (host:P) plus alternate IP and port —
   * (alt:P), (host:Q), (alt:Q) — so responses can come from another IP and/or port.
   */
  async #listenRfc5780(host: string, port: number): Promise<void> {
    const alt = this.#o.rfc5780 as NonNullable<ResolvedServerOptions['rfc5780']>;
    const family = familyOf(host);
    for (let attempt = 0; attempt < 10; attempt++) {
      const bound: DgramSocket[] = [];
      try {
        const bytes = this.#o.udpBufferBytes;
        const a = await bindUdp(family, host, port, bytes);
        bound.push(a);
        const p = a.address().port;
        bound.push(await bindUdp(family, alt.alternateIp, p, bytes));
        const c = await bindUdp(family, host, alt.alternatePort, bytes);
        bound.push(c);
        bound.push(await bindUdp(family, alt.alternateIp, c.address().port, bytes));
      } catch (err) {
        for (const s of bound) s.close();
        if (port !== 0 && alt.alternatePort !== 0) throw err;
        continue;
      }
      const [e00, e10, e01, e11] = [
        this.#addUdp(bound[0] as DgramSocket, host, family),
        this.#addUdp(bound[1] as DgramSocket, alt.alternateIp, family),
        this.#addUdp(bound[2] as DgramSocket, host, family),
        this.#addUdp(bound[3] as DgramSocket, alt.alternateIp, family),
      ];
      this.#core.setRfc5780Group([
        [e00, e01],
        [e10, e11],
      ]);
      return;
    }
    throw new TurnError(TurnErrorCode.ListenFailed, 'rfc5780: no port free on both addresses');
  }

  async #listenStream(l: ListenOptions): Promise<void> {
    const family = familyOf(l.host);
    const tls = l.transport === 'tls';
    const server = tls ? createTlsServer({ cert: pem(l.cert), key: pem(l.key) }) : createTcpServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ host: l.host, port: l.port, exclusive: true }, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#servers.push(server);
    const address = server.address();
    const port = typeof address === 'object' && address !== null ? address.port : l.port;
    const endpoint = this.#core.addEndpoint({ transport: l.transport, address: l.host, port, family });
    this.#addresses.push({ transport: l.transport, host: l.host, port, family });
    server.on('error', (err) => this.#log.warn('listener error', { err, transport: l.transport, port }));
    const guard = new StreamGuard({
      name: `turn_${l.transport}`,
      ...this.#o.tcpLimits,
      shared: this.#o.tcpSharedBudget,
      logger: this.#log,
    });
    this.#guards.push(guard);
    // First, before TLS wraps the socket: refused connections cost no handshake. A TURN
    // connection proves itself by holding an allocation (made by Allocate, RFC 8656 §7.2;
    // coturn's max-allocate-timeout is the same idea), which also lets it idle: the client
    // must refresh it within its lifetime or lose it (RFC 8656 §8).
    server.prependListener('connection', (raw: Socket) => {
      const key = `${endpoint.id} ${plainIp(raw.remoteAddress)} ${raw.remotePort}`;
      const allocated = (): boolean =>
        (this.#streamClients.get(key) as StreamConn<Socket> | undefined)?.allocation !== undefined;
      if (!guard.admit(raw, { established: allocated, keepIdle: allocated })) return;
      // Until TLS is done only the raw socket exists: close() must find it too.
      this.#sockets.add(raw);
      raw.once('close', () => this.#sockets.delete(raw));
    });
    if (tls) server.on('tlsClientError', () => this.#core.metrics.drop(DropReason.BadStream));
    server.on(tls ? 'secureConnection' : 'connection', (socket: Socket) => this.#accept(endpoint, socket, tls));
  }

  #accept(endpoint: Endpoint, socket: Socket, tls: boolean): void {
    if (socket.destroyed) return; // refused by the guard
    if (this.#state === 'closed') {
      socket.destroy();
      return;
    }
    socket.setNoDelay(true);
    if (tls) oneRecordPerWrite(socket);
    this.#sockets.add(socket);
    const core = this.#core;
    const ip = plainIp(socket.remoteAddress);
    const port = socket.remotePort ?? 0;
    const client = core.streamOpened(endpoint, ip, port, socket);
    const key = `${endpoint.id} ${ip} ${port}`;
    this.#streamClients.set(key, client);
    socket.on('data', (chunk: Buffer) => core.handleStreamData(client, chunk));
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.#sockets.delete(socket);
      if (this.#streamClients.get(key) === client) this.#streamClients.delete(key);
      core.streamClosed(client);
    });
  }

  // ---- TurnIo (called by the core; never throws)

  sendToClient(
    client: ClientRef<Socket>,
    head: Uint8Array,
    body?: Uint8Array,
    tail?: Uint8Array,
    from?: Endpoint,
    port?: number,
  ): void {
    if (client.transport === 'udp') {
      const socket = this.#udp.get((from ?? client.endpoint).id);
      if (socket === undefined) return;
      const data = body === undefined ? head : tail === undefined ? [head, body] : [head, body, tail];
      try {
        socket.send(data, port ?? client.port, client.address);
      } catch (err) {
        this.#log.debug('udp send failed', { err });
      }
      return;
    }
    const socket = client.handle;
    if (socket.destroyed || !socket.writable) return;
    if (body !== undefined && socket.writableLength > MAX_STREAM_BACKLOG) {
      this.#core.metrics.drop(DropReason.Bandwidth);
      return;
    }
    if (body === undefined) {
      socket.write(head);
      return;
    }
    if (socket instanceof TLSSocket) {
      // One write, so one TLS record per message (see oneRecordPerWrite).
      socket.write(tail === undefined ? Buffer.concat([head, body]) : Buffer.concat([head, body, tail]));
      return;
    }
    socket.cork();
    socket.write(head);
    socket.write(body);
    if (tail !== undefined) socket.write(tail);
    socket.uncork();
  }

  sendToPeer(relay: NodeRelay, data: Uint8Array, offset: number, length: number, address: string, port: number): void {
    if (relay.closed) return;
    try {
      relay.socket.send(data, offset, length, port, address);
    } catch (err) {
      this.#log.debug('relay send failed', { err });
    }
  }

  bindRelay(request: RelayRequest<Socket>): void {
    const fixed = request.family === 'IPv6' ? (this.#o.relayIpv6 ?? this.#o.relayIp) : this.#o.relayIp;
    const ip = fixed ?? this.#arrivedOn(request.client, request.family);
    if (ip === undefined) {
      this.#core.relayBound(request.id, undefined);
      return;
    }
    const range = { min: this.#o.minPort, max: this.#o.maxPort };
    const job = bindRelaySockets(
      request.family,
      ip,
      range,
      request.evenPort,
      request.reserveNext,
      this.#o.relayBufferBytes,
    ).then(
      (sockets) => {
        if (sockets === undefined) {
          this.#core.relayBound(request.id, undefined);
          return;
        }
        const [a, b] = sockets;
        const relay = this.#relay(a, ip, request.family);
        const next = b === undefined ? undefined : this.#relay(b, ip, request.family);
        this.#core.relayBound(request.id, relay, next);
      },
      (err: unknown) => {
        this.#log.warn('relay bind failed', { err });
        this.#core.relayBound(request.id, undefined);
      },
    );
    this.#binding.add(job);
    void job.finally(() => this.#binding.delete(job));
  }

  /**
   * The local address a client's request arrived on, when it is of `family`: the address
   * of its UDP socket, or its connection's local address. Otherwise the first local
   * address of that family (a client on IPv4 asking for an IPv6 relay), if any.
   */
  #arrivedOn(client: ClientRef<Socket>, family: 'IPv4' | 'IPv6'): string | undefined {
    const local = client.transport === 'udp' ? client.endpoint.address : plainIp(client.handle.localAddress);
    if (local !== '' && !isWildcard(local) && familyOf(local) === family) return local;
    const any: LocalAddress[] = addressesOf(this.#listAddresses, family);
    return (any.find((a) => !isLoopback(a.address)) ?? any[0])?.address;
  }

  #relay(socket: DgramSocket, ip: string, family: 'IPv4' | 'IPv6'): NodeRelay {
    const relay = new NodeRelay(socket, ip, socket.address().port, family);
    this.#relays.add(relay);
    const core = this.#core;
    socket.on('message', (msg, rinfo) => core.handlePeer(relay, msg, plainIp(rinfo.address), rinfo.port));
    socket.on('error', (err) => this.#log.debug('relay socket error', { err }));
    return relay;
  }

  closeRelay(relay: NodeRelay): void {
    this.#relays.delete(relay);
    relay.close();
  }

  closeStream(client: StreamClient<Socket>): void {
    client.handle.destroy();
  }
}
