/**
 * Limits of the TCP listeners that strangers reach besides HTTP — the SFU's ICE-TCP port
 * and TURN's TCP and TLS listeners — and the descriptor reserve that keeps HTTP and
 * WebSocket working when those fill up (docs/server.md, "TCP connection limits"). Rows of
 * the one settings table (config.ts); `mediaTcpBudget` turns them into the budget the
 * listeners share; `tcpGuardMetricsText` renders `itda_tcp_*`.
 */
import type { Logger } from '@itda/common';
import {
  SharedConnectionBudget,
  STREAM_GUARD_DEFAULTS,
  type StreamGuard,
  type StreamGuardLimits,
} from '@itda/common/node';
import type { Setting } from './config.ts';
import { configError } from './config-error.ts';

export interface TcpLimitsConfig {
  /** Connections open at once on each media TCP listener. Default 10,000; 1–1,000,000. */
  tcpMaxConnections: number;
  /** Connections open at once from one IPv4 address or IPv6 /64, per listener. Default 128; 1–1,000,000. */
  tcpMaxPerSource: number;
  /** Deadline for a new connection to pass an ICE check or hold a TURN allocation, ms. Default 10 s; 1 s–5 min. */
  tcpHandshakeTimeoutMs: number;
  /** A connection without a byte either way this long is closed (TURN ones holding an allocation excepted), ms. Default 60 s; 1 s–1 h. */
  tcpIdleTimeoutMs: number;
  /**
   * File descriptors the media TCP listeners leave to the rest of the process (HTTP and
   * WebSocket, TURN relay sockets, files): together they hold at most the open-file limit
   * (RLIMIT_NOFILE) minus this. Unset: half the limit. 0–1,000,000.
   */
  fdReserve: number | undefined;
}

export const DEFAULT_TCP_LIMITS_CONFIG: TcpLimitsConfig = {
  tcpMaxConnections: STREAM_GUARD_DEFAULTS.maxConnections,
  tcpMaxPerSource: STREAM_GUARD_DEFAULTS.maxPerSource,
  tcpHandshakeTimeoutMs: STREAM_GUARD_DEFAULTS.handshakeTimeoutMs,
  tcpIdleTimeoutMs: STREAM_GUARD_DEFAULTS.idleTimeoutMs,
  fdReserve: undefined,
};

export const TCP_LIMIT_SETTINGS: readonly Setting<TcpLimitsConfig>[] = [
  {
    key: 'tcpMaxConnections',
    flag: 'tcp-max-connections',
    env: ['ITDA_TCP_MAX_CONNECTIONS'],
    kind: 'int',
    arg: '<n>',
    help: 'connections at once on each media TCP listener (ICE-TCP, TURN TCP, TURN TLS)',
    min: 1,
    max: 1_000_000,
  },
  {
    key: 'tcpMaxPerSource',
    flag: 'tcp-max-per-source',
    env: ['ITDA_TCP_MAX_PER_SOURCE'],
    kind: 'int',
    arg: '<n>',
    help: 'connections at once from one IPv4 address or IPv6 /64 on each media TCP listener',
    min: 1,
    max: 1_000_000,
  },
  {
    key: 'tcpHandshakeTimeoutMs',
    flag: 'tcp-handshake-timeout',
    env: ['ITDA_TCP_HANDSHAKE_TIMEOUT'],
    kind: 'duration',
    arg: '<dur>',
    help: 'close a media TCP connection with no valid ICE check / TURN allocation after this',
    min: 1_000,
    max: 300_000,
  },
  {
    key: 'tcpIdleTimeoutMs',
    flag: 'tcp-idle-timeout',
    env: ['ITDA_TCP_IDLE_TIMEOUT'],
    kind: 'duration',
    arg: '<dur>',
    help: 'close a media TCP connection silent this long (not TURN ones holding an allocation)',
    min: 1_000,
    max: 3_600_000,
  },
  {
    key: 'fdReserve',
    flag: 'fd-reserve',
    env: ['ITDA_FD_RESERVE'],
    kind: 'int',
    arg: '<n>',
    help: 'file descriptors media TCP connections leave for HTTP/WebSocket and the rest',
    min: 0,
    max: 1_000_000,
    optional: true,
    shownDefault: 'half the open-file limit',
  },
];

/** The per-listener limits for RtcServer's `tcpLimits` and TurnServer's `tcpLimits`. */
export function tcpGuardLimits(c: TcpLimitsConfig): StreamGuardLimits {
  return {
    maxConnections: c.tcpMaxConnections,
    maxPerSource: c.tcpMaxPerSource,
    handshakeTimeoutMs: c.tcpHandshakeTimeoutMs,
    idleTimeoutMs: c.tcpIdleTimeoutMs,
  };
}

/**
 * The budget all media TCP listeners of the process share: the open-file limit
 * (`fileLimit`, from `openFileLimit()`) minus
 * `fdReserve` (default half the limit). Undefined when the limit is unknown (not Linux,
 * or unlimited): then only the per-listener caps apply. Throws `invalid_config` when the
 * reserve leaves no descriptor.
 */
export function mediaTcpBudget(
  c: TcpLimitsConfig,
  log: Logger,
  fileLimit: number | undefined,
): SharedConnectionBudget | undefined {
  if (fileLimit === undefined) {
    log.info('open-file limit unknown: media TCP listeners capped per listener only', {
      tcpMaxConnections: c.tcpMaxConnections,
    });
    return undefined;
  }
  const reserve = c.fdReserve ?? Math.floor(fileLimit / 2);
  const limit = fileLimit - reserve;
  if (limit < 1) {
    throw configError(
      `fdReserve (--fd-reserve, ITDA_FD_RESERVE): ${reserve} leaves no descriptor of the open-file limit ${fileLimit} for media TCP connections`,
      { key: 'fdReserve' },
    );
  }
  log.info('media TCP connection limits', {
    openFileLimit: fileLimit,
    fdReserve: reserve,
    mediaTcpConnections: limit,
    perListener: c.tcpMaxConnections,
    perSource: c.tcpMaxPerSource,
  });
  return new SharedConnectionBudget(limit);
}

/** `itda_tcp_*` of the guarded listeners, in the Prometheus text format. */
export function tcpGuardMetricsText(guards: readonly StreamGuard[]): string {
  if (guards.length === 0) return '';
  const lines = [
    '# HELP itda_tcp_connections Open connections of each media TCP listener.',
    '# TYPE itda_tcp_connections gauge',
    ...guards.map((g) => `itda_tcp_connections{listener="${g.name}"} ${g.open}`),
    '# HELP itda_tcp_connections_refused_total Connections refused at accept by a cap, by listener and reason.',
    '# TYPE itda_tcp_connections_refused_total counter',
  ];
  for (const g of guards) {
    for (const [reason, n] of Object.entries(g.stats.refused)) {
      lines.push(`itda_tcp_connections_refused_total{listener="${g.name}",reason="${reason}"} ${n}`);
    }
  }
  lines.push(
    '# HELP itda_tcp_connections_closed_total Connections closed by a handshake or idle timeout, by listener and reason.',
    '# TYPE itda_tcp_connections_closed_total counter',
  );
  for (const g of guards) {
    for (const [reason, n] of Object.entries(g.stats.closed)) {
      lines.push(`itda_tcp_connections_closed_total{listener="${g.name}",reason="${reason}"} ${n}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
