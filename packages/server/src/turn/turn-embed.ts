/**
 * The STUN/TURN server inside `itda serve`: a `TurnServer` (@itda/turn) on UDP and TCP
 * `turnPort` and TLS `turnTlsPort` of the same address as the HTTP server, and the ICE
 * servers provider that hands browsers its URLs with ephemeral REST credentials.
 *
 * Development defaults that make it work with no configuration:
 * - no `--turn-cert`/`--turn-key`: itda's HTTPS certificate when it has one (`--tls-cert`,
 *   `--tls self-signed`), else a self-signed certificate made at start
 *   (self-signed.ts) — browsers do not check TURN server certificates (docs/server.md);
 * - no `--turn-secret`: one random REST secret per start, kept in memory (credentials
 *   handed out before a restart stop working after it, and clients get new ones on rejoin);
 * - no `--relay-ip`: the listen address when it is a specific one; on a wildcard, each
 *   relay binds on the local address its Allocate arrived on (the client reached it).
 */
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { hostname, networkInterfaces } from 'node:os';
import { isItdaError, type Logger } from '@itda/common';
import { type SharedConnectionBudget, selfSignedCertificate, spkiSha256 } from '@itda/common/node';
import type { IceServersProvider } from '@itda/signal';
import {
  type BoundAddress,
  formatTurnMetrics,
  type ListenOptions,
  TurnServer,
  type TurnServerOptions,
} from '@itda/turn';
import type { ServerConfig } from '../config/config.ts';
import { configError, listenError, type ServerError } from '../config/config-error.ts';
import { isWildcardHost, machineNames } from '../config/hosts.ts';
import { tcpGuardLimits } from '../config/tcp-limits.ts';
import { type SharedTurnConfig, type TurnAnnounce, turnUsersRecord } from '../config/turn-settings.ts';
import { bracketHost, isSessionIdentity, restIdentity, turnIceServersProvider } from './ice-servers.ts';

/** What `/healthz` shows of TURN. */
export interface TurnHealth {
  listeners: { transport: string; host: string; port: number }[];
  /** The local addresses behind a wildcard UDP listener (one socket each; docs/turn.md). */
  udpLocalAddresses: string[];
  /** The relay address; null: each relay on the address its Allocate arrived on (wildcard `--host`, no `--relay-ip`). */
  relayIp: string | null;
  allocations: number;
}

/** The TLS listener's certificate. */
export interface TurnCertificate {
  pem: string;
  /** Made at start (no `--turn-cert`). */
  selfSigned: boolean;
  /** base64(SHA-256(SPKI)): pin it with Chromium's `--ignore-certificate-errors-spki-list` (tests). */
  spkiSha256: string;
}

/** A started embedded TURN server. */
export interface EmbeddedTurn {
  readonly server: TurnServer;
  readonly addresses: BoundAddress[];
  /** The TLS certificate, when TURN over TLS is on. */
  readonly certificate: TurnCertificate | undefined;
  /** The URL kinds `joined` carries. */
  readonly announce: readonly TurnAnnounce[];
  /** ICE servers for one participant: STUN + TURN URLs with fresh REST credentials. */
  readonly iceServersProvider: IceServersProvider;
  /** The same with credentials that live `ttlSeconds` (the web app's network check). */
  iceServersWithTtl(ttlSeconds: number): IceServersProvider;
  /**
   * A participant's session has ended: its TURN allocations are freed now (its credential
   * is refused from then on through `sessionActive`). Returns how many were freed.
   */
  endSession(participantId: string): number;
  /** `itda_turn_*` metrics in the Prometheus text format. */
  metricsText(): string;
  health(): TurnHealth;
  close(): Promise<void>;
}

/** A TurnServer failure as the CLI reports it: bad options → `invalid_config` (exit 2), else `listen_failed`. */
export function turnStartError(err: unknown): ServerError {
  const message = `cannot start TURN: ${(err as Error).message}`;
  if (isItdaError(err, 'turn_bad_options')) return configError(message);
  return listenError(`${message} (another STUN/TURN server on the port? see --turn-port, --no-turn)`, err);
}

/**
 * Creates and starts a TurnServer for the CLI: bad options → `invalid_config` (exit 2), a
 * listener that cannot bind → `listen_failed`, after closing whatever had started.
 */
export async function startTurnServer(options: TurnServerOptions): Promise<TurnServer> {
  let server: TurnServer;
  try {
    server = new TurnServer(options);
  } catch (err) {
    throw turnStartError(err);
  }
  try {
    await server.start();
  } catch (err) {
    await server.close().catch(() => {});
    throw turnStartError(err);
  }
  return server;
}

