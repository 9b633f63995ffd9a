/**
 * Configuration of the signaling core: limits, capacity, grace periods and policy
 * callbacks (ICE servers, token verification). Validated once, in `resolveSignalConfig`.
 */
import { DEFAULT_LIMITS, type IceServer, MAX_DATA_PAYLOAD, type RoomMode } from '@itda/protocol';
import { SignalError, SignalErrorCode } from './errors.ts';
import type { SfuBackend } from './sfu-backend.ts';
import type { TokenVerifier } from './token.ts';

/** Who is asking for ICE servers; a TURN REST credential provider can use `identity`. */
export interface IceServersContext {
  room: string;
  participantId: string;
  identity: string | null;
  /**
   * The host the client used to reach the server — the HTTP `Host` header of the request
   * that opened the connection (RFC 9110 §7.2), port included — when the adapter knows it.
   * Client-controlled text: validate before use. Lets a provider hand out STUN/TURN URLs
   * on the same host name the browser already reaches.
   */
  host?: string;
}

/** Returns the ICE servers for one participant, sent in `joined` and `resumed`. */
export type IceServersProvider = (context: IceServersContext) => IceServer[];

/** A participant's session that has ended for good (what `onSessionEnded` is told). */
export interface SessionEndedContext {
  room: string;
  participantId: string;
  identity: string | null;
  /** Why: `left`, `removed`, `timeout` (resume grace over), `room_closed`, `server_shutdown`. */
  reason: string;
}

/**
 * Called once when a participant's session ends for good — it left, was removed, its
 * room closed, its resume grace ran out, or the server shut down — e.g. to release the
 * TURN allocations of the credentials it was given. Must not throw (a throw is logged).
 */
export type SessionEndedHook = (context: SessionEndedContext) => void;

export interface SignalConfig {
  /** Rooms without a token: anyone may join and rooms are created on join. Default true. */
  openRooms: boolean;
  /**
   * Someone who joins without a token a room that has no host (nobody with
   * `grants.roomAdmin` in it) becomes its host: the first person in an open room may
   * mute, remove, lock and run the lobby. Default true; false: only `roomAdmin` tokens.
   */
  firstJoinerHost: boolean;
  /** Newcomers one room's lobby holds (more: `lobby_full`). Default 50, 1–1000. */
  lobbyCapacity: number;
  /** Participants per `p2p` room unless the room sets its own. Default 4 (`DEFAULT_LIMITS.roomCapacity`), 1–1000. */
  roomCapacity: number;
  /** Participants per `sfu` room unless the room sets its own. Default 50 (`DEFAULT_LIMITS.sfuRoomCapacity`), 1–1000. */
  sfuRoomCapacity: number;
  /**
   * Mode of rooms created by a join, and by `createRoom` without a mode. Default `sfu`
   * when an SFU backend is configured, else `p2p`. Must be one of `supportedModes`.
   */
  defaultRoomMode: RoomMode | undefined;
  /** Largest message accepted, bytes of UTF-8. Default 64 KiB; 1 KiB – 16 MiB. */
  maxMessageBytes: number;
  /** Token bucket refill, messages per second per connection. Default 50. */
  ratePerSecond: number;
  /** Token bucket size. Default 200. */
  rateBurst: number;
  /**
   * `data` relay budget per connection, on top of the message rate: refill in payload
   * characters per second. Default 256 KiB/s (`DEFAULT_LIMITS.dataBytesPerSecond`).
   */
  dataBytesPerSecond: number;
  /** `data` relay budget size, payload characters. Default 1 MiB (`DEFAULT_LIMITS.dataBurstBytes`); at least 48 KiB. */
  dataBurstBytes: number;
  /**
   * `data` relay budget of a room, which all its members' `data` draws from (a broadcast
   * once): so also the most any one member is sent. Refill in payload characters per
   * second. Default 1 MiB/s: four senders at the full per-connection rate.
   * 1 KiB/s – 1 GiB/s.
   */
  roomDataBytesPerSecond: number;
  /**
   * The room budget's size, payload characters. Default 2 MiB: two full per-connection
   * bursts at once, well under the 8 MiB a connection may have queued before it is cut.
   * 48 KiB – 1 GiB.
   */
  roomDataBurstBytes: number;
  /**
   * Budget of the messages carrying SDP (`publish`, `subscribed`, `offer`, `answer`) per
   * connection, on top of the message rate: refill in bytes (of the frame) per second.
   * Default 256 KiB/s (`DEFAULT_LIMITS.sdpBytesPerSecond`); 1 KiB/s – 1 GiB/s.
   */
  sdpBytesPerSecond: number;
  /**
   * SDP budget size, bytes. Default 1 MiB (`DEFAULT_LIMITS.sdpBurstBytes`), raised to the
   * largest SDP message (`SDP_MESSAGE_FACTOR` × `maxMessageBytes`) when that is larger; a
   * value set below it is `invalid_config`. At most 1 GiB.
   */
  sdpBurstBytes: number;
  /**
   * A connection that has had this many × `rateBurst` messages dropped since it was last
   * quiet is closed with `CloseCode.RateLimitExceeded`. Default 5.
   */
  floodCloseFactor: number;
  /** Interval announced to clients for `ping`, ms. Default 5000. */
  heartbeatIntervalMs: number;
  /** Silence after which a connection is closed (`CloseCode.HeartbeatTimeout`), ms. Default 15000. */
  heartbeatTimeoutMs: number;
  /** How long a participant whose connection dropped keeps its place for `resume`, ms. Default 15000. */
  resumeGraceMs: number;
  /** How long an empty room created by a join lives, ms. Default 30000. */
  emptyRoomGraceMs: number;
  /** Modes `createRoom` accepts. Default `['p2p']`; an `sfu` backend adds its `modes`. */
  supportedModes: readonly RoomMode[];
  /** The media backend of `sfu` rooms. Undefined: `sfu` rooms are not supported. */
  sfu: SfuBackend | undefined;
  /** ICE servers for a participant. Default: none. */
  iceServers: IceServersProvider;
  /** Told when a participant's session ends for good. Default: none. */
  onSessionEnded: SessionEndedHook | undefined;
  /** Verifies room tokens. Undefined: tokens cannot be verified, and any token given is `invalid_token`. */
  verifyToken: TokenVerifier | undefined;
}

