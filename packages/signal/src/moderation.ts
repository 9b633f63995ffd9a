/**
 * What a host may do (`moderate`, docs/signaling.md "Moderation"), and the room API the
 * same way (`SignalCore.moderate`): mute someone's microphone or camera (they get
 * `moderated` with who did it, and may unmute), remove someone (`closed` reason `removed`
 * with who; their identity and resume token are refused for the room's lifetime), lock
 * or unlock the room, turn its lobby on or off (off admits everyone waiting), admit or
 * deny a knocking newcomer. A participant without `grants.roomAdmin` gets `forbidden`.
 */
import { ErrorCode, type ModerateMessage, type Moderator } from '@itda/protocol';
import type { Connection, CoreContext } from './context.ts';
import { SignalError } from './errors.ts';
import { announceUpdate, requireJoined } from './handlers.ts';
import { admitAll, decideKnock } from './lobby.ts';
import type { Participant } from './participant.ts';
import type { Room } from './room.ts';
import { sfuHold } from './sfu-handlers.ts';

/** What the core lends moderation: removing a participant, closing a connection. */
export interface ModerationHooks {
  /** Ends `p`'s session: `closed` removed (with `by`), close 4009, `participant-left` removed to the others. */
  remove(p: Participant, by: Moderator): void;
  closeConnection(conn: Connection, code: number, reason: string): void;
}

/** A moderation request, from a host's `moderate` or from the room API. */
export type ModerationRequest = Omit<ModerateMessage, 'type'>;

const bad = (message: string): SignalError => new SignalError(ErrorCode.BadMessage, message, { ref: 'moderate' });

/** `moderate` from a participant: only a host may. */
export function handleModerate(ctx: CoreContext, conn: Connection, msg: ModerateMessage, hooks: ModerationHooks): void {
  const p = requireJoined(conn, 'moderate');
  if (p.grants.roomAdmin !== true) {
    throw new SignalError(ErrorCode.Forbidden, 'only a host may moderate this room', { ref: 'moderate' });
  }
  const room = ctx.rooms.get(p.room);
  if (room === undefined) return;
  if ((msg.action === 'remove' || msg.action === 'mute') && msg.participantId === p.id) {
    throw bad(msg.action === 'remove' ? 'to leave, send leave' : 'mute your own microphone or camera yourself');
  }
  moderate(ctx, room, msg, { id: p.id, name: p.name }, hooks);
}

/** Runs one moderation request on `room`. Throws SignalError: `bad_message`, `unknown_participant`, `room_full`. */
export function moderate(
  ctx: CoreContext,
  room: Room,
  request: ModerationRequest,
  by: Moderator,
  hooks: ModerationHooks,
): void {
  const target = (): Participant => {
    const id = request.participantId;
    if (id === undefined) throw bad(`${request.action} needs participantId`);
    const t = room.participants.get(id);
    if (t === undefined) {
      throw new SignalError(ErrorCode.UnknownParticipant, `no participant "${id.slice(0, 64)}" in this room`, {
        ref: 'moderate',
      });
    }
    return t;
  };
  switch (request.action) {
    case 'mute':
    case 'release': {
      const t = target();
      const kind = request.kind;
      if (kind === undefined) throw bad(`${request.action} needs kind: audio or video`);
      if (request.action === 'release') release(ctx, room, t, kind, by);
      else mute(ctx, room, t, kind, request.force === true, by);
      return;
    }
    case 'remove': {
      const t = target();
      if (t.identity !== null) room.bannedIdentities.add(t.identity);
      room.bannedResumeTokens.add(t.resumeToken);
      hooks.remove(t, by);
      ctx.log.info('participant removed and banned', { room: room.name, participantId: t.id, by: by.id });
      return;
    }
    case 'lock':
    case 'unlock':
    case 'lobby-on':
    case 'lobby-off': {
      const locked = request.action === 'lock' ? true : request.action === 'unlock' ? false : room.locked;
      const lobby = request.action === 'lobby-on' ? true : request.action === 'lobby-off' ? false : room.lobby;
      if (locked === room.locked && lobby === room.lobby) return;
      const admitWaiting = room.lobby && !lobby;
      room.locked = locked;
      room.lobby = lobby;
      for (const p of room.participants.values()) ctx.sendTo(p, { type: 'room-state', locked, lobby, by });
      ctx.log.info('room state', { room: room.name, locked, lobby, by: by.id });
      if (admitWaiting) admitAll(ctx, room, by, hooks.closeConnection);
      return;
    }
    case 'admit':
    case 'deny': {
      const id = request.participantId;
      if (id === undefined) throw bad(`${request.action} needs participantId (the knock's)`);
      decideKnock(ctx, room, id, request.action, by, hooks.closeConnection);
      return;
    }
  }
}

/** `mute`: the participant turns the device off; `force` also holds it off (update refused, the SFU's producer paused). */
function mute(
  ctx: CoreContext,
  room: Room,
  t: Participant,
  kind: 'audio' | 'video',
  force: boolean,
  by: Moderator,
): void {
  if (force) {
    t.forced.add(kind);
    sfuHold(ctx, room, t.id, kind, true);
    if (t.media[kind]) t.media = { ...t.media, [kind]: false };
    announceUpdate(ctx, room, t);
  }
  ctx.sendTo(t, { type: 'moderated', action: 'mute', kind, by, ...(force ? { forced: true } : {}) });
  ctx.log.info('participant muted', { room: room.name, participantId: t.id, kind, forced: force, by: by.id });
}

/** `release`: a forced mute ends. Nothing when the device was not held. */
function release(ctx: CoreContext, room: Room, t: Participant, kind: 'audio' | 'video', by: Moderator): void {
  if (!t.forced.delete(kind)) return;
  sfuHold(ctx, room, t.id, kind, false);
  ctx.sendTo(t, { type: 'moderated', action: 'release', kind, by });
  announceUpdate(ctx, room, t);
  ctx.log.info('participant released', { room: room.name, participantId: t.id, kind, by: by.id });
}
