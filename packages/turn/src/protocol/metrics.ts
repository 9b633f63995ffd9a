/**
 * Counters and gauges of the TURN server, for Prometheus. Labels are methods, results
 * and reasons — never users, addresses or allocations. Counters are plain fields so the
 * relay path only does `+= 1`.
 */

/** Why a packet was dropped without an answer. Stable label values. */
export const DropReason = {
  /** Not STUN or ChannelData, or failed to decode (truncated, bad length, bad fingerprint, …). */
  Malformed: 'malformed',
  /** An unauthenticated answer over the per-source rate limit (no amplification). */
  RateLimited: 'rate_limited',
  /** A STUN response or an indication the server does not handle. */
  Unexpected: 'unexpected',
  /** Send indication or ChannelData from a 5-tuple without an allocation. */
  NoAllocation: 'no_allocation',
  /** Send indication or peer packet with no permission for the peer's IP. */
  NoPermission: 'no_permission',
  /** Send indication to a peer the address policy forbids. */
  ForbiddenPeer: 'forbidden_peer',
  /** ChannelData on a channel that is not bound (or has expired). */
  NoChannel: 'no_channel',
  /** Over the allocation's bandwidth quota. */
  Bandwidth: 'bandwidth',
  /** An Allocate retransmitted while the relay is still being bound, or a bad Send/ChannelData. */
  Ignored: 'ignored',
  /** A TCP/TLS stream that sent an unframeable byte or an oversized frame (connection closed). */
  BadStream: 'bad_stream',
} as const;
export type DropReason = (typeof DropReason)[keyof typeof DropReason];

/** Why authentication failed. Stable label values. */
export const AuthFailure = {
  /** No MESSAGE-INTEGRITY: the normal first 401 of every client. */
  Missing: 'missing_credentials',
  /** USERNAME / USERHASH not known, REST username malformed, REALM wrong. */
  UnknownUser: 'unknown_user',
  /** A REST username whose expiry has passed. */
  Expired: 'expired',
  /** The integrity check failed (wrong password). */
  BadIntegrity: 'bad_integrity',
  /** The nonce was valid once but has expired, or is not ours (438). */
  StaleNonce: 'stale_nonce',
  /** The username is not the one that created the allocation (441). */
  WrongCredentials: 'wrong_credentials',
  /** A session-bound TURN REST identity whose session has ended (`restIdentityActive`). */
  SessionEnded: 'session_ended',
} as const;
export type AuthFailure = (typeof AuthFailure)[keyof typeof AuthFailure];

/** A point-in-time copy of every metric. */
export interface TurnMetricsSnapshot {
  /** Gauges. */
  allocations: number;
  permissions: number;
  channels: number;
  /** Open TCP and TLS client connections. */
  streams: number;
  /** Counters. */
  allocationsCreated: number;
  allocationsExpired: number;
  bytesToPeer: number;
  packetsToPeer: number;
  bytesFromPeer: number;
  packetsFromPeer: number;
  /** By reason (see AuthFailure). */
  authFailures: Record<string, number>;
  /** By reason (see DropReason). */
  dropped: Record<string, number>;
  /** By `method` (binding, allocate, …) and `result` (success or the error code). */
  requests: { method: string; result: string; count: number }[];
}

const METHOD_NAMES: Record<number, string> = {
  1: 'binding',
  3: 'allocate',
  4: 'refresh',
  8: 'create_permission',
  9: 'channel_bind',
};

/** The mutable metrics of one core. */
export class TurnMetrics {
  allocations = 0;
  permissions = 0;
  channels = 0;
  streams = 0;
  allocationsCreated = 0;
  allocationsExpired = 0;
  bytesToPeer = 0;
  packetsToPeer = 0;
  bytesFromPeer = 0;
  packetsFromPeer = 0;
  readonly #auth = new Map<string, number>();
  readonly #dropped = new Map<string, number>();
  /** Method → result ('success' or the error code) → count: no key strings on the hot path. */
  readonly #requests = new Map<number, Map<number | 'success', number>>();

  drop(reason: DropReason): void {
    this.#dropped.set(reason, (this.#dropped.get(reason) ?? 0) + 1);
  }