export const DEFAULT_SIGNAL_CONFIG: SignalConfig = {
  openRooms: true,
  firstJoinerHost: true,
  lobbyCapacity: 50,
  roomCapacity: DEFAULT_LIMITS.roomCapacity,
  sfuRoomCapacity: DEFAULT_LIMITS.sfuRoomCapacity,
  defaultRoomMode: undefined,
  maxMessageBytes: DEFAULT_LIMITS.maxMessageBytes,
  ratePerSecond: DEFAULT_LIMITS.ratePerSecond,
  rateBurst: DEFAULT_LIMITS.rateBurst,
  dataBytesPerSecond: DEFAULT_LIMITS.dataBytesPerSecond,
  dataBurstBytes: DEFAULT_LIMITS.dataBurstBytes,
  roomDataBytesPerSecond: 1024 * 1024,
  roomDataBurstBytes: 2 * 1024 * 1024,
  sdpBytesPerSecond: DEFAULT_LIMITS.sdpBytesPerSecond,
  sdpBurstBytes: DEFAULT_LIMITS.sdpBurstBytes,
  floodCloseFactor: 5,
  heartbeatIntervalMs: DEFAULT_LIMITS.heartbeatIntervalMs,
  heartbeatTimeoutMs: DEFAULT_LIMITS.heartbeatTimeoutMs,
  resumeGraceMs: DEFAULT_LIMITS.resumeGraceMs,
  emptyRoomGraceMs: DEFAULT_LIMITS.emptyRoomGraceMs,
  supportedModes: ['p2p'],
  sfu: undefined,
  iceServers: () => [],
  onSessionEnded: undefined,
  verifyToken: undefined,
};

/**
 * SFU session descriptions grow with the room (a subscribe answer carries ~600 bytes per
 * remote track: 100 tracks are about 60 KiB), so `publish` and `subscribed` may be up to
 * this many × `maxMessageBytes` (192 KiB by default) — still under the WebSocket's hard
 * frame limit of 4 × `maxMessageBytes`.
 */
export const SDP_MESSAGE_FACTOR = 3;

/** Upper bound for any duration setting: one day. */
const MAX_MS = 86_400_000;

