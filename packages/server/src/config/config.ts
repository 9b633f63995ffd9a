/**
 * The server's settings: one table (`SETTINGS`) gives each its config-file key, flag,
 * environment variables, default and help; the CLI, the help text and docs/server.md
 * follow it. `validateServerConfig` checks a complete config once, at start, and throws
 * `invalid_config` naming the bad setting.
 */
import { fileURLToPath } from 'node:url';
import type { LogLevel } from '@itda/common';
import { DEFAULT_LIMITS, type IceServer } from '@itda/protocol';
import { validateFrameAncestors } from '../http/security-headers.ts';
import { configError } from './config-error.ts';
import { parseDuration } from './duration.ts';
import {
  DEFAULT_EMBEDDED_SFU_CONFIG,
  type EmbeddedSfuConfig,
  SFU_SERVE_SETTINGS,
  validateEmbeddedSfu,
} from './sfu-settings.ts';
import { DEFAULT_TCP_LIMITS_CONFIG, TCP_LIMIT_SETTINGS, type TcpLimitsConfig } from './tcp-limits.ts';
import { DEFAULT_TLS_CONFIG, TLS_SETTINGS, type TlsConfig, validateTls } from './tls-settings.ts';
import {
  DEFAULT_EMBEDDED_TURN_CONFIG,
  type EmbeddedTurnConfig,
  TURN_SERVE_SETTINGS,
  validateEmbeddedTurn,
} from './turn-settings.ts';

/** The `itda serve` settings; the TURN ones (`turn…`, `realm`, `relayIp`, …) are in EmbeddedTurnConfig. */
export interface ServerConfig extends EmbeddedTurnConfig, EmbeddedSfuConfig, TcpLimitsConfig, TlsConfig {
  /** TCP port for HTTP and WebSocket. 0 picks a free port. Default 8080. */
  port: number;
  /** Address to listen on. Default `0.0.0.0`. */
  host: string;
  logLevel: LogLevel;
  /** `banner` (default): a plain-words start banner, then JSON log lines. `json`: only the JSON lines. */
  logFormat: 'banner' | 'json';
  /** Joins without a token; rooms created on join. Default true. */
  openRooms: boolean;
  /** Whoever joins without a token a room that has no host present hosts it (mute, remove, lock, lobby). Default true. */
  firstJoinerHost: boolean;
  /** HS256 secrets for room tokens: any verifies, the first signs. */
  jwtSecrets: string[];
  /** Bearer key for the room API. Unset: API open when open rooms are on, disabled otherwise. */
  apiKey: string | undefined;
  roomCapacity: number;
  /**
   * Mode of rooms created by a join or by `POST /api/rooms` without a mode: `p2p` or
   * `sfu`. Unset: `sfu` when the server runs an SFU, else `p2p`.
   */
  roomMode: 'p2p' | 'sfu' | undefined;
  /** Participants per `sfu` room (rooms may set their own). Default 50. */
  sfuRoomCapacity: number;
  maxMessageBytes: number;
  /** Messages per second per connection (token bucket refill). */
  rate: number;
  rateBurst: number;
  /** A room's `data` relay budget, payload characters per second (docs/signaling.md). Default 1 MiB/s. */
  roomDataBytesPerSecond: number;
  /** Its size, payload characters. Default 2 MiB. */
  roomDataBurstBytes: number;
  /** Bytes per second of SDP-carrying messages per connection (SDP budget refill). Default 256 KiB. */
  sdpRate: number;
  /** SDP budget size, bytes. Unset: 1 MiB, or 3 × `maxMessageBytes` when larger. */
  sdpBurst: number | undefined;
  resumeGraceMs: number;
  emptyRoomGraceMs: number;
  heartbeatIntervalMs: number;
  heartbeatTimeoutMs: number;
  iceServers: IceServer[];
  /** Directory of the built web app. Default `apps/web/dist` of this repository. */
  webDir: string;
  /** Largest HTTP request body, bytes. Default 16 KiB. */
  maxBodyBytes: number;
  /**
   * Who may show the web app in a frame: CSP `frame-ancestors` sources, each `'self'` or
   * an origin like `https://intranet.example.com` (security-headers.ts). Default none:
   * `frame-ancestors 'none'` and `X-Frame-Options: DENY`.
   */
  frameAncestors: string[];
}

export const DEFAULT_WEB_DIR = fileURLToPath(new URL('../../../../apps/web/dist', import.meta.url));

