/**
 * Rooms in `sfu` mode: the core's side of the SfuBackend contract (sfu-backend.ts) —
 * validating, authorising and routing `publish` / `subscribed` / `resubscribe` to the
 * backend, telling it about joins, resumes, departures and closed rooms — and the
 * `data` relay (chat and files without a browser-to-browser data channel).
 * A backend that throws never takes the core down: lifecycle calls are logged, message
 * calls become an `error` to the sender only.
 */
import { isItdaError } from '@itda/common';
import {
  type DataMessage,
  ErrorCode,
  type PublishMessage,
  type QualityMessage,
  type ResubscribeMessage,
  SFU_ERROR_CODES,
  type SubscribedMessage,
} from '@itda/protocol';
import type { Connection, CoreContext } from './context.ts';
import { SignalError } from './errors.ts';
import type { Participant } from './participant.ts';
import type { Room } from './room.ts';
import type { SfuBackend } from './sfu-backend.ts';

const refuse = (code: ErrorCode, message: string, ref: string): SignalError => new SignalError(code, message, { ref });

function requireJoined(conn: Connection, ref: string): Participant {
  if (conn.participant === undefined) throw refuse(ErrorCode.NotJoined, 'join a room first', ref);
  return conn.participant;
}

/** The backend of an `sfu` room, or undefined for any other room. */
function backendOf(ctx: CoreContext, room: Room | undefined): SfuBackend | undefined {
  return room?.mode === 'sfu' ? ctx.config.sfu : undefined;
}

/** Runs a lifecycle call on the backend; a throw is logged, never propagated. */
function lifecycle(ctx: CoreContext, what: string, fields: Record<string, unknown>, call: () => void): void {
  try {
    call();
  } catch (err) {
    ctx.metrics.countError(ErrorCode.SfuUnavailable);
    ctx.log.error('sfu backend failed', { what, err, ...fields });
  }
}

/**
 * publish / subscribed / resubscribe / quality: only in `sfu` rooms (`not_sfu_room`), only with
 * the grant (`forbidden`: `canPublish` for publish, `canSubscribe` for the others).
 * The backend answers through its `send`. A backend throw with one of `SFU_ERROR_CODES`
 * becomes that error; any other throw is `internal` (the core's handler-failure path).
 */
export function handleSfuMessage(
  ctx: CoreContext,
  conn: Connection,
  msg: PublishMessage | SubscribedMessage | ResubscribeMessage | QualityMessage,
): void {
  const p = requireJoined(conn, msg.type);
  const room = ctx.rooms.get(p.room);
  if (room?.mode !== 'sfu') throw refuse(ErrorCode.NotSfuRoom, 'this room does not use the SFU', msg.type);
  const sfu = ctx.config.sfu;
  if (sfu === undefined) throw refuse(ErrorCode.SfuUnavailable, 'no media server is available', msg.type);
  if (msg.type === 'publish' && !p.grants.canPublish) {
    throw refuse(ErrorCode.Forbidden, 'the token does not grant publishing media', msg.type);
  }
  if (msg.type !== 'publish' && !p.grants.canSubscribe) {
    throw refuse(ErrorCode.Forbidden, 'the token does not grant subscribing to media', msg.type);
  }
  try {
    if (msg.type === 'publish') sfu.publish(room.name, p.id, msg);
    else if (msg.type === 'subscribed') sfu.subscribed(room.name, p.id, msg);
    else if (msg.type === 'quality') sfu.setQuality(room.name, p.id, msg);
    else sfu.resubscribe(room.name, p.id, msg);
  } catch (err) {
    if (isItdaError(err) && SFU_ERROR_CODES.has(err.code)) {
      throw new SignalError(err.code, err.message, { ref: msg.type, cause: err });
    }
    throw err;
  }
}

/**
 * `data`: relayed as `{type:'data', from, payload}` to `to`, or without `to` to every
 * other participant of the room. Recipients in resume grace miss it, and so do those
 * whose connection is backed up (it is sent droppable). The budgets are checked by the
 * core before this runs (data-budget.ts).
 */
export function handleData(ctx: CoreContext, conn: Connection, msg: DataMessage): void {
  const sender = requireJoined(conn, 'data');
  const room = ctx.rooms.get(sender.room);
  const relayed = { type: 'data' as const, from: sender.id, payload: msg.payload };
  if (msg.to !== undefined) {
    const target = msg.to === sender.id ? undefined : room?.participants.get(msg.to);
    if (target === undefined) {
      throw refuse(ErrorCode.UnknownParticipant, `no participant "${msg.to.slice(0, 64)}" in this room`, 'data');
    }
    ctx.sendTo(target, relayed, true);
    return;
  }
  if (room === undefined) return;
  for (const other of room.others(sender.id)) ctx.sendTo(other, relayed, true);
}

/** After `joined` in an `sfu` room: the participant joins the media session. */
export function sfuJoined(ctx: CoreContext, room: Room, p: Participant): void {
  const sfu = backendOf(ctx, room);
  if (sfu === undefined) return;
  const info = {
    room: room.name,
    id: p.id,
    name: p.name,
    canPublish: p.grants.canPublish,
    canSubscribe: p.grants.canSubscribe,
  };
  try {
    sfu.addParticipant(info, (msg) => ctx.sendTo(p, msg));
  } catch (err) {
    ctx.metrics.countError(ErrorCode.SfuUnavailable);
    ctx.log.error('sfu backend failed', { what: 'addParticipant', err, room: room.name, participantId: p.id });
    ctx.sendTo(p, {
      type: 'error',
      code: ErrorCode.SfuUnavailable,
      message: 'the media server could not take this participant',
      ref: 'join',
    });
  }
}

/** After `resumed`: the backend resends what the participant may have missed. */
export function sfuResumed(ctx: CoreContext, room: Room | undefined, p: Participant): void {
  const sfu = backendOf(ctx, room);
  if (sfu === undefined || room === undefined) return;
  lifecycle(ctx, 'resumed', { room: room.name, participantId: p.id }, () => sfu.resumed(room.name, p.id));
}

/** The participant left for good. */
export function sfuRemoved(ctx: CoreContext, room: Room, participantId: string): void {
  const sfu = backendOf(ctx, room);
  if (sfu === undefined) return;
  lifecycle(ctx, 'removeParticipant', { room: room.name, participantId }, () =>
    sfu.removeParticipant(room.name, participantId),
  );
}

/** A host forced a participant's microphone or camera off, or released it. */
export function sfuHold(
  ctx: CoreContext,
  room: Room,
  participantId: string,
  kind: 'audio' | 'video',
  held: boolean,
): void {
  const sfu = backendOf(ctx, room);
  if (sfu?.holdMedia === undefined) return;
  lifecycle(ctx, 'holdMedia', { room: room.name, participantId, kind, held }, () =>
    sfu.holdMedia?.(room.name, participantId, kind, held),
  );
}

/** The room was deleted, expired or the server is shutting down. */
export function sfuRoomClosed(ctx: CoreContext, room: Room): void {
  const sfu = backendOf(ctx, room);
  if (sfu === undefined) return;
  lifecycle(ctx, 'closeRoom', { room: room.name }, () => sfu.closeRoom(room.name));
}