const RANGES: Record<string, [min: number, max: number]> = {
  roomCapacity: [1, 1000],
  sfuRoomCapacity: [1, 1000],
  lobbyCapacity: [1, 1000],
  dataBytesPerSecond: [1024, 1024 * 1024 * 1024],
  dataBurstBytes: [MAX_DATA_PAYLOAD, 1024 * 1024 * 1024],
  roomDataBytesPerSecond: [1024, 1024 * 1024 * 1024],
  roomDataBurstBytes: [MAX_DATA_PAYLOAD, 1024 * 1024 * 1024],
  sdpBytesPerSecond: [1024, 1024 * 1024 * 1024],
  sdpBurstBytes: [1024, 1024 * 1024 * 1024],
  maxMessageBytes: [1024, 16 * 1024 * 1024],
  ratePerSecond: [0.1, 100_000],
  rateBurst: [1, 1_000_000],
  floodCloseFactor: [1, 1000],
  heartbeatIntervalMs: [10, MAX_MS],
  heartbeatTimeoutMs: [10, MAX_MS],
  resumeGraceMs: [0, MAX_MS],
  emptyRoomGraceMs: [0, MAX_MS],
};

/** Checks that `value` is a number within the range of `key`; throws `invalid_config`. */
export function checkRange(key: string, value: unknown): number {
  const range = RANGES[key];
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new SignalError(SignalErrorCode.InvalidConfig, `${key} must be a number`, { details: { key, value } });
  }
  if (range !== undefined && (value < range[0] || value > range[1])) {
    throw new SignalError(SignalErrorCode.InvalidConfig, `${key} must be between ${range[0]} and ${range[1]}`, {
      details: { key, value },
    });
  }
  return value;
}

/** Fills defaults and validates. Throws SignalError `invalid_config` naming the bad setting. */
export function resolveSignalConfig(partial: Partial<SignalConfig> = {}): SignalConfig {
  const defined = Object.fromEntries(Object.entries(partial).filter(([, v]) => v !== undefined));
  const config: SignalConfig = { ...DEFAULT_SIGNAL_CONFIG, ...defined };
  for (const key of Object.keys(RANGES)) checkRange(key, config[key as keyof SignalConfig]);
  if (!Number.isInteger(config.roomCapacity) || !Number.isInteger(config.sfuRoomCapacity)) {
    throw new SignalError(SignalErrorCode.InvalidConfig, 'roomCapacity and sfuRoomCapacity must be integers');
  }
  const sfu = config.sfu;
  if (sfu !== undefined) {
    if (typeof sfu.addParticipant !== 'function' || !Array.isArray(sfu.modes)) {
      throw new SignalError(SignalErrorCode.InvalidConfig, 'sfu must be an SfuBackend');
    }
    config.supportedModes = [...new Set([...config.supportedModes, ...sfu.modes])];
  }
  config.defaultRoomMode ??= sfu?.modes.includes('sfu') === true ? 'sfu' : 'p2p';
  if (!config.supportedModes.includes(config.defaultRoomMode)) {
    throw new SignalError(
      SignalErrorCode.InvalidConfig,
      `defaultRoomMode "${config.defaultRoomMode}" is not supported (${config.supportedModes.join(', ')})`,
      { details: { key: 'defaultRoomMode', value: config.defaultRoomMode } },
    );
  }
  // The largest SDP message must fit the SDP budget, or it could never be sent.
  const largestSdp = SDP_MESSAGE_FACTOR * config.maxMessageBytes;
  if (config.sdpBurstBytes < largestSdp) {
    if (partial.sdpBurstBytes !== undefined) {
      throw new SignalError(
        SignalErrorCode.InvalidConfig,
        `sdpBurstBytes must be at least ${SDP_MESSAGE_FACTOR} × maxMessageBytes (${largestSdp})`,
        { details: { key: 'sdpBurstBytes', value: config.sdpBurstBytes } },
      );
    }
    config.sdpBurstBytes = largestSdp;
  }
  if (config.heartbeatTimeoutMs <= config.heartbeatIntervalMs) {
    throw new SignalError(SignalErrorCode.InvalidConfig, 'heartbeatTimeoutMs must be larger than heartbeatIntervalMs');
  }
  if (typeof config.openRooms !== 'boolean') {
    throw new SignalError(SignalErrorCode.InvalidConfig, 'openRooms must be a boolean');
  }
  if (typeof config.iceServers !== 'function') {
    throw new SignalError(SignalErrorCode.InvalidConfig, 'iceServers must be a function');
  }
  if (config.onSessionEnded !== undefined && typeof config.onSessionEnded !== 'function') {
    throw new SignalError(SignalErrorCode.InvalidConfig, 'onSessionEnded must be a function');
  }
  return config;
}
