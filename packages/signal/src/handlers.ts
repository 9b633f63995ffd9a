/**
 * What the server does with each valid client message. Handlers throw SignalError with
 * a protocol `ErrorCode`; the core turns that into an `error` message to the sender only,
 * so no other participant's session is disturbed.
 */
import {
  type AnswerMessage,
  type CandidateMessage,
  CloseCode,
  ErrorCode,
  type Grants,
  type JoinMessage,
  MAX_DATA_PAYLOAD,
  type MediaState,
  type OfferMessage,
  PROTOCOL_VERSION,
  type ResumeMessage,
  type UpdateMessage,
} from '@itda/protocol';
import type { Connection, CoreContext } from './context.ts';
import { SignalError } from './errors.ts';
import { knock, showKnocks } from './lobby.ts';
import { NO_MEDIA, Participant } from './participant.ts';
import type { Room } from './room.ts';
import { sdpSendsMedia } from './sdp.ts';
import { sfuJoined, sfuResumed } from './sfu-handlers.ts';
import type { RoomTokenClaims } from './token.ts';

const refuse = (code: ErrorCode, message: string, ref: string): SignalError => new SignalError(code, message, { ref });

function checkVersion(v: number, ref: string): void {
  if (v !== PROTOCOL_VERSION) {
    throw refuse(ErrorCode.UnsupportedVersion, `this server speaks protocol version ${PROTOCOL_VERSION}`, ref);
  }
}

/** Equal-time string comparison for secrets (the work does not depend on where they differ). */
function secretEquals(a: string, b: string): boolean {
  let diff = a.length ^ b.length;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i % Math.max(1, b.length));
  return diff === 0;
}

export function requireJoined(conn: Connection, ref: string): Participant {
  if (conn.participant === undefined) throw refuse(ErrorCode.NotJoined, 'join a room first', ref);
  return conn.participant;
}

/** What a join makes: the participant's id, name, identity, grants and media. */
export interface JoinGrant {
  id: string;
  name: string;
  identity: string | null;
  grants: Grants;
  media: MediaState;
}

/**
 * `join`: authorise (token or open rooms), find or create the room, check capacity,
 * bans and the lock, then either answer `joined` (completeJoin) or, in a room with a
 * lobby, let the newcomer knock (lobby.ts).
 */
export function handleJoin(ctx: CoreContext, conn: Connection, msg: JoinMessage): void {
  if (conn.participant !== undefined || conn.knock !== undefined) {
    throw refuse(ErrorCode.AlreadyJoined, 'this connection has joined', 'join');
  }
  checkVersion(msg.v, 'join');
  let claims: RoomTokenClaims | undefined;
  if (msg.token !== undefined) {
    if (ctx.config.verifyToken === undefined) {
      throw refuse(ErrorCode.InvalidToken, 'this server has no token secret configured', 'join');
    }
    try {
      claims = ctx.config.verifyToken(msg.token);
    } catch (err) {
      if (err instanceof SignalError) throw new SignalError(err.code, err.message, { ref: 'join' });
      throw err;
    }
    if (claims.room !== msg.room) throw refuse(ErrorCode.Forbidden, 'the token is for another room', 'join');
  } else if (!ctx.config.openRooms) {
    throw refuse(ErrorCode.Unauthorized, 'this server requires a room token', 'join');
  }

  let room = ctx.rooms.get(msg.room);
  if (room === undefined) {
    if (!ctx.config.openRooms && claims === undefined) throw refuse(ErrorCode.RoomNotFound, 'no such room', 'join');
    room = ctx.rooms.create({ name: msg.room, origin: 'join' });
  }
  const identity = claims?.identity ?? null;
  if (identity !== null && room.bannedIdentities.has(identity)) {
    throw refuse(ErrorCode.Banned, 'a host removed you from this room', 'join');
  }
  const admin = claims?.grants.roomAdmin === true;
  if (room.locked && !admin) throw refuse(ErrorCode.RoomLocked, 'a host has locked this room', 'join');
  if (room.isFull()) throw refuse(ErrorCode.RoomFull, `the room is full (${room.capacity})`, 'join');

  const grants = claims?.grants ?? { canPublish: true, canSubscribe: true, canRename: true };
  // In open rooms the first to come into a room without a host hosts it (config.firstJoinerHost).
  const host = admin || (claims === undefined && ctx.config.firstJoinerHost && !room.hasHost());
  const grant: JoinGrant = {
    id: `p_${ctx.randomId(9)}`,
    name: claims?.name ?? msg.name,
    identity,
    grants: host && grants.roomAdmin !== true ? { ...grants, roomAdmin: true } : grants,
    media: msg.media ?? NO_MEDIA,
  };
  if (room.lobby && !host) {
    knock(ctx, conn, room, grant);
    return;
  }
  completeJoin(ctx, conn, room, grant);
}

