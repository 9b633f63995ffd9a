/**
 * The SFU's sockets: ONE UDP port and ONE TCP port (ICE-TCP passive, RFC 6544 with
 * RFC 4571 framing) shared by every WebRtcTransport of the process.
 *
 * Demultiplexing (docs/sfu.md): the first byte classifies a datagram (RFC 7983). STUN
 * goes to the transport whose local ufrag is the first half of USERNAME; a successful
 * connectivity check binds its 5-tuple to that transport. Everything else is looked up
 * by 5-tuple, and a datagram from a tuple no check has verified is dropped (counted).
 *
 * One interval timer runs `tick` on every transport (consent freshness, RTCP, keyframe
 * throttles); no timer per transport.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { networkInterfaces } from 'node:os';
import { type Clock, type Logger, silentLogger, systemClock } from '@itda/common';
import { type SharedConnectionBudget, StreamGuard, type StreamGuardLimits } from '@itda/common/node';
import { decodeMessage, StunClass, StunMethod } from '@itda/stun';
import { createDtlsCertificate, type DtlsCertificate } from '../dtls/index.ts';
import { createIceCredentials, frameTcp, IceDemux, TcpFrameDecoder, tupleKey } from '../ice/index.ts';
import { SfuStats, type Tuple, WebRtcTransport } from '../router/index.ts';
import type { AnnouncedCandidate, TransportFactory } from '../session/types.ts';
import { MediaWorkerPool, type MediaWorkerStats } from './workers/pool.ts';

export interface RtcServerOptions {
  /** Address to bind. Default `0.0.0.0`. */
  host?: string;
  /** UDP port for all media. Default 7882; 0 picks a free one. */
  udpPort?: number;
  /** TCP port for ICE-TCP. Default: the UDP port's number; 0 picks a free one; `false` disables ICE-TCP. */
  tcpPort?: number | false;
  /**
   * Addresses announced as host candidates (RFC 8839 §5.1), in order of preference.
   * Default: `host`; for a wildcard `host`, every IPv4 address of the machine's
   * interfaces (non-loopback first, then 127.0.0.1), so browsers on the LAN and on this
   * machine both connect. Behind 1:1 NAT, give the public address.
   */
  announcedAddresses?: readonly string[];
  /** Consent freshness timeout, ms (RFC 7675). Default 30,000. */
  consentTimeoutMs?: number;
  /** Adaptive layers per subscriber from its bandwidth estimate (WebRtcTransportOptions.adaptive). Default false. */
  adaptive?: boolean;
  /** UDP socket buffers, bytes. Default 4 MiB (capped by the kernel's rmem_max/wmem_max). */
  udpBufferBytes?: number;
  /** Most bytes queued on one ICE-TCP connection before packets are dropped. Default 1 MiB. */
  tcpMaxQueuedBytes?: number;
  /**
   * Limits of the ICE-TCP port (`StreamGuard`, docs/sfu.md): connections in all and per
   * source (default 10,000 and 128), a deadline for the first valid connectivity check
   * (default 10 s) and an idle timeout (default 60 s). Out of range: RangeError.
   */
  tcpLimits?: StreamGuardLimits;
  /** A connection budget shared with the process's other TCP listeners (the descriptor reserve). */
  tcpSharedBudget?: SharedConnectionBudget;
  /**
   * Media worker threads that encrypt and send forwarded RTP (docs/sfu/workers.md), 0 … 64.
   * Default 0: everything on the calling thread. With workers the UDP port is bound with
   * SO_REUSEPORT (after checking that no other socket holds it).
   */
  mediaWorkers?: number;
  clock?: Clock;
  logger?: Logger;
}

const TICK_MS = 20;

/** Every IPv4 address of the machine's interfaces, loopback included. */
function localIpv4(): { address: string; internal: boolean }[] {
  return Object.values(networkInterfaces()).flatMap((list) => (list ?? []).filter((a) => a.family === 'IPv4'));
}

function isWildcard(host: string): boolean {
  return host === '0.0.0.0' || host === '::' || host === '';
}

/** Addresses to announce for a bind address: itself, or every local IPv4 for a wildcard. */
export function defaultAnnouncedAddresses(host: string): string[] {
  if (!isWildcard(host)) return [host];
  return [...localIpv4().flatMap((a) => (a.internal ? [] : [a.address])), '127.0.0.1'];
}

/** A UDP socket bound to `host:port`; `reusePort` for the media workers' shared port. */
async function bindUdp(family: 4 | 6, host: string, port: number, reusePort: boolean): Promise<Socket> {
  // Destinations are always IP literals from ICE: skip dns.lookup's nextTick per send.
  const udp = createSocket({
    type: family === 6 ? 'udp6' : 'udp4',
    reusePort,
    lookup: (address, _options, callback) => callback(null, address, family),
  });
  await new Promise<void>((resolve, reject) => {
    udp.once('error', reject);
    udp.bind(port, host, () => {
      udp.off('error', reject);
      resolve();
    });
  });
  return udp;
}