  authFailure(reason: AuthFailure): void {
    this.#auth.set(reason, (this.#auth.get(reason) ?? 0) + 1);
  }

  /** Counts one answered request: `result` is 'success' or the error code. */
  request(method: number, result: number | 'success'): void {
    let byResult = this.#requests.get(method);
    if (byResult === undefined) {
      byResult = new Map();
      this.#requests.set(method, byResult);
    }
    byResult.set(result, (byResult.get(result) ?? 0) + 1);
  }

  dropped(reason: DropReason): number {
    return this.#dropped.get(reason) ?? 0;
  }

  authFailures(reason: AuthFailure): number {
    return this.#auth.get(reason) ?? 0;
  }

  /** Counts by method name and result; methods without a name add up under 'other'. */
  #requestCounts(): { method: string; result: string; count: number }[] {
    const sums = new Map<string, { method: string; result: string; count: number }>();
    for (const [method, byResult] of this.#requests) {
      const name = METHOD_NAMES[method] ?? 'other';
      for (const [result, count] of byResult) {
        const key = `${name} ${result}`;
        const row = sums.get(key);
        if (row === undefined) sums.set(key, { method: name, result: `${result}`, count });
        else row.count += count;
      }
    }
    return [...sums.values()];
  }

  snapshot(): TurnMetricsSnapshot {
    return {
      allocations: this.allocations,
      permissions: this.permissions,
      channels: this.channels,
      streams: this.streams,
      allocationsCreated: this.allocationsCreated,
      allocationsExpired: this.allocationsExpired,
      bytesToPeer: this.bytesToPeer,
      packetsToPeer: this.packetsToPeer,
      bytesFromPeer: this.bytesFromPeer,
      packetsFromPeer: this.packetsFromPeer,
      authFailures: Object.fromEntries(this.#auth),
      dropped: Object.fromEntries(this.#dropped),
      requests: this.#requestCounts(),
    };
  }
}

/**
 * The snapshot in the Prometheus text exposition format 0.0.4, metric names starting
 * with `prefix` (default `itda_turn`). Ends with a newline.
 */
export function formatTurnMetrics(s: TurnMetricsSnapshot, prefix = 'itda_turn'): string {
  const out: string[] = [];
  const metric = (name: string, type: 'gauge' | 'counter', help: string, samples: [string, number][]): void => {
    out.push(`# HELP ${prefix}_${name} ${help}`, `# TYPE ${prefix}_${name} ${type}`);
    for (const [labels, value] of samples) out.push(`${prefix}_${name}${labels} ${value}`);
  };
  metric('allocations', 'gauge', 'TURN allocations open.', [['', s.allocations]]);
  metric('permissions', 'gauge', 'TURN permissions installed.', [['', s.permissions]]);
  metric('channels', 'gauge', 'TURN channels bound.', [['', s.channels]]);
  metric('streams', 'gauge', 'TCP and TLS client connections open.', [['', s.streams]]);
  metric('allocations_created_total', 'counter', 'TURN allocations created.', [['', s.allocationsCreated]]);
  metric('allocations_expired_total', 'counter', 'TURN allocations that expired.', [['', s.allocationsExpired]]);
  metric('relayed_bytes_total', 'counter', 'Application bytes relayed, by direction.', [
    ['{direction="to_peer"}', s.bytesToPeer],
    ['{direction="from_peer"}', s.bytesFromPeer],
  ]);
  metric('relayed_packets_total', 'counter', 'Packets relayed, by direction.', [
    ['{direction="to_peer"}', s.packetsToPeer],
    ['{direction="from_peer"}', s.packetsFromPeer],
  ]);
  metric(
    'auth_failures_total',
    'counter',
    'Requests that failed authentication, by reason.',
    Object.entries(s.authFailures).map(([reason, n]) => [`{reason="${reason}"}`, n]),
  );
  metric(
    'dropped_total',
    'counter',
    'Packets dropped without an answer, by reason.',
    Object.entries(s.dropped).map(([reason, n]) => [`{reason="${reason}"}`, n]),
  );
  metric(
    'requests_total',
    'counter',
    'STUN/TURN requests answered, by method and result.',
    s.requests.map((r) => [`{method="${r.method}",result="${r.result}"}`, r.count]),
  );
  return `${out.join('\n')}\n`;
}
