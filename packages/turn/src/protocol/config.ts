/**
 * Options of the TURN core (credentials, peer policy, quotas, limits), their defaults
 * and limits, validated once (STYLE.md §6). The Node `TurnServer` takes the same
 * options plus its listeners.
 */
import { CHANNEL_NUMBER_MAX, CHANNEL_NUMBER_MAX_RFC5766 } from '@itda/stun';
import { TurnError, TurnErrorCode } from './errors.ts';

/**
 * Quotas (RFC 8656 §7.2 step 7: 486 Allocation Quota Reached). Allocations waiting for
 * their relay socket count too. Trade-offs: docs/turn.md, "Quotas".
 */
export interface TurnQuotas {
  /**
   * Allocations one user may hold at once: per static user, per TURN REST identity (itda
   * mints one per participant session). 1–100,000. Default 1,000 — a static account shared
   * by a 50-person meeting needs up to about 600 (2 peer connections × 3 TURN URLs × 2
   * network interfaces each); coturn has no per-user limit by default.
   */
  allocationsPerUser?: number;
  /**
   * Allocations one source address may hold at once — an IPv4 address, or an IPv6 /64
   * (quota.ts) — whoever the user. 1–1,000,000. Default 500: a 50-person meeting behind one
   * NAT at 10 allocations each, and 1/20 of `allocationsTotal`.
   */
  allocationsPerSource?: number;
  /**
   * Allocations the server holds at once. 1–1,000,000. Default 10,000. Keep it below the
   * number of relay ports (`maxPort - minPort + 1`, 16,384 by default), or a full range
   * answers 508 instead.
   */
  allocationsTotal?: number;
  /**
   * Relayed bytes per second per allocation, each direction counted separately, with a
   * one-second burst. Excess packets are dropped and counted. 0 (default): no limit.
   */
  bandwidthBps?: number;
  /** Permissions per allocation (508 beyond). 1–10,000. Default 500. */
  permissionsPerAllocation?: number;
  /** Channels per allocation (508 beyond). 1–4,096. Default 500. */
  channelsPerAllocation?: number;
}

/** Rate of unauthenticated error answers (401, 438, 400, 420) per source IP address. */
export interface UnauthenticatedRateLimit {
  /** Answers per second per source IP. 1–100,000. Default 50. */
  perSecond?: number;
  /** Bucket size. ≥ 1. Default 100. */
  burst?: number;
}

/** Options of the protocol core. Everything is optional; see each default. */
export interface TurnCoreOptions {
  /** REALM (RFC 8489 §14.9): fewer than 128 characters. Default 'itda'. */
  realm?: string;
  /** Static long-term credentials: user name → password (RFC 8489 §9.2). Default none. */
  users?: Record<string, string>;
  /**
   * TURN REST shared secrets; any of them verifies a REST username (`expiry:identity`),
   * so secrets can be rotated by listing the new and the old. Default none.
   */
  secrets?: string[];
  /** Allow loopback peers (127.0.0.0/8, ::1) — for tests only. Default false. */
  allowLoopbackPeers?: boolean;
  /** CIDRs (or single addresses) allowed as peers even though the default policy denies them. */
  allowedPeers?: string[];
  /** CIDRs (or single addresses) denied as peers in addition to the default policy (wins over allowedPeers). */
  deniedPeers?: string[];
  /** Quotas. */
  quotas?: TurnQuotas;
  /** SOFTWARE attribute value (RFC 8489 §14.14), fewer than 128 characters; '' sends none. Default 'itda'. */
  software?: string;
  /** How long a nonce stays valid, in seconds (then 438 Stale Nonce). 10–86,400. Default 600. */
  nonceTtlSeconds?: number;
  /** Allocation lifetime when the client asks for none or less, seconds (RFC 8656 §7.2). Default 600. */
  defaultLifetimeSeconds?: number;
  /** The longest allocation lifetime granted, seconds (RFC 8656 §7.2: 3600 recommended). Default 3600. */
  maxLifetimeSeconds?: number;
  /** Rate limit of unauthenticated error answers per source IP (no amplification). */
  unauthenticatedRate?: UnauthenticatedRateLimit;
  /**
   * Accept channel numbers of RFC 5766's older range 0x4000–0x7FFF in ChannelBind and
   * ChannelData, not only RFC 8656's 0x4000–0x4FFF. Older clients (coturn's
   * `turnutils_uclient`, and coturn itself accepts them) still bind 0x5000–0x7FFF, and a
   * TURN port multiplexes nothing else, so the wider range costs nothing. Default true.
   */
  legacyChannelNumbers?: boolean;
  /**
   * Secret of the stateless nonces (HMAC key). Default: 32 random bytes per process,
   * so nonces do not survive a restart (clients get a 438 and carry on).
   */
  nonceSecret?: Uint8Array;
  /**
   * Session-bound TURN REST identities (sessions.ts): called with the identity of a REST
   * username (`expiry:identity`) on every authenticated request; false means the session
   * it was minted for has ended, and the request gets 401 (also when it throws). Static
   * users are not asked. Default: every identity is valid until its expiry.
   */
  restIdentityActive?: (identity: string) => boolean;
  /**
   * Wall clock in milliseconds since the epoch (REST expiry, nonce expiry). Default:
   * `Date.now()` at start plus the time the core's Clock has moved since.
   */
  wallClock?: () => number;
}