export const DEFAULT_SERVER_CONFIG: ServerConfig = {
  port: 8080,
  host: '0.0.0.0',
  logLevel: 'info',
  logFormat: 'banner',
  openRooms: true,
  firstJoinerHost: true,
  jwtSecrets: [],
  apiKey: undefined,
  roomCapacity: DEFAULT_LIMITS.roomCapacity,
  roomMode: undefined,
  sfuRoomCapacity: DEFAULT_LIMITS.sfuRoomCapacity,
  maxMessageBytes: DEFAULT_LIMITS.maxMessageBytes,
  rate: DEFAULT_LIMITS.ratePerSecond,
  rateBurst: DEFAULT_LIMITS.rateBurst,
  roomDataBytesPerSecond: 1024 * 1024,
  roomDataBurstBytes: 2 * 1024 * 1024,
  sdpRate: DEFAULT_LIMITS.sdpBytesPerSecond,
  sdpBurst: undefined,
  resumeGraceMs: DEFAULT_LIMITS.resumeGraceMs,
  emptyRoomGraceMs: DEFAULT_LIMITS.emptyRoomGraceMs,
  heartbeatIntervalMs: DEFAULT_LIMITS.heartbeatIntervalMs,
  heartbeatTimeoutMs: DEFAULT_LIMITS.heartbeatTimeoutMs,
  iceServers: [],
  webDir: DEFAULT_WEB_DIR,
  maxBodyBytes: 16 * 1024,
  frameAncestors: [],
  ...DEFAULT_EMBEDDED_TURN_CONFIG,
  ...DEFAULT_EMBEDDED_SFU_CONFIG,
  ...DEFAULT_TCP_LIMITS_CONFIG,
  ...DEFAULT_TLS_CONFIG,
};

/** How a setting's text (flag, env) or JSON value (file) is read. */
export type SettingKind =
  | 'port'
  | 'int'
  | 'number'
  | 'string'
  | 'bool'
  | 'list'
  | 'duration'
  | 'level'
  | 'ice'
  | 'hostport';

/** One `host:port` of a listen setting (`[::1]:3478` for IPv6). */
export interface HostPort {
  host: string;
  port: number;
}

/** One setting of a config type `C` (ServerConfig for `itda serve`, TurnCliConfig for `itda turn`). */
export interface Setting<C = ServerConfig> {
  key: keyof C & string;
  /** Flag name without `--`. */
  flag: string;
  /** Environment variables, first set wins. */
  env: string[];
  kind: SettingKind;
  /** Placeholder in help, e.g. `<n>`. */
  arg: string;
  help: string;
  /** Inclusive range for numbers and durations (ms). */
  min?: number;
  max?: number;
  /** Default as shown in help, when the value itself does not say it well. */
  shownDefault?: string;
  /** The setting may be left unset (`undefined`). */
  optional?: boolean;
  /** A list whose flag values are comma-separated too (`--turn-announce udp,tls`). */
  splitItems?: boolean;
}

const DAY = 86_400_000;

