/**
 * The TURN settings of `itda serve`: the STUN/TURN server embedded in the `itda` process
 * (UDP and TCP on `--turn-port`, TLS on `--turn-tls-port`) and the ICE servers it hands
 * to browsers in `joined`. Rows of the one settings table (config.ts), so flags,
 * environment, config file, `--help` and docs/server.md all follow them.
 */
import { isIP } from 'node:net';
import { DEFAULT_ALLOCATIONS_PER_SOURCE, DEFAULT_ALLOCATIONS_PER_USER, DEFAULT_ALLOCATIONS_TOTAL } from '@itda/turn';
import type { Setting } from './config.ts';
import { configError } from './config-error.ts';

/** Which URLs `joined.iceServers` carries: `stun:`, `turn:…?transport=udp`, `turn:…?transport=tcp`, `turns:`. */
export const TURN_ANNOUNCE = ['stun', 'udp', 'tcp', 'tls'] as const;
export type TurnAnnounce = (typeof TURN_ANNOUNCE)[number];

/** What every TURN config has, `itda serve`'s embedded one and `itda turn`'s alike. */
export interface SharedTurnConfig {
  /** REALM of the long-term credentials (RFC 8489 §9.2). Default `itda`. */
  realm: string;
  /** Local address relay sockets bind to. Unset: the listen host if it is an address, else the local address each Allocate arrived on. */
  relayIp: string | undefined;
  /** Public address announced in XOR-RELAYED-ADDRESS (and by `itda serve` in the ICE URLs): 1:1 NAT, e.g. a cloud VM. */
  externalIp: string | undefined;
  /** Relay port range, inclusive. Default 49152–65535 (RFC 8656 §7.2 recommends the dynamic range). */
  minPort: number;
  maxPort: number;
  /** Relay to loopback peers (tests on one machine). Default false: loopback is denied like every special range. */
  allowLoopbackPeers: boolean;
  /** TURN allocations per user (static user, or participant session) at once. Default 1,000; 1–100,000. */
  userQuota: number;
  /** TURN allocations per client source address (IPv4 address, IPv6 /64) at once. Default 500; 1–1,000,000. */
  sourceQuota: number;
  /** TURN allocations in total at once. Default 10,000; 1–1,000,000. */
  totalQuota: number;
}

export const DEFAULT_SHARED_TURN_CONFIG: SharedTurnConfig = {
  realm: 'itda',
  relayIp: undefined,
  externalIp: undefined,
  minPort: 49152,
  maxPort: 65535,
  allowLoopbackPeers: false,
  userQuota: DEFAULT_ALLOCATIONS_PER_USER,
  sourceQuota: DEFAULT_ALLOCATIONS_PER_SOURCE,
  totalQuota: DEFAULT_ALLOCATIONS_TOTAL,
};

export interface EmbeddedTurnConfig extends SharedTurnConfig {
  /** Run the STUN/TURN server in this process. Default true (`startServer`: false unless asked). */
  turn: boolean;
  /** UDP and TCP port for STUN/TURN. Default 3478 (RFC 8656 §4). */
  turnPort: number;
  /** TURN over TLS. Default true: with `turnCert`/`turnKey`, or a self-signed certificate made at start. */
  turnTls: boolean;
  /** TLS port. Default 5349 (RFC 8656 §4). */
  turnTlsPort: number;
  /** PEM certificate (chain) file for TURN over TLS. Unset: self-signed at start. */
  turnCert: string | undefined;
  /** PEM private key file for `turnCert`. */
  turnKey: string | undefined;
  /** Static long-term users, `name:password`. Default none. */
  turnUsers: string[];
  /** TURN REST shared secrets (any verifies, the first signs). Unset: one random secret per start. */
  turnSecrets: string[];
  /** Host name in the ICE URLs. Unset: `externalIp`, else the host the browser used to reach the page. */
  turnHost: string | undefined;
  /** Lifetime of the ephemeral TURN credentials in `joined`, ms. Default 12 h. */
  turnCredentialTtlMs: number;
  /**
   * URLs handed to browsers. Unset (default): `stun`, `udp`, `tcp`, and `tls` only with
   * `turnCert` — browsers refuse a self-signed TURN certificate, so a `turns:` URL
   * for one would only cost them a failed TLS handshake.
   */
  turnAnnounce: TurnAnnounce[] | undefined;
}

export const DEFAULT_EMBEDDED_TURN_CONFIG: EmbeddedTurnConfig = {
  ...DEFAULT_SHARED_TURN_CONFIG,
  turn: true,
  turnPort: 3478,
  turnTls: true,
  turnTlsPort: 5349,
  turnCert: undefined,
  turnKey: undefined,
  turnUsers: [],
  turnSecrets: [],
  turnHost: undefined,
  turnCredentialTtlMs: 12 * 3_600_000,
  turnAnnounce: undefined,
};