/**
 * Makes the participant of `grant` in `room` on `conn`: `joined` to it,
 * `participant-joined` to the others, the SFU told. Throws (before any change) only if the
 * ICE servers provider throws.
 */
export function completeJoin(ctx: CoreContext, conn: Connection, room: Room, grant: JoinGrant): Participant {
  const iceServers = ctx.config.iceServers({
    room: room.name,
    participantId: grant.id,
    identity: grant.identity,
    ...(conn.host === undefined ? {} : { host: conn.host }),
  });
  const participant = new Participant({
    id: grant.id,
    room: room.name,
    name: grant.name,
    identity: grant.identity,
    grants: grant.grants,
    media: grant.media,
    joinedAt: ctx.wallClock(),
    resumeToken: ctx.randomId(24),
    connId: conn.id,
  });
  const others = [...room.participants.values()];
  room.participants.set(participant.id, participant);
  ctx.participants.set(participant.id, participant);
  ctx.rooms.noteOccupied(room);
  conn.participant = participant;
  ctx.metrics.joins++;

  const { config } = ctx;
  ctx.out.send(conn.id, {
    type: 'joined',
    v: PROTOCOL_VERSION,
    room: room.name,
    mode: room.mode,
    participantId: participant.id,
    resumeToken: participant.resumeToken,
    participants: others.map((p) => p.info()),
    iceServers,
    grants: participant.grants,
    heartbeat: { intervalMs: config.heartbeatIntervalMs, timeoutMs: config.heartbeatTimeoutMs },
    resumeGraceMs: config.resumeGraceMs,
    limits: {
      maxMessageBytes: config.maxMessageBytes,
      ratePerSecond: config.ratePerSecond,
      rateBurst: config.rateBurst,
      roomCapacity: room.capacity,
      maxDataPayload: MAX_DATA_PAYLOAD,
      dataBytesPerSecond: config.dataBytesPerSecond,
      dataBurstBytes: config.dataBurstBytes,
      sdpBytesPerSecond: config.sdpBytesPerSecond,
      sdpBurstBytes: config.sdpBurstBytes,
    },
    ...(room.locked || room.lobby ? { roomState: room.state } : {}),
  });
  const info = participant.info();
  for (const other of others) ctx.sendTo(other, { type: 'participant-joined', participant: info });
  sfuJoined(ctx, room, participant);
  if (participant.grants.roomAdmin === true) showKnocks(ctx, room, participant);
  ctx.log.info('participant joined', {
    room: room.name,
    participantId: participant.id,
    connId: conn.id,
    identity: participant.identity,
    host: participant.grants.roomAdmin === true,
    size: room.size,
  });
  return participant;
}

/**
 * `resume`: a participant whose connection dropped comes back on a new one within the
 * grace period. The others see nothing. A connection still bound to the session is
 * closed with `CloseCode.Replaced`.
 */
export function handleResume(ctx: CoreContext, conn: Connection, msg: ResumeMessage): void {
  if (conn.participant !== undefined || conn.knock !== undefined) {
    throw refuse(ErrorCode.AlreadyJoined, 'this connection has joined', 'resume');
  }
  checkVersion(msg.v, 'resume');
  if (ctx.rooms.get(msg.room)?.bannedResumeTokens.has(msg.resumeToken) === true) {
    throw refuse(ErrorCode.Banned, 'a host removed you from this room', 'resume');
  }
  const participant = ctx.participants.get(msg.participantId);
  if (
    participant === undefined ||
    participant.state === 'left' ||
    participant.room !== msg.room ||
    !secretEquals(participant.resumeToken, msg.resumeToken)
  ) {
    throw refuse(ErrorCode.ResumeFailed, 'no session to resume (unknown, expired or wrong token)', 'resume');
  }
  const iceServers = ctx.config.iceServers({
    room: participant.room,
    participantId: participant.id,
    identity: participant.identity,
    ...(conn.host === undefined ? {} : { host: conn.host }),
  });
  const previous = participant.resume(conn.id);
  conn.participant = participant;
  ctx.metrics.resumes++;
  if (previous !== null && previous !== conn.id) {
    const old = ctx.connections.get(previous);
    if (old !== undefined) {
      old.participant = undefined;
      ctx.closeConnection(old, CloseCode.Replaced, 'session resumed on another connection', 'none');
    }
  }
  const room = ctx.rooms.get(participant.room);
  const others = room === undefined ? [] : [...room.others(participant.id)];
  ctx.out.send(conn.id, {
    type: 'resumed',
    participantId: participant.id,
    mode: room?.mode ?? ctx.config.defaultRoomMode ?? 'p2p',
    participants: others.map((p) => p.info()),
    iceServers,
  });
  ctx.log.info('participant resumed', { room: participant.room, participantId: participant.id, connId: conn.id });
  sfuResumed(ctx, room, participant);
}