export const SETTINGS: readonly Setting[] = [
  {
    key: 'port',
    flag: 'port',
    env: ['PORT', 'ITDA_PORT'],
    kind: 'port',
    arg: '<n>',
    help: 'HTTP and WebSocket port (0: any free port)',
  },
  {
    key: 'host',
    flag: 'host',
    env: ['HOST', 'ITDA_HOST'],
    kind: 'string',
    arg: '<addr>',
    help: 'address to listen on',
  },
  {
    key: 'logLevel',
    flag: 'log-level',
    env: ['ITDA_LOG_LEVEL'],
    kind: 'level',
    arg: '<level>',
    help: 'debug, info, warn or error',
  },
  {
    key: 'logFormat',
    flag: 'log-format',
    env: ['ITDA_LOG_FORMAT'],
    kind: 'string',
    arg: '<format>',
    help: 'banner: a start banner in plain words, then JSON log lines; json: only the JSON lines',
  },
  {
    key: 'openRooms',
    flag: 'open-rooms',
    env: ['ITDA_OPEN_ROOMS'],
    kind: 'bool',
    arg: '',
    help: 'allow joins without a token (--no-open-rooms: tokens required)',
  },
  {
    key: 'firstJoinerHost',
    flag: 'first-joiner-host',
    env: ['ITDA_FIRST_JOINER_HOST'],
    kind: 'bool',
    arg: '',
    help: 'in open rooms the first to join a room without a host hosts it (--no-first-joiner-host: only --admin tokens host)',
  },
  {
    key: 'jwtSecrets',
    flag: 'jwt-secret',
    env: ['ITDA_JWT_SECRET'],
    kind: 'list',
    arg: '<secret>',
    help: 'HS256 secret for room tokens; repeat to rotate (env: comma-separated); the first signs',
    shownDefault: 'none',
  },
  {
    key: 'apiKey',
    flag: 'api-key',
    env: ['ITDA_API_KEY'],
    kind: 'string',
    arg: '<key>',
    help: 'require "Authorization: Bearer <key>" on /api',
    shownDefault: 'none',
    optional: true,
  },
  {
    key: 'roomCapacity',
    flag: 'room-capacity',
    env: ['ITDA_ROOM_CAPACITY'],
    kind: 'int',
    arg: '<n>',
    help: 'participants per p2p room (rooms may set their own)',
    min: 1,
    max: 1000,
  },
  {
    key: 'roomMode',
    flag: 'room-mode',
    env: ['ITDA_ROOM_MODE'],
    kind: 'string',
    arg: 'p2p|sfu',
    help: 'mode of rooms created by a join or by the API without a mode',
    shownDefault: 'sfu when the SFU runs, else p2p',
    optional: true,
  },
  {
    key: 'sfuRoomCapacity',
    flag: 'sfu-room-capacity',
    env: ['ITDA_SFU_ROOM_CAPACITY'],
    kind: 'int',
    arg: '<n>',
    help: 'participants per sfu room (rooms may set their own)',
    min: 1,
    max: 1000,
  },
  {
    key: 'maxMessageBytes',
    flag: 'max-message-bytes',
    env: ['ITDA_MAX_MESSAGE_BYTES'],
    kind: 'int',
    arg: '<n>',
    help: 'largest signaling message; frames over 4× are closed with 1009',
    min: 1024,
    max: 16 * 1024 * 1024,
  },
  {
    key: 'rate',
    flag: 'rate',
    env: ['ITDA_RATE'],
    kind: 'number',
    arg: '<n>',
    help: 'messages per second per connection (token bucket refill)',
    min: 0.1,
    max: 100_000,
  },
  {
    key: 'rateBurst',
    flag: 'rate-burst',
    env: ['ITDA_RATE_BURST'],
    kind: 'int',
    arg: '<n>',
    help: 'messages a connection may send at once (bucket size)',
    min: 1,
    max: 1_000_000,
  },
  {
    key: 'roomDataBytesPerSecond',
    flag: 'room-data-rate',
    env: ['ITDA_ROOM_DATA_RATE'],
    kind: 'int',
    arg: '<n>',
    help: 'data relay budget of a room, payload characters per second (what one member can be sent)',
    min: 1024,
    max: 1024 * 1024 * 1024,
  },
  {
    key: 'sdpRate',
    flag: 'sdp-rate',
    env: ['ITDA_SDP_RATE'],
    kind: 'int',
    arg: '<bytes>',
    help: 'bytes per second of SDP (publish, subscribed, offer, answer) per connection, on top of --rate',
    min: 1024,
    max: 1024 * 1024 * 1024,
  },
  {
    key: 'roomDataBurstBytes',
    flag: 'room-data-burst',
    env: ['ITDA_ROOM_DATA_BURST'],
    kind: 'int',
    arg: '<n>',
    help: 'size of a room’s data relay budget, payload characters',
    min: 49_152,
    max: 1024 * 1024 * 1024,
  },
  {
    key: 'sdpBurst',
    flag: 'sdp-burst',
    env: ['ITDA_SDP_BURST'],
    kind: 'int',
    arg: '<bytes>',
    help: 'SDP bytes a connection may send at once; at least 3 × --max-message-bytes',
    shownDefault: '1048576, or 3 × --max-message-bytes when larger',
    min: 1024,
    max: 1024 * 1024 * 1024,
    optional: true,
  },
  {
    key: 'resumeGraceMs',
    flag: 'resume-grace',
    env: ['ITDA_RESUME_GRACE'],
    kind: 'duration',
    arg: '<dur>',
    help: 'how long a dropped participant keeps its place for resume',
    min: 0,
    max: DAY,
  },
  {
    key: 'emptyRoomGraceMs',
    flag: 'empty-room-grace',
    env: ['ITDA_EMPTY_ROOM_GRACE'],
    kind: 'duration',
    arg: '<dur>',
    help: 'how long an empty room (created by a join) lives',
    min: 0,
    max: DAY,
  },
  {
    key: 'heartbeatIntervalMs',
    flag: 'heartbeat-interval',
    env: ['ITDA_HEARTBEAT_INTERVAL'],
    kind: 'duration',
    arg: '<dur>',
    help: 'ping interval announced to clients',
    min: 10,
    max: DAY,
  },
  {
    key: 'heartbeatTimeoutMs',
    flag: 'heartbeat-timeout',
    env: ['ITDA_HEARTBEAT_TIMEOUT'],
    kind: 'duration',
    arg: '<dur>',
    help: 'silence after which a connection is closed (4002)',
    min: 10,
    max: DAY,
  },
  {
    key: 'iceServers',
    flag: 'ice-server',
    env: ['ITDA_ICE_SERVERS'],
    kind: 'ice',
    arg: '<url>',
    help: 'STUN/TURN URL given to clients; repeatable (env: comma-separated)',
    shownDefault: 'none',
  },
  {
    key: 'webDir',
    flag: 'web-dir',
    env: ['ITDA_WEB_DIR'],
    kind: 'string',
    arg: '<dir>',
    help: 'directory of the built web app',
    shownDefault: 'apps/web/dist',
  },
  {
    key: 'maxBodyBytes',
    flag: 'max-body-bytes',
    env: ['ITDA_MAX_BODY_BYTES'],
    kind: 'int',
    arg: '<n>',
    help: 'largest HTTP request body (413 beyond)',
    min: 256,
    max: 16 * 1024 * 1024,
  },
  {
    key: 'frameAncestors',
    flag: 'frame-ancestor',
    env: ['ITDA_FRAME_ANCESTORS'],
    kind: 'list',
    arg: '<origin>',
    help: "origin that may frame the web app (CSP frame-ancestors), or 'self'; repeatable (env: comma-separated)",
    shownDefault: 'none',
  },
  ...TLS_SETTINGS,
  ...TURN_SERVE_SETTINGS,
  ...SFU_SERVE_SETTINGS,
  ...TCP_LIMIT_SETTINGS,
];

