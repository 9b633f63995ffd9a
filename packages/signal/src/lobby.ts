/**
 * A room's lobby: with it on, a newcomer without a `roomAdmin` token does not join at
 * once. Its connection gets `lobby` and waits; the hosts get `knock` (and, when a host
 * arrives later, one for everyone already waiting). A host's `admit` completes the join
 * (`joined`, as if it had just been sent); `deny` sends `closed` reason `denied` and
 * closes the connection (4010). Hosts hear `knock-ended` for each outcome, also `left`
 * when the newcomer goes away. At most `lobbyCapacity` (50) wait per room (`lobby_full`);
 * a connection knocks at most once (its `join` is then `already_joined`).
 */
import { CloseCode, ErrorCode, type Moderator } from '@itda/protocol';
import type { Connection, CoreContext } from './context.ts';
import { SignalError } from './errors.ts';
import { completeJoin, type JoinGrant } from './handlers.ts';
import type { Participant } from './participant.ts';
import type { Knock, Room } from './room.ts';

/** Puts `conn`'s join in the lobby of `room`. Throws `lobby_full`. */
export function knock(ctx: CoreContext, conn: Connection, room: Room, grant: JoinGrant): void {
  if (room.knocks.size >= ctx.config.lobbyCapacity) {
    throw new SignalError(ErrorCode.LobbyFull, `the lobby is full (${ctx.config.lobbyCapacity} waiting)`, {
      ref: 'join',
    });
  }
  const entry: Knock = { ...grant, connId: conn.id, since: ctx.wallClock() };
  room.knocks.set(grant.id, entry);
  conn.knock = { room: room.name, id: grant.id };
  ctx.out.send(conn.id, { type: 'lobby', room: room.name, participantId: grant.id });
  for (const host of room.hosts()) ctx.sendTo(host, knockMessage(entry));
  ctx.log.info('knock', { room: room.name, knockId: grant.id, connId: conn.id, waiting: room.knocks.size });
}

function knockMessage(k: Knock): { type: 'knock'; participant: { id: string; name: string; identity: string | null } } {
  return { type: 'knock', participant: { id: k.id, name: k.name, identity: k.identity } };
}

/** A host (joined or just made host) sees everyone waiting. */
export function showKnocks(ctx: CoreContext, room: Room, host: Participant): void {
  for (const k of room.knocks.values()) ctx.sendTo(host, knockMessage(k));
}

function ended(ctx: CoreContext, room: Room, id: string, outcome: 'admitted' | 'denied' | 'left'): void {
  for (const host of room.hosts()) ctx.sendTo(host, { type: 'knock-ended', participantId: id, outcome });
}

/** The knocking connection went away: forget the knock. */
export function knockGone(ctx: CoreContext, conn: Connection): void {
  const at = conn.knock;
  conn.knock = undefined;
  const room = at === undefined ? undefined : ctx.rooms.get(at.room);
  if (at === undefined || room === undefined || room.knocks.get(at.id)?.connId !== conn.id) return;
  room.knocks.delete(at.id);
  ended(ctx, room, at.id, 'left');
  ctx.rooms.noteEmpty(room);
}

/**
 * A host's decision on knock `id`. Throws `unknown_participant` (no such knock) or
 * `room_full` (admit into a full room; the knock stays).
 */
export function decideKnock(
  ctx: CoreContext,
  room: Room,
  id: string,
  decision: 'admit' | 'deny',
  by: Moderator,
  closeConnection: (conn: Connection, code: number, reason: string) => void,
): void {
  const k = room.knocks.get(id);
  const conn = k === undefined ? undefined : ctx.connections.get(k.connId);
  if (k === undefined || conn === undefined) {
    throw new SignalError(ErrorCode.UnknownParticipant, 'nobody with that id is waiting in the lobby');
  }
  if (decision === 'admit' && room.isFull()) {
    throw new SignalError(ErrorCode.RoomFull, `the room is full (${room.capacity})`);
  }
  room.knocks.delete(id);
  conn.knock = undefined;
  if (decision === 'admit') {
    completeJoin(ctx, conn, room, k);
  } else {
    ctx.out.send(conn.id, { type: 'closed', reason: 'denied', by });
    closeConnection(conn, CloseCode.Denied, 'not let in');
  }
  ended(ctx, room, id, decision === 'admit' ? 'admitted' : 'denied');
  ctx.log.info(decision === 'admit' ? 'knock admitted' : 'knock denied', { room: room.name, knockId: id, by: by.id });
}

/** The lobby turned off: everyone waiting comes in while there is room; the rest are told `room_full`. */
export function admitAll(
  ctx: CoreContext,
  room: Room,
  by: Moderator,
  closeConnection: (conn: Connection, code: number, reason: string) => void,
): void {
  for (const [id, k] of [...room.knocks]) {
    const conn = ctx.connections.get(k.connId);
    if (conn !== undefined && !room.isFull()) {
      decideKnock(ctx, room, id, 'admit', by, closeConnection);
      continue;
    }
    room.knocks.delete(id);
    if (conn === undefined) continue; // gone: knockGone has told the hosts
    conn.knock = undefined;
    ctx.out.send(conn.id, { type: 'error', code: ErrorCode.RoomFull, message: 'the room is full', ref: 'join' });
    closeConnection(conn, CloseCode.Normal, 'room full');
    ended(ctx, room, id, 'denied');
  }
}