// Typed against EmbeddedTurnConfig; config.ts spreads them into the ServerConfig table.
/** Keys every TURN config (`itda serve`'s embedded one and `itda turn`'s) has. */
type SharedTurnKeys = keyof SharedTurnConfig;

/** `--realm`, the same for `itda serve` and `itda turn`. */
export const REALM_SETTING: Setting<Record<SharedTurnKeys, unknown>> = {
  key: 'realm',
  flag: 'realm',
  env: ['ITDA_TURN_REALM'],
  kind: 'string',
  arg: '<realm>',
  help: 'TURN realm',
};

/** Relay port range and the loopback-peer switch, the same for `itda serve` and `itda turn`. */
export const RELAY_PORT_SETTINGS: readonly Setting<Record<SharedTurnKeys, unknown>>[] = [
  {
    key: 'minPort',
    flag: 'min-port',
    env: ['ITDA_TURN_MIN_PORT'],
    kind: 'port',
    arg: '<n>',
    help: 'lowest relay port',
  },
  {
    key: 'maxPort',
    flag: 'max-port',
    env: ['ITDA_TURN_MAX_PORT'],
    kind: 'port',
    arg: '<n>',
    help: 'highest relay port',
  },
  {
    key: 'allowLoopbackPeers',
    flag: 'allow-loopback-peers',
    env: ['ITDA_ALLOW_LOOPBACK_PEERS'],
    kind: 'bool',
    arg: '',
    help: 'let TURN relay to 127.0.0.0/8 and ::1 (tests on one machine only)',
  },
];

/**
 * Allocation quotas (486 beyond; RFC 8656 §7.2), the same for `itda serve` and `itda turn`
 * (coturn's `--user-quota` and `--total-quota`, plus one per source address). Trade-offs:
 * docs/turn.md, "Quotas".
 */
export const QUOTA_SETTINGS: readonly Setting<Record<SharedTurnKeys, unknown>>[] = [
  {
    key: 'userQuota',
    flag: 'user-quota',
    env: ['ITDA_TURN_USER_QUOTA'],
    kind: 'int',
    arg: '<n>',
    help: 'TURN allocations one user (static user, or participant session) may hold',
    min: 1,
    max: 100_000,
  },
  {
    key: 'sourceQuota',
    flag: 'source-quota',
    env: ['ITDA_TURN_SOURCE_QUOTA'],
    kind: 'int',
    arg: '<n>',
    help: 'TURN allocations one client address (IPv4, or IPv6 /64) may hold',
    min: 1,
    max: 1_000_000,
  },
  {
    key: 'totalQuota',
    flag: 'total-quota',
    env: ['ITDA_TURN_TOTAL_QUOTA'],
    kind: 'int',
    arg: '<n>',
    help: 'TURN allocations the server holds in all',
    min: 1,
    max: 1_000_000,
  },
];