const LOG_LEVELS: readonly string[] = ['debug', 'info', 'warn', 'error'];

export { configError } from './config-error.ts';

/** Where a value came from, for error messages: `--port`, `PORT`, `config.json: port`. */
export type Source = string;

/**
 * Reads one setting from flag/env text or a config-file JSON value. Throws
 * `invalid_config` naming `source`.
 */
export function coerceSetting<C>(s: Setting<C>, value: unknown, source: Source): unknown {
  const bad = (why: string): never => {
    throw configError(`${source}: ${why}, got ${JSON.stringify(value)}`, { key: s.key });
  };
  const text = typeof value === 'string' ? value.trim() : undefined;
  switch (s.kind) {
    case 'port':
    case 'int':
    case 'number': {
      const n = typeof value === 'number' ? value : text !== undefined && text !== '' ? Number(text) : Number.NaN;
      if (!Number.isFinite(n)) return bad('must be a number');
      if (s.kind !== 'number' && !Number.isInteger(n)) return bad('must be an integer');
      const [min, max] = s.kind === 'port' ? [0, 65535] : [s.min ?? -Infinity, s.max ?? Infinity];
      if (n < min || n > max) return bad(`must be from ${min} to ${max}`);
      return n;
    }
    case 'duration': {
      const ms = typeof value === 'number' || text !== undefined ? parseDuration(value as string | number) : undefined;
      if (ms === undefined) return bad('must be a duration like 500ms, 15s, 2m (bare numbers are ms)');
      if (ms < (s.min ?? 0) || ms > (s.max ?? Infinity)) return bad(`must be from ${s.min}ms to ${s.max}ms`);
      return ms;
    }
    case 'bool': {
      if (typeof value === 'boolean') return value;
      if (text !== undefined && /^(1|true|yes|on)$/i.test(text)) return true;
      if (text !== undefined && /^(0|false|no|off)$/i.test(text)) return false;
      return bad('must be true or false');
    }
    case 'level':
      if (typeof value !== 'string' || !LOG_LEVELS.includes(value))
        return bad(`must be one of ${LOG_LEVELS.join(', ')}`);
      return value;
    case 'string':
      if (typeof value !== 'string' || value.length === 0) return bad('must be a non-empty string');
      return value;
    case 'list': {
      const list = typeof value === 'string' ? value.split(',') : value;
      if (!Array.isArray(list) || list.some((v) => typeof v !== 'string')) return bad('must be a list of strings');
      const split = s.splitItems === true ? (list as string[]).flatMap((v) => v.split(',')) : (list as string[]);
      const items = split.map((v) => v.trim()).filter((v) => v.length > 0);
      return items;
    }
    case 'ice': {
      const list = typeof value === 'string' ? value.split(',') : value;
      if (!Array.isArray(list)) return bad('must be a list of URLs or RTCIceServer objects');
      return list.map((item): IceServer => {
        if (typeof item === 'string') {
          const url = item.trim();
          if (!/^(stun|stuns|turn|turns):/.test(url))
            return bad('ICE server URLs start with stun:, stuns:, turn: or turns:');
          return { urls: url };
        }
        if (typeof item === 'object' && item !== null && 'urls' in item) return item as IceServer;
        return bad('must be a list of URLs or RTCIceServer objects');
      });
    }
    case 'hostport': {
      const list = typeof value === 'string' ? value.split(',') : value;
      if (!Array.isArray(list)) return bad('must be a list of host:port');
      return list.map((item) => {
        if (typeof item === 'object' && item !== null && 'host' in item && 'port' in item) {
          return parseHostPort(`${String(item.host).includes(':') ? `[${item.host}]` : item.host}:${item.port}`, bad);
        }
        return typeof item === 'string' ? parseHostPort(item.trim(), bad) : bad('must be a list of host:port');
      });
    }
  }
}