/**
 * offer / answer / candidate: relay to the addressed participant of the same room, with
 * `from` set to the sender. A participant without `canPublish` may not send media.
 */
export function handleRelay(
  ctx: CoreContext,
  conn: Connection,
  msg: OfferMessage | AnswerMessage | CandidateMessage,
): void {
  const sender = requireJoined(conn, msg.type);
  const room = ctx.rooms.get(sender.room);
  if (room !== undefined && room.mode !== 'p2p') {
    throw refuse(ErrorCode.NotP2pRoom, `this room is in ${room.mode} mode: use publish/subscribe`, msg.type);
  }
  const target = msg.to === sender.id ? undefined : ctx.rooms.get(sender.room)?.participants.get(msg.to);
  if (target === undefined) {
    throw refuse(ErrorCode.UnknownParticipant, `no participant "${msg.to.slice(0, 64)}" in this room`, msg.type);
  }
  if (msg.type !== 'candidate' && !sender.grants.canPublish && sdpSendsMedia(msg.sdp)) {
    throw refuse(ErrorCode.Forbidden, 'the token does not grant publishing media', msg.type);
  }
  if (target.connId === null) {
    // In resume grace: dropped; the client restarts ICE after it resumes.
    ctx.log.debug('relay dropped: target disconnected', { room: sender.room, from: sender.id, to: target.id });
    return;
  }
  if (msg.type === 'candidate') {
    ctx.out.send(target.connId, { type: 'candidate', from: sender.id, candidate: msg.candidate });
  } else {
    ctx.out.send(target.connId, { type: msg.type, from: sender.id, sdp: msg.sdp });
  }
}

/**
 * `update`: new display name and/or media state, announced as `participant-updated`.
 * A new name needs the `canRename` grant (a name from the room token is authoritative):
 * without it the whole update is refused with `forbidden`, nothing changes.
 */
export function handleUpdate(ctx: CoreContext, conn: Connection, msg: UpdateMessage): void {
  const participant = requireJoined(conn, 'update');
  if (msg.name !== undefined && msg.name !== participant.name && !participant.grants.canRename) {
    throw refuse(ErrorCode.Forbidden, 'the room token does not grant renaming (canRename)', 'update');
  }
  const media = msg.media;
  if (
    media !== undefined &&
    ((media.audio && participant.forced.has('audio')) || (media.video && participant.forced.has('video')))
  ) {
    throw refuse(ErrorCode.Forbidden, 'a host has turned that off until they release it', 'update');
  }
  if (msg.name !== undefined) participant.name = msg.name;
  if (media !== undefined) participant.media = media;
  const room = ctx.rooms.get(participant.room);
  if (room !== undefined) announceUpdate(ctx, room, participant);
}

/** Tells everyone else in `room` about `p`'s new name, media or held devices (`participant-updated`). */
export function announceUpdate(ctx: CoreContext, room: Room, p: Participant): void {
  const info = p.info();
  for (const other of room.others(p.id)) ctx.sendTo(other, { type: 'participant-updated', participant: info });
}

/** `leave`: the participant leaves (others get `participant-left` reason `left`); the connection closes 1000. */
export function handleLeave(ctx: CoreContext, conn: Connection): void {
  const participant = conn.participant;
  conn.participant = undefined;
  if (participant !== undefined) ctx.removeParticipant(participant, 'left');
  ctx.closeConnection(conn, CloseCode.Normal, 'left', 'none');
}