/** Asks for `bytes` of socket buffer each way; the kernel caps it at rmem_max/wmem_max, and smaller buffers still work. */
function sizeBuffers(udp: Socket, bytes: number): void {
  try {
    udp.setRecvBufferSize(bytes);
    udp.setSendBufferSize(bytes);
  } catch {
    // Above the cap on some kernels: keep the default.
  }
}

function closeUdp(udp: Socket): Promise<void> {
  return new Promise((resolve) => udp.close(() => resolve()));
}

/**
 * The media workers' shared port, bound with SO_REUSEPORT. Linux lets any socket of the
 * same user join such a port, and even hands out an ephemeral port (`port` 0) that another
 * SO_REUSEPORT socket holds; so the port is first bound plainly — `EADDRINUSE` if anyone
 * holds it, a port nobody holds for 0 — then released and bound again shared.
 */
export async function bindSharedUdp(family: 4 | 6, host: string, port: number): Promise<Socket> {
  for (let attempt = 1; ; attempt++) {
    const probe = await bindUdp(family, host, port, false);
    const free = probe.address().port;
    await closeUdp(probe);
    try {
      return await bindUdp(family, host, free, true);
    } catch (err) {
      // Taken between the probe and the bind (only possible for an ephemeral port): try another.
      if (port !== 0 || attempt >= 5) throw err;
    }
  }
}

/** One subscriber transport's downlink as the SFU estimates it (`RtcServer.bandwidthEstimates`). */
export interface BandwidthEstimate {
  transportId: string;
  /** What the estimator allows, bit/s. */
  estimateBps: number;
  /** What the subscriber received over the last 500 ms, bit/s (undefined before enough feedback). */
  receivedBps: number | undefined;
  usage: 'normal' | 'underusing' | 'overusing';
  lossFraction: number;
  /** Transport-cc feedback messages taken. */
  feedbacks: number;
  /** Packets sent with a transport-wide sequence number. */
  stamped: number;
  /** Feedback statuses that matched nothing sent. */
  unmatched: number;
}

export class RtcServer implements TransportFactory {
  readonly stats = new SfuStats();
  readonly certificate: DtlsCertificate;
  readonly candidates: AnnouncedCandidate[] = [];
  readonly #udp: Socket;
  readonly #tcp: Server | undefined;
  readonly #tcpConnections = new Map<string, TcpSocket>();
  readonly #tcpGuard: StreamGuard | undefined;
  /** ICE-TCP tuples that have passed a valid connectivity check (the guard's `established`). */
  readonly #tcpVerified = new Set<string>();
  readonly #demux = new IceDemux<WebRtcTransport>();
  readonly #transports = new Set<WebRtcTransport>();
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #options: RtcServerOptions;
  #timer: ReturnType<typeof setInterval> | undefined;
  #workers: MediaWorkerPool | undefined;
  /** Receive-only sockets on each local IPv4 address (media workers on a wildcard host). */
  readonly #receivers: Socket[] = [];
  #ids = 0;
  #closed = false;

  private constructor(
    options: RtcServerOptions,
    udp: Socket,
    tcp: Server | undefined,
    certificate: DtlsCertificate,
    guard: StreamGuard | undefined,
  ) {
    this.#options = options;
    this.#udp = udp;
    this.#tcp = tcp;
    this.#tcpGuard = guard;
    this.certificate = certificate;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? silentLogger;
  }

