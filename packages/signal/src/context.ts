/**
 * What the message handlers share with the core: state, configuration and the few
 * operations they compose (internal to @itda/signal).
 */
import type { Clock, Logger } from '@itda/common';
import type { LeaveReason, ServerMessage } from '@itda/protocol';
import type { SignalConfig } from './config.ts';
import type { Heartbeat } from './heartbeat.ts';
import type { SignalMetrics } from './metrics.ts';
import type { Participant } from './participant.ts';
import type { TokenBucket } from './rate-limiter.ts';
import type { RoomRegistry } from './registry.ts';

/**
 * The core's effects. The core knows connections only by id; an adapter (e.g. the `ws`
 * adapter in `node/`) turns these calls into socket operations.
 */
export interface SignalOutput {
  /**
   * Sends one message on a connection. `droppable` (relayed `data`): the adapter may drop
   * it instead of queueing when the connection is backed up (a reader that does not keep
   * up), so that it never has to cut the connection for `data` alone.
   */
  send(connId: string, message: ServerMessage, droppable?: boolean): void;
  /** Closes a connection with a WebSocket close code (RFC 6455 §7.4) and a short reason. */
  close(connId: string, code: number, reason: string): void;
}

/** One transport connection as the core sees it. */
export interface Connection {
  readonly id: string;
  readonly bucket: TokenBucket;
  /** The `data` relay budget, in payload characters. */
  readonly dataBucket: TokenBucket;
  /** The budget of messages carrying SDP, in bytes of the frame. */
  readonly sdpBucket: TokenBucket;
  readonly heartbeat: Heartbeat;
  /** The HTTP `Host` header of the request that opened the connection, when known. */
  readonly host: string | undefined;
  /** The session this connection carries, once joined or resumed. */
  participant: Participant | undefined;
  /** While its `join` waits in a room's lobby: the room and the id it will have. */
  knock: { room: string; id: string } | undefined;
  /** Messages dropped by the rate limit since the connection was last quiet. */
  dropped: number;
  /** `clock.now()` when the last `rate_limited` error was sent. */
  lastRateErrorAt: number;
}

/** What the adapter knows about a new connection. */
export interface ConnectionInfo {
  /** The HTTP `Host` header of the request that opened it (given to the ICE servers provider). */
  host?: string | undefined;
}

/** After closing a connection: does its participant enter the resume grace, or not. */
export type AfterClose = 'grace' | 'none';

export interface CoreContext {
  readonly config: SignalConfig;
  readonly clock: Clock;
  readonly wallClock: () => number;
  readonly log: Logger;
  readonly out: SignalOutput;
  readonly rooms: RoomRegistry;
  readonly metrics: SignalMetrics;
  /** Every participant of every room, by id. */
  readonly participants: Map<string, Participant>;
  readonly connections: Map<string, Connection>;
  /** A random base64url string from `bytes` random bytes. */
  randomId(bytes: number): string;
  /** Sends to a participant if it is connected; drops otherwise. `droppable`: see `SignalOutput.send`. */
  sendTo(participant: Participant, message: ServerMessage, droppable?: boolean): void;
  closeConnection(conn: Connection, code: number, reason: string, after: AfterClose): void;
  /** Takes a participant out of its room and tells the others (`participant-left`). */
  removeParticipant(participant: Participant, reason: LeaveReason): void;
}
