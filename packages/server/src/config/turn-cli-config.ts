/**
 * Settings of the standalone `itda turn` command (STUN/TURN only, no web app or
 * signaling): one table, read like `itda serve`'s — flags > environment > config file
 * (`--config` or `ITDA_TURN_CONFIG`) > defaults — and validated once.
 */
import { isIP } from 'node:net';
import type { LogLevel } from '@itda/common';
import { type HostPort, type Setting, validateSettings } from './config.ts';
import { configError } from './config-error.ts';
import type { ConfigSpec } from './load-config.ts';
import {
  DEFAULT_SHARED_TURN_CONFIG,
  QUOTA_SETTINGS,
  REALM_SETTING,
  RELAY_PORT_SETTINGS,
  type SharedTurnConfig,
  turnUsersRecord,
} from './turn-settings.ts';

export interface TurnCliConfig extends SharedTurnConfig {
  /** UDP and TCP listeners. Default `0.0.0.0:3478`. */
  listen: HostPort[];
  /** TLS listeners. Default none. */
  tlsListen: HostPort[];
  /** PEM certificate (chain) file for the TLS listeners. Unset: self-signed at start. */
  cert: string | undefined;
  key: string | undefined;
  /** `name:password` static users. */
  users: string[];
  /** TURN REST shared secrets (any verifies). */
  secrets: string[];
  /** Peers allowed despite the default deny policy (CIDRs). */
  allowedPeers: string[];
  /** Peers denied in addition to the default policy (CIDRs). */
  deniedPeers: string[];
  /** RFC 5780 NAT behaviour discovery: the second IP address (off when unset). */
  rfc5780: string | undefined;
  /** HTTP listener for GET /metrics and GET /healthz. Default none. */
  metricsListen: HostPort[];
  logLevel: LogLevel;
}

export const DEFAULT_TURN_CLI_CONFIG: TurnCliConfig = {
  ...DEFAULT_SHARED_TURN_CONFIG,
  listen: [{ host: '0.0.0.0', port: 3478 }],
  tlsListen: [],
  cert: undefined,
  key: undefined,
  users: [],
  secrets: [],
  allowedPeers: [],
  deniedPeers: [],
  rfc5780: undefined,
  metricsListen: [],
  logLevel: 'info',
};

export const TURN_CLI_SETTINGS: readonly Setting<TurnCliConfig>[] = [
  {
    key: 'listen',
    flag: 'listen',
    env: ['ITDA_TURN_LISTEN'],
    kind: 'hostport',
    arg: '<host:port>',
    help: 'UDP and TCP listener; repeatable',
    shownDefault: '0.0.0.0:3478',
  },
  {
    key: 'tlsListen',
    flag: 'tls-listen',
    env: ['ITDA_TURN_TLS_LISTEN'],
    kind: 'hostport',
    arg: '<host:port>',
    help: 'TLS listener (standard port 5349, or 443); repeatable',
    shownDefault: 'none',
  },
  {
    key: 'cert',
    flag: 'cert',
    env: ['ITDA_TURN_CERT'],
    kind: 'string',
    arg: '<file.pem>',
    help: 'TLS certificate (chain)',
    shownDefault: 'self-signed',
    optional: true,
  },
  {
    key: 'key',
    flag: 'key',
    env: ['ITDA_TURN_KEY'],
    kind: 'string',
    arg: '<file.pem>',
    help: 'private key of --cert',
    shownDefault: 'self-signed',
    optional: true,
  },
  REALM_SETTING,
  {
    key: 'users',
    flag: 'user',
    env: ['ITDA_TURN_USERS'],
    kind: 'list',
    arg: '<name:password>',
    help: 'static long-term user; repeatable (env: comma-separated)',
    shownDefault: 'none',
  },
  {
    key: 'secrets',
    flag: 'secret',
    env: ['ITDA_TURN_SECRET'],
    kind: 'list',
    arg: '<secret>',
    help: 'TURN REST shared secret; repeatable, any verifies (rotation)',
    shownDefault: 'none',
  },
  {
    key: 'relayIp',
    flag: 'relay-ip',
    env: ['ITDA_RELAY_IP'],
    kind: 'string',
    arg: '<ip>',
    help: 'address relay sockets bind to',
    shownDefault: 'listen host, or the address asked',
    optional: true,
  },
  {
    key: 'externalIp',
    flag: 'external-ip',
    env: ['ITDA_EXTERNAL_IP'],
    kind: 'string',
    arg: '<ip>',
    help: 'public address announced for relays (behind 1:1 NAT)',
    shownDefault: 'none',
    optional: true,
  },
  ...RELAY_PORT_SETTINGS,
  ...QUOTA_SETTINGS,
  {
    key: 'allowedPeers',
    flag: 'allowed-peer',
    env: ['ITDA_TURN_ALLOWED_PEERS'],
    kind: 'list',
    arg: '<cidr>',
    help: 'peer range allowed although denied by default (e.g. 10.0.0.0/8); repeatable',
    shownDefault: 'none',
  },
  {
    key: 'deniedPeers',
    flag: 'denied-peer',
    env: ['ITDA_TURN_DENIED_PEERS'],
    kind: 'list',
    arg: '<cidr>',
    help: 'peer range denied in addition (wins over --allowed-peer); repeatable',
    shownDefault: 'none',
  },
  {
    key: 'rfc5780',
    flag: 'rfc5780',
    env: ['ITDA_TURN_RFC5780'],
    kind: 'string',
    arg: '<second-ip>',
    help: 'NAT behaviour discovery (RFC 5780) with this second address',
    shownDefault: 'off',
    optional: true,
  },
  {
    key: 'metricsListen',
    flag: 'metrics-listen',
    env: ['ITDA_TURN_METRICS_LISTEN'],
    kind: 'hostport',
    arg: '<host:port>',
    help: 'HTTP for GET /metrics (Prometheus) and GET /healthz',
    shownDefault: 'none',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: ['ITDA_LOG_LEVEL'],
    kind: 'level',
    arg: '<level>',
    help: 'debug, info, warn or error',
  },
];

/** Checks a complete `itda turn` config; throws `invalid_config` naming the setting. */
export function validateTurnCliConfig(c: TurnCliConfig): TurnCliConfig {
  validateSettings(TURN_CLI_SETTINGS, c);
  if (c.listen.length + c.tlsListen.length === 0)
    throw configError('nothing to listen on: give --listen or --tls-listen');
  if (c.listen.length + c.tlsListen.length > 32) throw configError('at most 32 listeners');
  if ((c.cert === undefined) !== (c.key === undefined)) throw configError('--cert and --key go together');
  if (c.minPort > c.maxPort) throw configError('--min-port must not be above --max-port');
  if (c.metricsListen.length > 1) throw configError('--metrics-listen takes one host:port');
  for (const [name, ip] of [
    ['--relay-ip', c.relayIp],
    ['--external-ip', c.externalIp],
    ['--rfc5780', c.rfc5780],
  ] as const) {
    if (ip !== undefined && isIP(ip) === 0) throw configError(`${name} must be an IP address, got "${ip}"`);
  }
  for (const hp of [...c.listen, ...c.tlsListen]) {
    if (isIP(hp.host) === 0) throw configError(`listen addresses must be IP addresses, got "${hp.host}"`);
  }
  turnUsersRecord(c.users, '--user');
  return c;
}

export const TURN_CLI_SPEC: ConfigSpec<TurnCliConfig> = {
  settings: TURN_CLI_SETTINGS,
  defaults: DEFAULT_TURN_CLI_CONFIG,
  validate: validateTurnCliConfig,
  configEnv: 'ITDA_TURN_CONFIG',
};
