/**
 * The signaling core, sans-IO: it knows connections only as ids, takes a Clock, a
 * Logger and a configuration, and acts through a `SignalOutput` (send / close). An
 * adapter feeds it `open`, `receive` and `disconnect`; tests drive it with ManualClock.
 *
 * Every frame goes through the same pipeline: heartbeat touch → rate limit → size
 * limit → binary check → decode (schema) → handler. Each bad input gets one `error`
 * to its sender (or a documented close code), one warn log line and one count in
 * `metrics.errors`; nothing a client sends can throw out of `receive`.
 */
import { type Clock, type Logger, silentLogger, systemClock } from '@itda/common';
import {
  type ClientMessage,
  CloseCode,
  decodeClientMessage,
  ErrorCode,
  type LeaveReason,
  type ParticipantInfo,
  ProtocolError,
  type ServerMessage,
} from '@itda/protocol';
import { resolveSignalConfig, SDP_MESSAGE_FACTOR, type SignalConfig } from './config.ts';
import type { AfterClose, Connection, ConnectionInfo, CoreContext, SignalOutput } from './context.ts';
import { refuseRoomBusy, takeDataBudget } from './data-budget.ts';
import { SignalError } from './errors.ts';
import { type ExternalHooks, type ExternalParticipantOptions, joinExternal } from './external.ts';
import { handleJoin, handleLeave, handleRelay, handleResume, handleUpdate } from './handlers.ts';
import { Heartbeat } from './heartbeat.ts';
import { knockGone } from './lobby.ts';
import { SignalMetrics } from './metrics.ts';
import { handleModerate, type ModerationHooks, type ModerationRequest, moderate } from './moderation.ts';
import type { Participant } from './participant.ts';
import { TokenBucket } from './rate-limiter.ts';
import { type CreateRoomOptions, RoomRegistry } from './registry.ts';
import type { RoomInfo } from './room.ts';
import { handleData, handleSfuMessage, sfuRemoved, sfuRoomClosed } from './sfu-handlers.ts';

export interface SignalCoreOptions extends Partial<SignalConfig> {
  /** Effects: where messages and closes go. */
  output: SignalOutput;
  /** Default `systemClock`. */
  clock?: Clock;
  /** Wall clock, ms since the epoch, for `joinedAt`/`createdAt`. Default `Date.now`. */
  wallClock?: () => number;
  /** Default `silentLogger`. */
  logger?: Logger;
}

export interface SignalStats {
  rooms: number;
  participants: number;
  connections: number;
}

/** Minimum time between two `rate_limited` errors on one connection, ms. */
const RATE_ERROR_INTERVAL_MS = 1000;

/** Who moderation actions of the HTTP room API are by. */
const ROOM_API = { id: null, name: 'the room API' } as const;

const decoder = new TextDecoder('utf-8');

function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff) {
      n += 4;
      i++;
    } else n += 3;
  }
  return n;
}