/** TurnCoreOptions with every default filled in and every value checked. */
export interface ResolvedCoreOptions {
  realm: string;
  users: ReadonlyMap<string, string>;
  secrets: readonly string[];
  allowLoopbackPeers: boolean;
  allowedPeers: readonly string[];
  deniedPeers: readonly string[];
  allocationsPerUser: number;
  allocationsPerSource: number;
  allocationsTotal: number;
  bandwidthBps: number;
  permissionsPerAllocation: number;
  channelsPerAllocation: number;
  software: string;
  nonceTtlSeconds: number;
  defaultLifetimeSeconds: number;
  maxLifetimeSeconds: number;
  unauthPerSecond: number;
  unauthBurst: number;
  /** Highest channel number accepted: 0x7FFF with legacyChannelNumbers, else 0x4FFF. */
  maxChannel: number;
  nonceSecret: Uint8Array | undefined;
  restIdentityActive: ((identity: string) => boolean) | undefined;
  wallClock: (() => number) | undefined;
}

/** Default `quotas.allocationsPerUser`. */
export const DEFAULT_ALLOCATIONS_PER_USER = 1000;
/** Default `quotas.allocationsPerSource`. */
export const DEFAULT_ALLOCATIONS_PER_SOURCE = 500;
/** Default `quotas.allocationsTotal`. */
export const DEFAULT_ALLOCATIONS_TOTAL = 10_000;

function bad(message: string): TurnError {
  return new TurnError(TurnErrorCode.BadOptions, message);
}

function int(name: string, value: number | undefined, def: number, min: number, max: number): number {
  const v = value ?? def;
  if (!Number.isInteger(v) || v < min || v > max) throw bad(`${name} must be an integer ${min}-${max}, got ${v}`);
  return v;
}

/**
 * Fills in defaults and checks limits.
 * @throws TurnError turn_bad_options naming the first bad option.
 */
export function resolveCoreOptions(options: TurnCoreOptions = {}): ResolvedCoreOptions {
  const realm = options.realm ?? 'itda';
  if (typeof realm !== 'string' || realm.length === 0 || [...realm].length >= 128) {
    throw bad('realm must be 1-127 characters');
  }
  const software = options.software ?? 'itda';
  if (typeof software !== 'string' || [...software].length >= 128) throw bad('software must be < 128 characters');
  const users = new Map<string, string>();
  for (const [name, password] of Object.entries(options.users ?? {})) {
    if (name.length === 0 || typeof password !== 'string' || password.length === 0) {
      throw bad('users: every user needs a non-empty name and password');
    }
    users.set(name, password);
  }
  const secrets = [...(options.secrets ?? [])];
  for (const s of secrets) if (typeof s !== 'string' || s.length === 0) throw bad('secrets must be non-empty strings');
  const q = options.quotas ?? {};
  const bandwidthBps = q.bandwidthBps ?? 0;
  if (typeof bandwidthBps !== 'number' || !(bandwidthBps >= 0) || !Number.isFinite(bandwidthBps)) {
    throw bad('quotas.bandwidthBps must be a number >= 0');
  }
  const defaultLifetimeSeconds = int('defaultLifetimeSeconds', options.defaultLifetimeSeconds, 600, 1, 86_400);
  const maxLifetimeSeconds = int('maxLifetimeSeconds', options.maxLifetimeSeconds, 3600, 1, 86_400);
  if (maxLifetimeSeconds < defaultLifetimeSeconds) throw bad('maxLifetimeSeconds must be >= defaultLifetimeSeconds');
  const rate = options.unauthenticatedRate ?? {};
  if (options.restIdentityActive !== undefined && typeof options.restIdentityActive !== 'function') {
    throw bad('restIdentityActive must be a function');
  }
  if (options.nonceSecret !== undefined && options.nonceSecret.length < 16) {
    throw bad('nonceSecret must be at least 16 bytes');
  }
  return {
    realm,
    users,
    secrets,
    allowLoopbackPeers: options.allowLoopbackPeers === true,
    allowedPeers: [...(options.allowedPeers ?? [])],
    deniedPeers: [...(options.deniedPeers ?? [])],
    allocationsPerUser: int(
      'quotas.allocationsPerUser',
      q.allocationsPerUser,
      DEFAULT_ALLOCATIONS_PER_USER,
      1,
      100_000,
    ),
    allocationsPerSource: int(
      'quotas.allocationsPerSource',
      q.allocationsPerSource,
      DEFAULT_ALLOCATIONS_PER_SOURCE,
      1,
      1_000_000,
    ),
    allocationsTotal: int('quotas.allocationsTotal', q.allocationsTotal, DEFAULT_ALLOCATIONS_TOTAL, 1, 1_000_000),
    bandwidthBps,
    permissionsPerAllocation: int('quotas.permissionsPerAllocation', q.permissionsPerAllocation, 500, 1, 10_000),
    channelsPerAllocation: int('quotas.channelsPerAllocation', q.channelsPerAllocation, 500, 1, 4096),
    software,
    nonceTtlSeconds: int('nonceTtlSeconds', options.nonceTtlSeconds, 600, 10, 86_400),
    defaultLifetimeSeconds,
    maxLifetimeSeconds,
    unauthPerSecond: int('unauthenticatedRate.perSecond', rate.perSecond, 50, 1, 100_000),
    unauthBurst: int('unauthenticatedRate.burst', rate.burst, 100, 1, 1_000_000),
    maxChannel: options.legacyChannelNumbers === false ? CHANNEL_NUMBER_MAX : CHANNEL_NUMBER_MAX_RFC5766,
    nonceSecret: options.nonceSecret,
    restIdentityActive: options.restIdentityActive,
    wallClock: options.wallClock,
  };
}
