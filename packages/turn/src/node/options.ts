/**
 * Options of the Node `TurnServer`: the core's options (credentials, policy, quotas)
 * plus listeners, relay addresses and port range. Defaults and limits are documented on
 * each field and in docs/turn.md.
 */
import type { Clock, Logger } from '@itda/common';
import type { SharedConnectionBudget, StreamGuardLimits } from '@itda/common/node';
import type { TurnCoreOptions } from '../protocol/config.ts';
import type { ListAddresses } from './local-addresses.ts';

/** A plain UDP or TCP listener. */
export interface PlainListenOptions {
  transport: 'udp' | 'tcp';
  /** Address to bind: an IPv4 or IPv6 literal ('0.0.0.0' and '::' listen on every address). */
  host: string;
  /** Port; 0 picks a free one (see `TurnServer.addresses`). Standard: 3478. */
  port: number;
}

/** A TLS listener (TURN over TLS, RFC 8656 §3.1; standard port 5349, or 443). */
export interface TlsListenOptions {
  transport: 'tls';
  host: string;
  port: number;
  /** PEM certificate chain. */
  cert: string | Uint8Array;
  /** PEM private key. */
  key: string | Uint8Array;
}

export type ListenOptions = PlainListenOptions | TlsListenOptions;

/** RFC 5780 NAT behaviour discovery: the server also answers from a second IP and port. */
export interface Rfc5780Options {
  /**
   * The second IP address (same family as the first UDP listener's host, which must be a
   * specific address). On loopback: '127.0.0.2'.
   */
  alternateIp: string;
  /** The second port. Default 0: a free port, chosen so that it is free on both IPs. */
  alternatePort?: number;
}

/** One address the server actually listens on (port 0 resolved). */
export interface BoundAddress {
  transport: 'udp' | 'tcp' | 'tls';
  host: string;
  port: number;
  family: 'IPv4' | 'IPv6';
}

export interface TurnServerOptions extends TurnCoreOptions {
  /**
   * Listeners. Default: UDP and TCP on 0.0.0.0:3478. At most 32. The first UDP listener
   * is the RFC 5780 primary address when `rfc5780` is set.
   */
  listen?: ListenOptions[];
  /**
   * IPv4 or IPv6 address the relay sockets bind to (RFC 8656 §7.2: the relayed transport
   * address). Default: the first listener's host when it is a specific address. When it
   * is a wildcard: with `externalIp`, relays bind to the wildcard address and advertise
   * `externalIp`; without, each relay binds on the local address its Allocate arrived on
   * and advertises that (the client reached it, so it can reach the relay there too).
   */
  relayIp?: string;
  /** IPv6 relay address for REQUESTED-ADDRESS-FAMILY IPv6 (RFC 8656 §7.2). Default none: 440. */
  relayIpv6?: string;
  /**
   * Address written into XOR-RELAYED-ADDRESS instead of `relayIp` — the public address of
   * a server behind 1:1 NAT (coturn's `external-ip`). Default: `relayIp`.
   */
  externalIp?: string;
  /** Lowest relay port. 1–65535. Default 49152. */
  minPort?: number;
  /** Highest relay port, ≥ minPort. Default 65535. */
  maxPort?: number;
  /** NAT behaviour discovery (RFC 5780). Default off. */
  rfc5780?: Rfc5780Options;
  /**
   * Kernel receive and send buffer asked for each UDP listener socket, in bytes
   * (SO_RCVBUF / SO_SNDBUF): room for the datagrams that arrive while the event loop is
   * busy (GC, a burst of requests), which would otherwise be dropped by the kernel.
   * Default 2 MiB, what coturn asks for its listeners. Linux grants at most
   * net.core.rmem_max / net.core.wmem_max (often 208 KiB: raise them with sysctl for a
   * busy server; `start()` logs a warning when the grant is smaller than asked).
   * 0 keeps the kernel default; otherwise 65,536–268,435,456.
   */
  udpBufferBytes?: number;
  /**
   * The same for each relay socket (one per allocation; it receives what peers send).
   * Default 0: the kernel default (net.core.rmem_default, usually 208 KiB; coturn asks
   * 64 KiB). 0 or 65,536–268,435,456.
   */
  relayBufferBytes?: number;
  /**
   * How often the machine's addresses are listed, in ms, so that a wildcard UDP listener
   * (one socket per local address) follows addresses that appear or vanish while it runs
   * (polling `os.networkInterfaces()`: Node has no netlink). Default 5000; 0: never
   * (`syncLocalAddresses()` still works); otherwise 100–3,600,000.
   */
  interfacePollMs?: number;
  /** Lists the machine's addresses for wildcard UDP listeners. Default `os.networkInterfaces()` (tests pass their own). */
  listAddresses?: ListAddresses;
  /**
   * Limits of each TCP and TLS listener (`StreamGuard`, docs/turn.md): connections in all
   * (default 10,000) and per source address or IPv6 /64 (default 128); a deadline by which
   * a connection must hold an allocation, TLS handshake included (default 10 s); and an
   * idle timeout for connections without one (default 60 s). Out of range: turn_bad_options.
   */
  tcpLimits?: StreamGuardLimits;
  /** A connection budget shared with the process's other TCP listeners (the descriptor reserve). */
  tcpSharedBudget?: SharedConnectionBudget;
  /** Named logger. Default: silent. */
  logger?: Logger;
  /** Clock for lifetimes and rate limits. Default `systemClock`. */
  clock?: Clock;
}
