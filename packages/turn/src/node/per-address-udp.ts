/**
 * A UDP listener on a wildcard address (`0.0.0.0` or `::`) as one socket per local address
 * of its family, all on one port, so that every answer leaves from the address the client
 * sent to (local-addresses.ts says why). Addresses that appear or vanish while the server
 * runs are followed by `sync()`, which the server calls on a poll timer.
 */
import type { Socket as DgramSocket } from 'node:dgram';
import { type Clock, type Logger, RateLimitedLog } from '@itda/common';
import { TurnError, TurnErrorCode } from '../protocol/errors.ts';
import { addressesOf, type ListAddresses, type LocalAddress } from './local-addresses.ts';
import { bindUdp } from './relay.ts';

export interface PerAddressUdpOptions {
  family: 'IPv4' | 'IPv6';
  /** The listener's port; 0 picks one port that is free on every address. */
  port: number;
  /** As `TurnServerOptions.udpBufferBytes`. */
  bufferBytes: number;
  list: ListAddresses;
  /** A socket was bound on `local` (at start or later): the server starts reading it. */
  onBound: (local: LocalAddress, socket: DgramSocket) => void;
  /** The address is gone and its socket closed. */
  onLost: (address: string) => void;
  logger: Logger;
  clock: Clock;
}

/** Tries for an ephemeral port that is free on every address before giving up. */
const PORT_ATTEMPTS = 10;
/** One warning per address per minute when it cannot be bound (it is tried again on every poll). */
const BIND_WARN_INTERVAL_MS = 60_000;

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException | undefined)?.code;
}

export class PerAddressUdp {
  readonly #o: PerAddressUdpOptions;
  readonly #sockets = new Map<string, DgramSocket>();
  readonly #warn: RateLimitedLog;
  #port: number;
  #syncing: Promise<void> | undefined;
  #closed = false;

  constructor(options: PerAddressUdpOptions) {
    this.#o = options;
    this.#port = options.port;
    this.#warn = new RateLimitedLog({ logger: options.logger, clock: options.clock, windowMs: BIND_WARN_INTERVAL_MS });
  }

  /** The port every socket is bound to (resolved after `start()`). */
  get port(): number {
    return this.#port;
  }

  /** The addresses with a bound socket now. */
  get addresses(): string[] {
    return [...this.#sockets.keys()];
  }

  /**
   * Binds every current address. Rejects (nothing left bound) when the port is taken on
   * one of them or no address could be bound at all; an address that cannot be bound for
   * another reason (EADDRNOTAVAIL: an IPv6 address still in duplicate address detection)
   * is warned about and tried again by `sync()`.
   */
  async start(): Promise<void> {
    const locals = addressesOf(this.#o.list, this.#o.family);
    if (locals.length === 0) throw new TurnError(TurnErrorCode.ListenFailed, `no local ${this.#o.family} address`);
    for (let attempt = 1; ; attempt++) {
      const bound: [LocalAddress, DgramSocket][] = [];
      let port = this.#o.port;
      let taken: unknown;
      for (const local of locals) {
        try {
          const socket = await bindUdp(this.#o.family, local.address, port, this.#o.bufferBytes);
          port = socket.address().port;
          bound.push([local, socket]);
        } catch (err) {
          if (errCode(err) === 'EADDRINUSE') {
            taken = err;
            break;
          }
          this.#warnBind(local, err);
        }
      }
      if (taken === undefined && bound.length > 0) {
        this.#port = port;
        for (const [local, socket] of bound) this.#add(local, socket);
        return;
      }
      for (const [, socket] of bound) socket.close();
      if (taken === undefined) throw new TurnError(TurnErrorCode.ListenFailed, `no ${this.#o.family} address bound`);
      if (this.#o.port !== 0 || attempt >= PORT_ATTEMPTS) throw taken;
    }
  }

  /** Binds addresses that appeared and closes the sockets of those that vanished. Never rejects. */
  sync(): Promise<void> {
    this.#syncing ??= this.#sync().finally(() => {
      this.#syncing = undefined;
    });
    return this.#syncing;
  }

  async #sync(): Promise<void> {
    if (this.#closed) return;
    let locals: LocalAddress[];
    try {
      locals = addressesOf(this.#o.list, this.#o.family);
    } catch (err) {
      this.#warn.warn('list', 'cannot list local addresses', { err });
      return;
    }
    const now = new Set(locals.map((l) => l.address));
    for (const [address, socket] of this.#sockets) {
      if (now.has(address)) continue;
      this.#sockets.delete(address);
      socket.close();
      this.#o.logger.info('turn udp address gone', { address, port: this.#port });
      this.#o.onLost(address);
    }
    for (const local of locals) {
      if (this.#sockets.has(local.address)) continue;
      let socket: DgramSocket;
      try {
        socket = await bindUdp(this.#o.family, local.address, this.#port, this.#o.bufferBytes);
      } catch (err) {
        this.#warnBind(local, err);
        continue;
      }
      if (this.#closed || this.#sockets.has(local.address)) {
        socket.close();
        continue;
      }
      this.#add(local, socket);
      this.#o.logger.info('turn udp address added', {
        address: local.address,
        interface: local.interface,
        port: this.#port,
      });
    }
  }

  #add(local: LocalAddress, socket: DgramSocket): void {
    this.#sockets.set(local.address, socket);
    this.#o.onBound(local, socket);
  }

  #warnBind(local: LocalAddress, err: unknown): void {
    this.#warn.warn(`bind ${local.address}`, 'cannot listen on a local address; retried on the next poll', {
      address: local.address,
      interface: local.interface,
      port: this.#port,
      code: errCode(err),
    });
  }

  /** Closes every socket (no `onLost`). */
  async close(): Promise<void> {
    this.#closed = true;
    if (this.#syncing !== undefined) await this.#syncing;
    const closing = [...this.#sockets.values()].map((s) => new Promise<void>((resolve) => s.close(() => resolve())));
    this.#sockets.clear();
    await Promise.all(closing);
  }
}