/** The relay and quota settings `itda serve` and `itda turn` share, as `TurnServerOptions`. */
export function relayAndQuotaOptions(c: SharedTurnConfig, relayIp: string | undefined): Partial<TurnServerOptions> {
  return {
    ...(relayIp === undefined ? {} : { relayIp }),
    ...(c.externalIp === undefined ? {} : { externalIp: c.externalIp }),
    minPort: c.minPort,
    maxPort: c.maxPort,
    allowLoopbackPeers: c.allowLoopbackPeers,
    quotas: { allocationsPerUser: c.userQuota, allocationsPerSource: c.sourceQuota, allocationsTotal: c.totalQuota },
  };
}

/** The first non-internal IPv4 address of this machine, if any. */
export function firstExternalIpv4(): string | undefined {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list ?? []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  return undefined;
}

/** The address TURN listens on for `--host`: an IP literal (`localhost` → 127.0.0.1); throws `invalid_config` for other names. */
export function turnListenHost(host: string): string {
  if (host === '') return '0.0.0.0';
  if (host === 'localhost') return '127.0.0.1';
  if (isIP(host) !== 0) return host;
  throw configError(`TURN listens on IP addresses: --host "${host}" is a name; pass an address or --no-turn`);
}

/**
 * `--relay-ip`, else the listen host when it is an address; undefined for a wildcard
 * host: each relay then binds on the local address its Allocate arrived on, which the
 * client has shown it can reach (docs/turn.md, "Several addresses").
 */
export function chooseRelayIp(config: Pick<ServerConfig, 'relayIp' | 'host'>): string | undefined {
  if (config.relayIp !== undefined) return config.relayIp;
  if (!isWildcardHost(config.host) && isIP(config.host) !== 0) return config.host;
  return undefined;
}

function tlsMaterial(
  config: ServerConfig,
  relayIp: string | undefined,
  log: Logger,
  shared: { cert: string; key: string; selfSigned: boolean } | undefined,
): { cert: string; key: string; selfSigned: boolean } {
  if (config.turnCert === undefined && shared !== undefined) {
    // itda's HTTPS certificate (--tls-cert, --tls self-signed): `turns:` with the same one.
    return { cert: shared.cert, key: shared.key, selfSigned: shared.selfSigned };
  }
  if (config.turnCert !== undefined && config.turnKey !== undefined) {
    try {
      const cert = readFileSync(config.turnCert, 'utf8');
      return { cert, key: readFileSync(config.turnKey, 'utf8'), selfSigned: false };
    } catch (err) {
      throw configError(`cannot read --turn-cert/--turn-key: ${(err as Error).message}`);
    }
  }
  const hosts = machineNames(
    [config.turnHost, config.externalIp, config.host],
    relayIp === undefined ? undefined : [relayIp],
  );
  const made = selfSignedCertificate({ hosts });
  log.info('TURN over TLS uses a self-signed certificate (pass --turn-cert/--turn-key for your own)', {
    fingerprint256: made.fingerprint256,
  });
  return { cert: made.cert, key: made.key, selfSigned: true };
}

/**
 * With TURN off (`--no-turn`) but `--turn-secret` and `--turn-host` (or `--external-ip`)
 * set: credentials for a TURN server elsewhere (`itda turn` or coturn with the same
 * secret), on `--turn-port` and `--turn-tls-port`. Undefined otherwise.
 */
export function remoteTurnProvider(
  config: ServerConfig,
  ttlSeconds = Math.max(1, Math.round(config.turnCredentialTtlMs / 1000)),
): IceServersProvider | undefined {
  const host = config.turnHost ?? config.externalIp;
  const secret = config.turnSecrets[0];
  if (config.turn || host === undefined || secret === undefined) return undefined;
  return turnIceServersProvider({
    ports: { udp: config.turnPort, tcp: config.turnPort, tls: config.turnTls ? config.turnTlsPort : undefined },
    announce: config.turnAnnounce ?? ['stun', 'udp', 'tcp', 'tls'],
    fixedHost: host,
    fallbackHost: host,
    secret,
    ttlSeconds,
    extra: config.iceServers,
  });
}

/**
 * Starts TURN for `itda serve`. `ephemeralPorts`: every listener on port 0 (tests).
 * Rejects with `listen_failed` (a port in use) or `invalid_config`.
 */