export const TURN_SERVE_SETTINGS: readonly Setting<EmbeddedTurnConfig>[] = [
  {
    key: 'turn',
    flag: 'turn',
    env: ['ITDA_TURN'],
    kind: 'bool',
    arg: '',
    help: 'run the STUN/TURN server (--no-turn: off)',
  },
  {
    key: 'turnPort',
    flag: 'turn-port',
    env: ['ITDA_TURN_PORT'],
    kind: 'port',
    arg: '<n>',
    help: 'STUN/TURN port, UDP and TCP (same address as --host)',
  },
  {
    key: 'turnTls',
    flag: 'turn-tls',
    env: ['ITDA_TURN_TLS'],
    kind: 'bool',
    arg: '',
    help: 'TURN over TLS (--no-turn-tls: off)',
  },
  {
    key: 'turnTlsPort',
    flag: 'turn-tls-port',
    env: ['ITDA_TURN_TLS_PORT'],
    kind: 'port',
    arg: '<n>',
    help: 'TURN over TLS port',
  },
  {
    key: 'turnCert',
    flag: 'turn-cert',
    env: ['ITDA_TURN_CERT'],
    kind: 'string',
    arg: '<file.pem>',
    help: 'TLS certificate (chain) for TURN over TLS',
    shownDefault: 'self-signed',
    optional: true,
  },
  {
    key: 'turnKey',
    flag: 'turn-key',
    env: ['ITDA_TURN_KEY'],
    kind: 'string',
    arg: '<file.pem>',
    help: 'private key of --turn-cert',
    shownDefault: 'self-signed',
    optional: true,
  },
  REALM_SETTING,
  {
    key: 'turnUsers',
    flag: 'turn-user',
    env: ['ITDA_TURN_USERS'],
    kind: 'list',
    arg: '<name:password>',
    help: 'static TURN user; repeatable (env: comma-separated)',
    shownDefault: 'none',
  },
  {
    key: 'turnSecrets',
    flag: 'turn-secret',
    env: ['ITDA_TURN_SECRET'],
    kind: 'list',
    arg: '<secret>',
    help: 'TURN REST shared secret; repeat to rotate, the first signs',
    shownDefault: 'random per start',
  },
  {
    key: 'relayIp',
    flag: 'relay-ip',
    env: ['ITDA_RELAY_IP'],
    kind: 'string',
    arg: '<ip>',
    help: 'address relay sockets bind to',
    shownDefault: '--host, or the address asked',
    optional: true,
  },
  {
    key: 'externalIp',
    flag: 'external-ip',
    env: ['ITDA_EXTERNAL_IP'],
    kind: 'string',
    arg: '<ip>',
    help: 'public address of the relay (behind 1:1 NAT); also the host in ICE URLs',
    shownDefault: 'none',
    optional: true,
  },
  {
    key: 'turnHost',
    flag: 'turn-host',
    env: ['ITDA_TURN_HOST'],
    kind: 'string',
    arg: '<host>',
    help: 'host name in the STUN/TURN URLs given to browsers',
    shownDefault: 'page host',
    optional: true,
  },
  ...RELAY_PORT_SETTINGS,
  ...QUOTA_SETTINGS,
  {
    key: 'turnCredentialTtlMs',
    flag: 'turn-credential-ttl',
    env: ['ITDA_TURN_CREDENTIAL_TTL'],
    kind: 'duration',
    arg: '<dur>',
    help: 'lifetime of the TURN credentials handed to browsers',
    min: 60_000,
    max: 7 * 86_400_000,
  },
  {
    key: 'turnAnnounce',
    flag: 'turn-announce',
    env: ['ITDA_TURN_ANNOUNCE'],
    kind: 'list',
    arg: '<kinds>',
    help: 'ICE URLs handed to browsers: stun, udp, tcp, tls (comma-separated)',
    shownDefault: 'stun,udp,tcp (+tls with --turn-cert)',
    splitItems: true,
    optional: true,
  },
];

/** A `name:password` static user, split at the first `:`. */
export function parseTurnUser(entry: string): { name: string; password: string } | undefined {
  const i = entry.indexOf(':');
  if (i <= 0 || i === entry.length - 1) return undefined;
  return { name: entry.slice(0, i), password: entry.slice(i + 1) };
}

/** Users as the TurnServer takes them, `{ name: password }`; throws `invalid_config` naming a bad entry. */
export function turnUsersRecord(entries: readonly string[], source: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of entries) {
    const user = parseTurnUser(entry);
    if (user === undefined) throw configError(`${source}: users are name:password, got "${entry.split(':')[0]}:…"`);
    out[user.name] = user.password;
  }
  return out;
}

/** RFC 1123 host names and IP literals (brackets allowed around IPv6). */
export function isHostName(host: string): boolean {
  const bare = host.replace(/^\[(.*)\]$/, '$1');
  if (isIP(bare) !== 0) return true;
  return host.length <= 253 && /^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*\.?$/.test(host);
}

/** Cross-field rules of the TURN settings; throws `invalid_config`. */
export function validateEmbeddedTurn(c: EmbeddedTurnConfig): void {
  if ((c.turnCert === undefined) !== (c.turnKey === undefined)) {
    throw configError('--turn-cert and --turn-key go together (ITDA_TURN_CERT, ITDA_TURN_KEY)');
  }
  if (c.minPort > c.maxPort) throw configError('--min-port must not be above --max-port');
  for (const [name, ip] of [
    ['--relay-ip', c.relayIp],
    ['--external-ip', c.externalIp],
  ] as const) {
    if (ip !== undefined && isIP(ip) === 0) throw configError(`${name} must be an IP address, got "${ip}"`);
  }
  if (c.turnHost !== undefined && !isHostName(c.turnHost)) {
    throw configError(`--turn-host must be a host name or IP address, got "${c.turnHost}"`);
  }
  turnUsersRecord(c.turnUsers, '--turn-user');
  for (const kind of c.turnAnnounce ?? []) {
    if (!(TURN_ANNOUNCE as readonly string[]).includes(kind)) {
      throw configError(`--turn-announce: "${kind}" is not one of ${TURN_ANNOUNCE.join(', ')}`);
    }
  }
}