/** `127.0.0.1:3478`, `[::1]:3478`, `0.0.0.0:3478`; a bare `:3478` means all IPv4 addresses. */
export function parseHostPort(text: string, bad: (why: string) => never): HostPort {
  const m = /^(?:\[([0-9A-Fa-f:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  const port = Number(m?.[3]);
  if (m === null || port > 65535) return bad('must be host:port, like 0.0.0.0:3478 or [::]:3478');
  return { host: m[1] ?? (m[2] || '0.0.0.0'), port };
}

/** Checks every value of `config` against its setting; throws `invalid_config` naming it. */
export function validateSettings<C>(settings: readonly Setting<C>[], config: C): void {
  for (const s of settings) {
    const value = config[s.key];
    if (value === undefined && s.optional === true) continue;
    const name = `${s.key} (--${s.flag}${s.env.length > 0 ? `, ${s.env.join('/')}` : ''})`;
    if (s.kind === 'duration') coerceSetting({ ...s, kind: 'number' }, value, name);
    else if (s.kind !== 'ice' && s.kind !== 'hostport') coerceSetting(s, value, name);
    else if (!Array.isArray(value)) throw configError(`${name}: must be a list`);
  }
}

/** Checks a complete config; throws `invalid_config` naming the setting. Returns it. */
export function validateServerConfig(config: ServerConfig): ServerConfig {
  validateSettings(SETTINGS, config);
  validateEmbeddedTurn(config);
  validateEmbeddedSfu(config);
  validateTls(config);
  if (config.logFormat !== 'banner' && config.logFormat !== 'json') {
    throw configError(
      `logFormat (--log-format, ITDA_LOG_FORMAT): must be banner or json, got ${JSON.stringify(config.logFormat)}`,
      { key: 'logFormat' },
    );
  }
  validateFrameAncestors(config.frameAncestors);
  if (config.roomMode !== undefined && config.roomMode !== 'p2p' && config.roomMode !== 'sfu') {
    throw configError(
      `roomMode (--room-mode, ITDA_ROOM_MODE): must be p2p or sfu, got ${JSON.stringify(config.roomMode)}`,
      {
        key: 'roomMode',
      },
    );
  }
  if (config.sdpBurst !== undefined && config.sdpBurst < 3 * config.maxMessageBytes) {
    throw configError(
      'sdpBurst (--sdp-burst, ITDA_SDP_BURST) must be at least 3 × maxMessageBytes (--max-message-bytes): the largest publish must fit',
      { key: 'sdpBurst' },
    );
  }
  if (config.heartbeatTimeoutMs <= config.heartbeatIntervalMs) {
    throw configError(
      'heartbeatTimeoutMs (--heartbeat-timeout) must be larger than heartbeatIntervalMs (--heartbeat-interval)',
    );
  }
  if (!config.openRooms && config.jwtSecrets.length === 0) {
    throw configError('--no-open-rooms needs at least one --jwt-secret (ITDA_JWT_SECRET): nobody could join');
  }
  return config;
}