export async function startEmbeddedTurn(
  config: ServerConfig,
  options: {
    log: Logger;
    ephemeralPorts?: boolean;
    /**
     * Whether participant `id` still has a session (the signaling core's `hasSession`).
     * Credentials minted for a session (`isSessionIdentity`) work only while it says true.
     * Default: always true (credentials live until their expiry).
     */
    sessionActive?: (participantId: string) => boolean;
    tcpSharedBudget?: SharedConnectionBudget | undefined;
    /** itda's HTTPS certificate: TURN over TLS uses it unless `--turn-cert` is given. */
    sharedTls?: { cert: string; key: string; selfSigned: boolean } | undefined;
  },
): Promise<EmbeddedTurn> {
  const { log, sessionActive } = options;
  const host = turnListenHost(config.host);
  const relayIp = chooseRelayIp(config);
  const port = options.ephemeralPorts === true ? 0 : config.turnPort;
  const tlsPort = options.ephemeralPorts === true ? 0 : config.turnTlsPort;
  const listen: ListenOptions[] = [
    { transport: 'udp', host, port },
    { transport: 'tcp', host, port },
  ];
  let certificate: TurnCertificate | undefined;
  if (config.turnTls) {
    const { cert, key, selfSigned } = tlsMaterial(config, relayIp, log, options.sharedTls);
    certificate = { pem: cert, selfSigned, spkiSha256: spkiSha256(cert) };
    listen.push({ transport: 'tls', host, port: tlsPort, cert, key });
  }
  // Browsers check TURN server certificates (docs/server.md): no turns: URL for a self-signed one unless asked.
  const announce: TurnAnnounce[] =
    config.turnAnnounce ?? (certificate?.selfSigned === false ? ['stun', 'udp', 'tcp', 'tls'] : ['stun', 'udp', 'tcp']);
  const secrets = config.turnSecrets.length > 0 ? config.turnSecrets : [randomBytes(24).toString('base64url')];

  const server = await startTurnServer({
    realm: config.realm,
    listen,
    users: turnUsersRecord(config.turnUsers, '--turn-user'),
    secrets,
    ...relayAndQuotaOptions(config, relayIp),
    ...(sessionActive === undefined
      ? {}
      : { restIdentityActive: (id: string) => !isSessionIdentity(id) || sessionActive(id) }),
    tcpLimits: tcpGuardLimits(config),
    tcpSharedBudget: options.tcpSharedBudget,
    logger: log,
  });
  const addresses = server.addresses;
  const portOf = (t: BoundAddress['transport']): number | undefined => addresses.find((a) => a.transport === t)?.port;
  const iceServersWithTtl = (ttlSeconds: number): IceServersProvider =>
    turnIceServersProvider({
      ports: { udp: portOf('udp'), tcp: portOf('tcp'), tls: portOf('tls') },
      announce,
      fixedHost: config.turnHost ?? config.externalIp,
      fallbackHost: relayIp ?? firstExternalIpv4() ?? '127.0.0.1',
      secret: secrets[0] ?? '',
      ttlSeconds,
      extra: config.iceServers,
    });
  const iceServersProvider = iceServersWithTtl(Math.max(1, Math.round(config.turnCredentialTtlMs / 1000)));
  log.info('TURN ready', {
    addresses: addresses.map((a) => `${a.transport}:${bracketHost(a.host)}:${a.port}`),
    udpLocalAddresses: server.udpLocalAddresses.map((a) => a.host),
    relayIp: relayIp ?? 'the address each Allocate arrived on',
    externalIp: config.externalIp,
    realm: config.realm,
    announce,
    staticUsers: config.turnUsers.length,
    restSecrets: config.turnSecrets.length > 0 ? config.turnSecrets.length : 'random',
  });
  if (config.allowLoopbackPeers) log.warn('TURN relays to loopback peers (--allow-loopback-peers): tests only');

  let closing: Promise<void> | undefined;
  return {
    server,
    addresses,
    certificate,
    announce,
    iceServersProvider,
    iceServersWithTtl,
    endSession: (participantId) => server.releaseRestIdentity(restIdentity({ participantId })),
    metricsText: () => formatTurnMetrics(server.metrics),
    health: () => ({
      listeners: addresses.map(({ transport, host: h, port: p }) => ({ transport, host: h, port: p })),
      udpLocalAddresses: server.udpLocalAddresses.map((a) => a.host),
      relayIp: relayIp ?? null,
      allocations: server.metrics.allocations,
    }),
    close: () => {
      closing ??= server.close();
      return closing;
    },
  };
}
