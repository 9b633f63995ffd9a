/**
 * The state one `TurnCore` shares with its request handlers (allocate.ts, permission.ts,
 * binding.ts): options, I/O, clock, metrics, and the allocation tables.
 */
import type { Clock, Logger, RateLimitedLog } from '@itda/common';
import type { IpFamily } from '@itda/stun';
import type { Allocation } from './allocation.ts';
import type { Authenticator, Credential } from './auth.ts';
import type { ResolvedCoreOptions } from './config.ts';
import type { ClientRef, Endpoint, RelayAddresses, RelayHandle, StreamClient, TurnIo } from './io.ts';
import type { TurnMetrics } from './metrics.ts';
import type { PeerPolicy } from './peer-policy.ts';
import type { SourceRateLimiter } from './rate-limit.ts';

/** A TCP/TLS client connection as the core tracks it. */
export class StreamConn<S> implements StreamClient<S> {
  readonly transport: 'tcp' | 'tls';
  readonly endpoint: Endpoint;
  readonly address: string;
  readonly port: number;
  readonly family: IpFamily;
  readonly handle: S;
  /** Bytes of an incomplete frame. */
  pending: Uint8Array | undefined;
  /** The allocation of this connection's 5-tuple (RFC 8656 §2.2: at most one). */
  allocation: Allocation<RelayHandle, S> | undefined;
  closed = false;

  constructor(endpoint: Endpoint, address: string, port: number, handle: S) {
    this.transport = endpoint.transport === 'tls' ? 'tls' : 'tcp';
    this.endpoint = endpoint;
    this.address = address;
    this.port = port;
    this.family = address.includes(':') ? 'IPv6' : 'IPv4';
    this.handle = handle;
  }
}

/** An Allocate waiting for its relay socket. */
export interface PendingAllocate<S> {
  readonly id: number;
  readonly client: ClientRef<S>;
  readonly transactionId: Uint8Array;
  readonly transactionHex: string;
  readonly hadFingerprint: boolean;
  readonly credential: Credential;
  /** The client's source key for the per-source quota (quota.ts). */
  readonly sourceKey: string;
  readonly lifetimeMs: number;
  readonly family: IpFamily;
  /** ADDITIONAL-ADDRESS-FAMILY asked for IPv6, which is not offered: answer ADDRESS-ERROR-CODE 440. */
  readonly refuseAdditional: boolean;
}

/** A relay port reserved by EVEN-PORT with R (RFC 8656 §7.2), claimed by RESERVATION-TOKEN. */
export interface Reservation<R> {
  readonly relay: R;
  readonly expiresAt: number;
}

/** RFC 5780: the four UDP endpoints, `[ip][port]`, 0 = primary, 1 = alternate. */
export type Rfc5780Group = readonly [readonly [Endpoint, Endpoint], readonly [Endpoint, Endpoint]];

export interface CoreState<R extends RelayHandle, S> {
  readonly o: ResolvedCoreOptions;
  readonly io: TurnIo<R, S>;
  readonly clock: Clock;
  readonly log: Logger;
  readonly metrics: TurnMetrics;
  readonly auth: Authenticator;
  readonly policy: PeerPolicy;
  readonly limiter: SourceRateLimiter;
  /** Wall clock, ms since the epoch. */
  readonly wallNow: () => number;
  /** Advertised relay IP per family (`null`: the relay's bound address); a missing family is answered with 440. */
  readonly relayAddresses: RelayAddresses;
  /** UDP allocations: endpoint id → client port → client IP → allocation. */
  readonly udpAllocations: Map<number, Map<number, Map<string, Allocation<R, S>>>>;
  readonly byRelay: Map<R, Allocation<R, S>>;
  /**
   * The server's own relayed transport addresses: advertised relay IP (canonical text) →
   * port → allocation. Peers on these addresses pass the peer policy (own-relays.ts).
   */
  readonly relayed: Map<string, Map<number, Allocation<R, S>>>;
  readonly pending: Map<number, PendingAllocate<S>>;
  /** Allocations (and pending ones) per quota key. */
  readonly perUser: Map<string, number>;
  /** Allocations (not pending ones) per quota key (sessions.ts). */
  readonly byUser: Map<string, Set<Allocation<R, S>>>;
  /** Allocations (and pending ones) per source address (IPv4 address or IPv6 /64, quota.ts). */
  readonly perSource: Map<string, number>;
  /**
   * Lines a client can repeat at will — `allocation quota reached`, `peer refused` (403 by
   * the peer policy) — each at most once per `QUOTA_LOG_INTERVAL_MS`, with a count.
   */
  readonly limitedLog: RateLimitedLog;
  /** RESERVATION-TOKEN (hex) → reserved relay. */
  readonly reservations: Map<string, Reservation<R>>;
  /** Endpoint id → [ipIndex, portIndex] in the RFC 5780 group. */
  readonly rfc5780: { group: Rfc5780Group | undefined; roles: Map<number, readonly [number, number]> };
  nextId: number;
}

/** The allocation of a client's 5-tuple, if any (expired ones included until the sweep). */
export function findAllocation<R extends RelayHandle, S>(
  st: CoreState<R, S>,
  client: ClientRef<S>,
): Allocation<R, S> | undefined {
  if (client.transport !== 'udp') return (client as StreamConn<S>).allocation as Allocation<R, S> | undefined;
  return st.udpAllocations.get(client.endpoint.id)?.get(client.port)?.get(client.address);
}

/** True when the client has an Allocate waiting for its relay. */
export function hasPending<R extends RelayHandle, S>(st: CoreState<R, S>, client: ClientRef<S>): boolean {
  for (const p of st.pending.values()) {
    if (client.transport === 'udp') {
      const c = p.client;
      if (
        c.transport === 'udp' &&
        c.endpoint === client.endpoint &&
        c.port === client.port &&
        c.address === client.address
      ) {
        return true;
      }
    } else if (p.client === client) {
      return true;
    }
  }
  return false;
}