  /** Binds the UDP (and TCP) port and starts the tick timer. */
  static async listen(options: RtcServerOptions = {}): Promise<RtcServer> {
    const host = options.host ?? '0.0.0.0';
    const family = host.includes(':') ? 6 : 4;
    const workers = options.mediaWorkers ?? 0;
    if (!Number.isInteger(workers) || workers < 0 || workers > 64) {
      throw new RangeError(`mediaWorkers must be an integer in 0..64, got ${workers}`);
    }
    const guard =
      options.tcpPort === false
        ? undefined
        : new StreamGuard({
            name: 'ice_tcp',
            ...options.tcpLimits,
            shared: options.tcpSharedBudget,
            logger: options.logger,
          });
    const wantedPort = options.udpPort ?? 7882;
    const udp =
      workers > 0 ? await bindSharedUdp(family, host, wantedPort) : await bindUdp(family, host, wantedPort, false);
    const buffer = options.udpBufferBytes ?? 4 * 1024 * 1024;
    sizeBuffers(udp, buffer);
    const udpPort = udp.address().port;
    let tcp: Server | undefined;
    if (options.tcpPort !== false) {
      const server = createServer({ noDelay: true });
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ port: options.tcpPort ?? udpPort, host }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (err) {
        udp.close();
        throw err;
      }
      tcp = server;
    }
    const rtc = new RtcServer(options, udp, tcp, createDtlsCertificate(), guard);
    if (workers > 0) {
      try {
        // A specific address: the workers bind the wildcard, a group of their own, so every
        // datagram to `host` reaches this thread's socket directly (Linux's UDP lookup takes
        // the socket bound to the destination address first); what the workers receive was
        // sent to another address and they drop it. A wildcard `host`: this thread also binds
        // every local IPv4 address, receive-only, so datagrams to those reach it directly too;
        // the wildcard sockets (this thread's, which sends, and the workers') share one group,
        // and what the kernel hashes to a worker — a datagram to an address that appeared
        // later — is handed back (docs/sfu/workers.md).
        const wildcard = isWildcard(host);
        if (host === '0.0.0.0') {
          for (const { address } of localIpv4()) {
            const socket = await bindUdp(4, address, udpPort, true);
            sizeBuffers(socket, buffer);
            socket.on('message', (msg, rinfo) => rtc.#onUdp(msg, rinfo));
            socket.on('error', (err) => rtc.#log.warn('udp socket error', { err }));
            rtc.#receivers.push(socket);
          }
        }
        rtc.#workers = await MediaWorkerPool.start({
          workers,
          host: wildcard ? host : family === 6 ? '::' : '0.0.0.0',
          port: udpPort,
          logger: options.logger,
          ...(wildcard ? { onDatagram: (msg, address, port) => rtc.#dispatch(msg, 'udp', address, port) } : {}),
        });
      } catch (err) {
        await rtc.close();
        throw err;
      }
    }
    const announced = options.announcedAddresses ?? defaultAnnouncedAddresses(host);
    const tcpAddress = tcp?.address();
    const tcpPort = typeof tcpAddress === 'object' && tcpAddress !== null ? tcpAddress.port : undefined;
    for (const address of announced) rtc.candidates.push({ protocol: 'udp', address, port: udpPort });
    if (tcpPort !== undefined) {
      for (const address of announced)
        rtc.candidates.push({ protocol: 'tcp', address, port: tcpPort, tcpType: 'passive' });
    }
    rtc.#start();
    return rtc;
  }

  get udpPort(): number {
    return this.#udp.address().port;
  }

  get tcpPort(): number | undefined {
    const a = this.#tcp?.address();
    return typeof a === 'object' && a !== null ? a.port : undefined;
  }

  /**
   * Ends media worker `index` and starts a new one (docs/sfu/workers.md); the transports it
   * sent for send from this thread from then on. Throws without workers.
   */
  async restartMediaWorker(index: number): Promise<void> {
    if (this.#workers === undefined) throw new RangeError('no media workers');
    await this.#workers.restartWorker(index);
  }

  /** Media worker counters; undefined without workers. */
  workerStats(): MediaWorkerStats | undefined {
    return this.#workers?.stats();
  }

  /** The ICE-TCP port's limits and counters (refused, timed out); undefined without ICE-TCP. */
  get tcpGuard(): StreamGuard | undefined {
    return this.#tcpGuard;
  }

  /** Transports alive in this server. */
  get transportCount(): number {
    return this.#transports.size;
  }

  /** Each subscriber transport's send-side bandwidth estimate (bwe/): what its downlink carries. */
  bandwidthEstimates(): BandwidthEstimate[] {
    const out: BandwidthEstimate[] = [];
    for (const t of this.#transports) {
      const b = t.bandwidth;
      if (b === undefined) continue;
      out.push({
        transportId: t.id,
        estimateBps: b.estimateBps,
        receivedBps: b.receivedBps,
        usage: b.usage,
        lossFraction: b.lossFraction,
        feedbacks: b.feedbacks,
        stamped: b.stamped,
        unmatched: b.unmatched,
      });
    }
    return out;
  }

  createTransport(): WebRtcTransport {
    const ice = createIceCredentials();
    const transport = new WebRtcTransport({
      id: `t${++this.#ids}`,
      ice,
      certificate: this.certificate,
      sink: { send: (datagram, tuple) => this.#send(datagram, tuple) },
      clock: this.#clock,
      stats: this.stats,
      logger: this.#log,
      consentTimeoutMs: this.#options.consentTimeoutMs,
      adaptive: this.#options.adaptive ?? false,
      ...(this.#workers === undefined ? {} : { egress: this.#workers }),
    });
    this.#transports.add(transport);
    this.#demux.register(ice.ufrag, transport);
    transport.on('iceRestart', (next) => this.#demux.register(next.ufrag, transport));
    transport.on('closed', () => {
      this.#transports.delete(transport);
      this.#demux.unregister(transport);
    });
    return transport;
  }

  #start(): void {
    this.#udp.on('message', (msg, rinfo) => this.#onUdp(msg, rinfo));
    this.#udp.on('error', (err) => this.#log.warn('udp socket error', { err }));
    this.#tcp?.on('connection', (socket) => this.#onTcp(socket));
    this.#tcp?.on('error', (err) => this.#log.warn('tcp server error', { err }));
    this.#timer = setInterval(() => {
      const now = this.#clock.now();
      for (const t of this.#transports) t.tick(now);
    }, TICK_MS);
    this.#timer.unref();
  }

  #onUdp(msg: Buffer, rinfo: RemoteInfo): void {
    this.#dispatch(msg, 'udp', rinfo.address, rinfo.port);
  }

  #dispatch(msg: Buffer, protocol: 'udp' | 'tcp', address: string, port: number): void {
    const b0 = msg[0];
    if (b0 === undefined) {
      this.stats.drop('empty_datagram');
      return;
    }
    const key = tupleKey(protocol, address, port);
    if (b0 < 4) {
      this.#onStun(msg, { protocol, address, port, key });
      return;
    }
    const transport = this.#demux.ownerForTuple(key);
    if (transport === undefined) {
      this.stats.drop('unverified_tuple');
      return;
    }
    if (b0 >= 128 && b0 <= 191) transport.receiveSrtp(msg, this.#clock.now());
    else if (b0 >= 20 && b0 <= 63) transport.receiveDtls(msg);
    else this.stats.drop('unknown_packet');
  }

  #onStun(msg: Buffer, tuple: Tuple): void {
    let decoded: ReturnType<typeof decodeMessage>;
    try {
      decoded = decodeMessage(msg);
    } catch {
      this.stats.drop('stun_malformed');
      return;
    }
    if (decoded.method !== StunMethod.Binding || decoded.class !== StunClass.Request) {
      this.stats.drop('stun_unexpected');
      return;
    }
    const transport = this.#demux.ownerForStun(decoded);
    if (transport === undefined) {
      this.stats.drop('ice_unknown_ufrag');
      return;
    }
    const response = transport.receiveStun(decoded, tuple);
    if (response === null) return;
    // A success response (class bits 0b10 → type 0x0101) means the check was valid.
    if (response[0] === 0x01 && response[1] === 0x01) {
      this.#demux.bindTuple(tuple.key, transport);
      if (tuple.protocol === 'tcp') this.#tcpVerified.add(tuple.key);
    }
    this.#send(response, tuple);
  }

  #onTcp(socket: TcpSocket): void {
    const address = socket.remoteAddress;
    const port = socket.remotePort;
    if (address === undefined || port === undefined || this.#closed) {
      socket.destroy();
      return;
    }
    const key = tupleKey('tcp', address, port);
    // A connection to a passive candidate (RFC 6544) starts with the peer's connectivity
    // checks (RFC 8445 §7.3); one whose tuple no valid check has bound by the handshake
    // deadline is closed, and so is one that goes idle (consent checks, RFC 7675 §5.1,
    // keep a live one busy every few seconds).
    const admitted = this.#tcpGuard?.admit(socket, {
      established: () => this.#tcpVerified.has(key),
    });
    if (admitted === false) return;
    this.#tcpConnections.set(key, socket);
    const decoder = new TcpFrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) this.#dispatch(frame, 'tcp', address, port);
      } catch (err) {
        this.stats.drop((err as { code?: string }).code ?? 'ice_tcp_framing');
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      this.#tcpConnections.delete(key);
      this.#tcpVerified.delete(key);
      this.#demux.unbindTuple(key);
    });
  }

  #send(datagram: Uint8Array, tuple: Tuple): void {
    if (this.#closed) return;
    if (tuple.protocol === 'udp') {
      this.#udp.send(datagram, tuple.port, tuple.address);
      return;
    }
    const socket = this.#tcpConnections.get(tuple.key);
    if (socket === undefined || socket.destroyed) return;
    if (socket.writableLength > (this.#options.tcpMaxQueuedBytes ?? 1024 * 1024)) {
      this.stats.drop('ice_tcp_backpressure');
      return;
    }
    socket.write(frameTcp(datagram));
  }

  /** Closes every transport, both sockets and the timer. */
  async close(): Promise<void> {
    if (this.#closed) return;
    for (const t of [...this.#transports]) t.close('server_closed');
    this.#closed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    for (const s of this.#tcpConnections.values()) s.destroy();
    this.#tcpConnections.clear();
    this.#tcpVerified.clear();
    await Promise.all([
      this.#workers?.close(),
      closeUdp(this.#udp),
      ...this.#receivers.map(closeUdp),
      this.#tcp === undefined ? Promise.resolve() : new Promise<void>((resolve) => this.#tcp?.close(() => resolve())),
    ]);
  }
}