const SDP_MESSAGE_START = /^\s*\{\s*"type"\s*:\s*"(publish|subscribed)"/;

/** Messages that carry SDP and take their frame's bytes from the SDP budget (`sdpBytesPerSecond`). */
const SDP_TYPES: ReadonlySet<ClientMessage['type']> = new Set(['publish', 'subscribed', 'offer', 'answer']);

/** `publish` or `subscribed` when a frame is one (its `type` first, as JSON.stringify writes it). */
function sdpMessageType(data: string | Uint8Array): string | undefined {
  const head = typeof data === 'string' ? data.slice(0, 64) : decoder.decode(data.subarray(0, 64));
  return SDP_MESSAGE_START.exec(head)?.[1];
}

function randomId(bytes: number): string {
  const buf = new Uint8Array(bytes);
  globalThis.crypto.getRandomValues(buf);
  let s = '';
  for (const b of buf) s += String.fromCharCode(b);
  return btoa(s).replaceAll('+', '-').replaceAll('/', '_').replaceAll('=', '');
}

export class SignalCore {
  readonly config: SignalConfig;
  readonly metrics = new SignalMetrics();
  readonly #ctx: CoreContext;
  readonly #moderation: ModerationHooks = {
    remove: (p, by) => {
      this.#evict(p, { type: 'closed', reason: 'removed', by }, CloseCode.Removed, 'removed');
      this.#removeParticipant(p, 'removed');
    },
    closeConnection: (conn, code, reason) => this.#closeConnection(conn, code, reason, 'none'),
  };
  readonly #log: Logger;
  /** Participants without a connection (WHIP publishers), by participant id. */
  readonly #externals = new Map<string, ExternalHooks>();
  #shutDown = false;

  constructor(options: SignalCoreOptions) {
    const { output, clock = systemClock, wallClock = Date.now, logger = silentLogger, ...partial } = options;
    this.config = resolveSignalConfig(partial);
    this.#log = logger;
    const connections = new Map<string, Connection>();
    const participants = new Map<string, Participant>();
    const rooms = new RoomRegistry({
      clock,
      wallClock,
      emptyRoomGraceMs: this.config.emptyRoomGraceMs,
      defaultCapacity: this.config.roomCapacity,
      sfuCapacity: this.config.sfuRoomCapacity,
      defaultMode: this.config.defaultRoomMode ?? 'p2p',
      supportedModes: this.config.supportedModes,
      onEmptyClose: (room) => {
        logger.info('empty room closed', { room: room.name });
        sfuRoomClosed(this.#ctx, room);
      },
    });
    const ctx: CoreContext = {
      config: this.config,
      clock,
      wallClock,
      log: logger,
      out: output,
      rooms,
      metrics: this.metrics,
      participants,
      connections,
      randomId,
      sendTo: (p, message, droppable) => {
        const external = this.#externals.get(p.id);
        if (external !== undefined) external.deliver?.(message);
        else if (p.connId !== null) output.send(p.connId, message, droppable);
      },
      closeConnection: (conn, code, reason, after) => this.#closeConnection(conn, code, reason, after),
      removeParticipant: (p, reason) => this.#removeParticipant(p, reason),
    };
    this.#ctx = ctx;
  }

  // ------------------------------------------------------------------ transport events

  /**
   * A new connection. Ids are the adapter's and must be unique while open; `info` is
   * what the adapter knows about it (the `Host` header, for the ICE servers provider).
   */
  open(connId: string, info: ConnectionInfo = {}): void {
    const ctx = this.#ctx;
    if (ctx.connections.has(connId)) throw new Error(`connection ${connId} is already open`);
    if (this.#shutDown) {
      ctx.out.send(connId, { type: 'closed', reason: 'server_shutdown' });
      ctx.out.close(connId, CloseCode.GoingAway, 'server shutting down');
      return;
    }
    const conn: Connection = {
      id: connId,
      bucket: new TokenBucket(ctx.clock, this.config.ratePerSecond, this.config.rateBurst),
      dataBucket: new TokenBucket(ctx.clock, this.config.dataBytesPerSecond, this.config.dataBurstBytes),
      sdpBucket: new TokenBucket(ctx.clock, this.config.sdpBytesPerSecond, this.config.sdpBurstBytes),
      heartbeat: new Heartbeat(ctx.clock, this.config.heartbeatTimeoutMs, () => this.#heartbeatTimeout(conn)),
      host: info.host,
      participant: undefined,
      knock: undefined,
      dropped: 0,
      lastRateErrorAt: Number.NEGATIVE_INFINITY,
    };
    ctx.connections.set(connId, conn);
    this.metrics.connectionsOpened++;
  }

  /**
   * One frame from a connection. Text frames may come as a string or as UTF-8 bytes;
   * `isBinary` marks a binary frame (refused with `bad_message`). Never throws.
   */
  receive(connId: string, data: string | Uint8Array, isBinary = false): void {
    const conn = this.#ctx.connections.get(connId);
    if (conn === undefined) return;
    conn.heartbeat.touch();
    if (!conn.bucket.take()) {
      this.#overLimit(conn);
      return;
    }
    if (conn.bucket.wasFull) conn.dropped = 0;
    const bytes = typeof data === 'string' ? utf8Length(data) : data.byteLength;
    if (bytes > this.config.maxMessageBytes) {
      const limit = SDP_MESSAGE_FACTOR * this.config.maxMessageBytes;
      const sdpType = bytes > limit ? undefined : sdpMessageType(data);
      if (sdpType === undefined) {
        const max = bytes > limit ? limit : this.config.maxMessageBytes;
        this.#fail(conn, ErrorCode.MessageTooLarge, `message of ${bytes} bytes is over ${max}`);
        return;
      }
      // Only SDP may be this large: over the SDP budget, drop it before decoding.
      if (conn.sdpBucket.available < bytes) {
        this.#overLimit(conn, 'sdp', sdpType);
        return;
      }
    }
    if (isBinary) {
      this.#fail(conn, ErrorCode.BadMessage, 'binary frames are not part of the protocol');
      return;
    }
    let message: ClientMessage;
    try {
      message = decodeClientMessage(typeof data === 'string' ? data : decoder.decode(data));
    } catch (err) {
      if (err instanceof ProtocolError) this.#fail(conn, err.code, err.message, err.ref);
      else this.#internal(conn, err, undefined);
      return;
    }
    if (SDP_TYPES.has(message.type) && !conn.sdpBucket.take(bytes)) {
      this.#overLimit(conn, 'sdp', message.type);
      return;
    }
    this.metrics.countMessage(message.type);
    try {
      this.#dispatch(conn, message);
    } catch (err) {
      if (err instanceof SignalError) this.#fail(conn, err.code, err.message, err.ref ?? message.type);
      else this.#internal(conn, err, message.type);
    }
  }

  /** The connection is gone (closed by either side or cut). Its participant enters the resume grace. */
  disconnect(connId: string): void {
    const conn = this.#ctx.connections.get(connId);
    if (conn === undefined) return;
    this.#ctx.connections.delete(connId);
    conn.heartbeat.stop();
    if (conn.knock !== undefined) knockGone(this.#ctx, conn);
    const p = conn.participant;
    conn.participant = undefined;
    if (p !== undefined && p.connId === connId) this.#startGrace(p);
  }

  // ------------------------------------------------------------------ administration

  /** Creates a room (HTTP API). Throws `bad_message`, `unsupported_mode` or `room_exists`. */
  createRoom(options: CreateRoomOptions): RoomInfo {
    return this.#ctx.rooms.create({ ...options, origin: options.origin ?? 'api' }).info();
  }

  getRoom(name: string): RoomInfo | undefined {
    return this.#ctx.rooms.get(name)?.info();
  }

  listRooms(): RoomInfo[] {
    return this.#ctx.rooms.list().map((r) => r.info());
  }

  /**
   * Closes a room: every participant gets `closed` (reason `room_closed`) and its
   * connection is closed with `CloseCode.RoomClosed`. False when there is no such room.
   */
  closeRoom(name: string): boolean {
    const ctx = this.#ctx;
    const room = ctx.rooms.get(name);
    if (room === undefined) return false;
    for (const p of [...room.participants.values()]) {
      this.#evict(p, { type: 'closed', reason: 'room_closed' }, CloseCode.RoomClosed, 'room closed');
      this.#externalGone(p.id, 'room_closed');
    }
    for (const k of [...room.knocks.values()]) {
      const conn = ctx.connections.get(k.connId);
      if (conn === undefined) continue;
      conn.knock = undefined;
      ctx.out.send(conn.id, { type: 'closed', reason: 'room_closed' });
      this.#closeConnection(conn, CloseCode.RoomClosed, 'room closed', 'none');
    }
    room.knocks.clear();
    room.participants.clear();
    ctx.rooms.delete(name);
    sfuRoomClosed(ctx, room);
    ctx.log.info('room closed', { room: name });
    return true;
  }

  /**
   * Removes one participant (the room API): it gets `closed` (reason `removed`, by the room
   * API) and close code `CloseCode.Removed`; the others get `participant-left` reason
   * `removed`. Its identity and resume token are refused for the room's lifetime, as when
   * a host removes someone. False when there is no such participant.
   */
  removeParticipant(roomName: string, participantId: string): boolean {
    const room = this.#ctx.rooms.get(roomName);
    if (room?.participants.get(participantId) === undefined) return false;
    moderate(this.#ctx, room, { action: 'remove', participantId }, ROOM_API, this.#moderation);
    return true;
  }

  /**
   * A host's action through the room API (moderation.ts): `mute`, `remove`, `lock`,
   * `unlock`, `lobby-on`, `lobby-off`, `admit`, `deny`, done by "the room API". False when
   * there is no such room; throws SignalError `bad_message`, `unknown_participant`,
   * `room_full`.
   */
  moderate(roomName: string, request: ModerationRequest): boolean {
    const room = this.#ctx.rooms.get(roomName);
    if (room === undefined) return false;
    moderate(this.#ctx, room, request, ROOM_API, this.#moderation);
    return true;
  }

  /**
   * Adds a participant that has no WebSocket (a WHIP publisher) through the same join
   * path as `join`: room creation and mode rules, capacity, `participant-joined` to the
   * others, `SfuBackend.addParticipant`. Authorisation is the caller's (it passes
   * `create` and `grants`). Returns the participant's info (its `id`). Throws
   * `SignalError`: `room_not_found`, `room_full`, `not_sfu_room` / `not_p2p_room`
   * (`requireMode`), `unsupported_mode`, `server_shutdown`. See external.ts.
   */
  addExternalParticipant(roomName: string, options: ExternalParticipantOptions): ParticipantInfo {
    if (this.#shutDown) throw new SignalError('server_shutdown', 'the server is shutting down');
    return joinExternal(this.#ctx, this.#externals, roomName, options).info();
  }

  /**
   * Removes an external participant (the others get `participant-left` with `reason`,
   * default `left`); its `onRemoved` is not called. False when unknown. Idempotent.
   */
  removeExternalParticipant(participantId: string, reason: LeaveReason = 'left'): boolean {
    const hooks = this.#externals.get(participantId);
    const p = this.#ctx.participants.get(participantId);
    if (hooks === undefined || p === undefined) return false;
    hooks.removing = true;
    this.#removeParticipant(p, reason);
    return true;
  }

  /**
   * True while participant `participantId` has a session: joined, or within its resume
   * grace. False once it has ended (see `onSessionEnded`) and for ids never issued.
   */
  hasSession(participantId: string): boolean {
    return this.#ctx.participants.has(participantId);
  }

  /** The connection id carrying a participant's session, or null (unknown or in grace). */
  connectionOf(participantId: string): string | null {
    return this.#ctx.participants.get(participantId)?.connId ?? null;
  }

  stats(): SignalStats {
    const ctx = this.#ctx;
    return { rooms: ctx.rooms.size, participants: ctx.participants.size, connections: ctx.connections.size };
  }

  /**
   * Ends everything: each connection gets `closed` (reason `server_shutdown`) and close
   * 1001; all timers are cancelled. Later connections are turned away. Idempotent.
   */
  shutdown(): void {
    if (this.#shutDown) return;
    this.#shutDown = true;
    const ctx = this.#ctx;
    for (const conn of [...ctx.connections.values()]) {
      ctx.out.send(conn.id, { type: 'closed', reason: 'server_shutdown' });
      conn.participant = undefined;
      this.#closeConnection(conn, CloseCode.GoingAway, 'server shutting down', 'none');
    }
    const ended = [...ctx.participants.values()];
    for (const p of ended) {
      p.leave();
      this.#externalGone(p.id, 'server_shutdown');
    }
    ctx.participants.clear();
    for (const p of ended) this.#sessionEnded(p, 'server_shutdown');
    for (const room of ctx.rooms.list()) sfuRoomClosed(ctx, room);
    ctx.rooms.clear();
  }

  // ------------------------------------------------------------------ internals

  #dispatch(conn: Connection, message: ClientMessage): void {
    const ctx = this.#ctx;
    switch (message.type) {
      case 'ping':
        ctx.out.send(conn.id, message.ts === undefined ? { type: 'pong' } : { type: 'pong', ts: message.ts });
        return;
      case 'join':
        handleJoin(ctx, conn, message);
        return;
      case 'resume':
        handleResume(ctx, conn, message);
        return;
      case 'offer':
      case 'answer':
      case 'candidate':
        handleRelay(ctx, conn, message);
        return;
      case 'update':
        handleUpdate(ctx, conn, message);
        return;
      case 'leave':
        handleLeave(ctx, conn);
        return;
      case 'publish':
      case 'subscribed':
      case 'resubscribe':
      case 'quality':
        handleSfuMessage(ctx, conn, message);
        return;
      case 'moderate':
        handleModerate(ctx, conn, message, this.#moderation);
        return;
      case 'data': {
        // Its own and its room's budget in payload characters, on top of the message rate.
        const short = takeDataBudget(ctx, conn, message.payload.length);
        if (short === 'sender') this.#overLimit(conn, 'data');
        else if (short === 'room') refuseRoomBusy(ctx, conn);
        else handleData(ctx, conn, message);
        return;
      }
    }
  }

  /** Answers one bad input: `error` to the sender, one warn line, one count. */
  #fail(conn: Connection, code: string, message: string, ref?: string): void {
    this.metrics.countError(code);
    this.#log.warn('bad input', {
      code,
      detail: message,
      connId: conn.id,
      participantId: conn.participant?.id,
      room: conn.participant?.room,
      ...(ref === undefined ? {} : { ref }),
    });
    const error: ServerMessage = { type: 'error', code, message, ...(ref === undefined ? {} : { ref }) };
    this.#ctx.out.send(conn.id, error);
  }

  #internal(conn: Connection, err: unknown, ref: string | undefined): void {
    this.metrics.countError(ErrorCode.Internal);
    this.#log.error('handler failed', { err, connId: conn.id, participantId: conn.participant?.id, ref });
    this.#ctx.out.send(conn.id, {
      type: 'error',
      code: ErrorCode.Internal,
      message: 'internal error',
      ...(ref === undefined ? {} : { ref }),
    });
  }

  /**
   * Over the rate limit, or over the `data` or `sdp` budget (`budget`): drop;
   * `rate_limited` at most once a second (logged likewise), but to every SDP message
   * dropped (its sender waits for an answer: with `ref` naming the message, the client
   * rolls its offer back); close a persistent flood.
   */
  #overLimit(conn: Connection, budget?: 'data' | 'sdp', ref: string | undefined = budget): void {
    conn.dropped++;
    this.metrics.countError(ErrorCode.RateLimited);
    const limit = this.config.floodCloseFactor * this.config.rateBurst;
    if (conn.dropped > limit) {
      this.metrics.countError('rate_limit_exceeded');
      this.#log.warn('connection closed for flooding', {
        code: 'rate_limit_exceeded',
        connId: conn.id,
        participantId: conn.participant?.id,
        room: conn.participant?.room,
        dropped: conn.dropped,
      });
      this.#closeConnection(conn, CloseCode.RateLimitExceeded, 'rate limit exceeded', 'grace');
      return;
    }
    const now = this.#ctx.clock.now();
    const recent = now - conn.lastRateErrorAt < RATE_ERROR_INTERVAL_MS;
    if (recent && budget !== 'sdp') return;
    if (!recent) {
      conn.lastRateErrorAt = now;
      this.#log.warn('bad input', {
        code: ErrorCode.RateLimited,
        connId: conn.id,
        participantId: conn.participant?.id,
        room: conn.participant?.room,
        ...(ref === undefined ? {} : { ref }),
      });
    }
    this.#ctx.out.send(conn.id, {
      type: 'error',
      code: ErrorCode.RateLimited,
      message:
        budget === 'data'
          ? `data over ${this.config.dataBytesPerSecond} characters/s (burst ${this.config.dataBurstBytes}); dropped`
          : budget === 'sdp'
            ? `SDP over ${this.config.sdpBytesPerSecond} bytes/s (burst ${this.config.sdpBurstBytes}); message dropped`
            : `over ${this.config.ratePerSecond} messages/s (burst ${this.config.rateBurst}); message dropped`,
      ...(ref === undefined ? {} : { ref }),
    });
  }

  #heartbeatTimeout(conn: Connection): void {
    this.metrics.countError('heartbeat_timeout');
    this.#log.info('heartbeat timeout', { connId: conn.id, participantId: conn.participant?.id });
    this.#closeConnection(conn, CloseCode.HeartbeatTimeout, 'heartbeat timeout', 'grace');
  }

  #closeConnection(conn: Connection, code: number, reason: string, after: AfterClose): void {
    const ctx = this.#ctx;
    if (ctx.connections.get(conn.id) !== conn) return;
    ctx.connections.delete(conn.id);
    if (conn.knock !== undefined) knockGone(ctx, conn);
    conn.heartbeat.stop();
    ctx.out.close(conn.id, code, reason);
    const p = conn.participant;
    conn.participant = undefined;
    if (p !== undefined && p.connId === conn.id && after === 'grace') this.#startGrace(p);
  }

  #startGrace(p: Participant): void {
    this.#log.info('participant disconnected, resume grace', { room: p.room, participantId: p.id });
    p.disconnect(this.#ctx.clock, this.config.resumeGraceMs, () => this.#removeParticipant(p, 'timeout'));
  }

  /** Sends a last message to a participant's connection and closes it; no grace. */
  #evict(p: Participant, last: ServerMessage, code: number, reason: string): void {
    const ctx = this.#ctx;
    const connId = p.connId;
    p.leave();
    if (ctx.participants.get(p.id) === p) {
      ctx.participants.delete(p.id);
      this.#sessionEnded(p, last.type === 'closed' ? last.reason : 'removed');
    }
    if (connId === null) return;
    ctx.out.send(connId, last);
    const conn = ctx.connections.get(connId);
    if (conn === undefined) return;
    conn.participant = undefined;
    this.#closeConnection(conn, code, reason, 'none');
  }

  /** An external participant left: tell its owner unless the owner removed it. */
  #externalGone(id: string, reason: LeaveReason | 'room_closed' | 'server_shutdown'): void {
    const hooks = this.#externals.get(id);
    if (hooks === undefined) return;
    this.#externals.delete(id);
    if (!hooks.removing) hooks.onRemoved?.(reason);
  }

  /** Tells `onSessionEnded` (once per participant: callers check it was still listed). */
  #sessionEnded(p: Participant, reason: string): void {
    const hook = this.config.onSessionEnded;
    if (hook === undefined) return;
    try {
      hook({ room: p.room, participantId: p.id, identity: p.identity, reason });
    } catch (err) {
      this.#log.warn('onSessionEnded failed', { err, participantId: p.id });
    }
  }

  #removeParticipant(p: Participant, reason: LeaveReason): void {
    const ctx = this.#ctx;
    p.leave();
    if (ctx.participants.get(p.id) === p) {
      ctx.participants.delete(p.id);
      this.#sessionEnded(p, reason);
    }
    this.#externalGone(p.id, reason);
    const room = ctx.rooms.get(p.room);
    if (room === undefined || room.participants.get(p.id) !== p) return;
    room.participants.delete(p.id);
    sfuRemoved(ctx, room, p.id);
    for (const other of room.participants.values()) {
      ctx.sendTo(other, { type: 'participant-left', participantId: p.id, reason });
    }
    ctx.log.info('participant left', { room: room.name, participantId: p.id, reason, size: room.size });
    ctx.rooms.noteEmpty(room);
  }
}
