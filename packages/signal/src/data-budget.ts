/**
 * The `data` relay's budgets, in payload characters (docs/signaling.md, `data`): the
 * sender's own (`dataBytesPerSecond` / `dataBurstBytes` per connection) and its room's
 * (`roomDataBytesPerSecond` / `roomDataBurstBytes`), which every `data` of the room draws
 * from — a broadcast costs its payload once, as each member receives it once. So what any
 * one member is sent through the relay is bounded by the room's budget, however many
 * senders there are: thirty senders each within their own burst can no longer push thirty
 * bursts at every receiver at once.
 */
import { ErrorCode } from '@itda/protocol';
import type { Connection, CoreContext } from './context.ts';
import { TokenBucket } from './rate-limiter.ts';

/** Which budget a `data` message did not fit. */
export type DataRefusal = 'sender' | 'room';

/** Minimum time between two `rate_limited` errors on one connection, ms (as the core's). */
const ERROR_INTERVAL_MS = 1000;

/**
 * Takes `cost` from the sender's budget and its room's, or from neither: returns which one
 * is short. A sender not in a room (not joined yet) only has its own.
 */
export function takeDataBudget(ctx: CoreContext, conn: Connection, cost: number): DataRefusal | undefined {
  if (conn.dataBucket.available < cost) return 'sender';
  const p = conn.participant;
  const room = p === undefined ? undefined : ctx.rooms.get(p.room);
  let bucket: TokenBucket | undefined;
  if (room !== undefined) {
    room.dataBudget ??= new TokenBucket(ctx.clock, ctx.config.roomDataBytesPerSecond, ctx.config.roomDataBurstBytes);
    bucket = room.dataBudget;
    if (bucket.available < cost) return 'room';
  }
  conn.dataBucket.take(cost);
  bucket?.take(cost);
  return undefined;
}

/**
 * The room's budget is spent: the message is dropped and the sender told `rate_limited`
 * (`ref` `data`, at most once a second). It does not count toward the sender's flood
 * close — others' traffic used the budget.
 */
export function refuseRoomBusy(ctx: CoreContext, conn: Connection): void {
  ctx.metrics.countError('room_data_limited');
  const now = ctx.clock.now();
  if (now - conn.lastRateErrorAt < ERROR_INTERVAL_MS) return;
  conn.lastRateErrorAt = now;
  ctx.log.warn('bad input', {
    code: ErrorCode.RateLimited,
    detail: 'room data budget',
    connId: conn.id,
    participantId: conn.participant?.id,
    room: conn.participant?.room,
  });
  ctx.out.send(conn.id, {
    type: 'error',
    code: ErrorCode.RateLimited,
    message: `the room's data relay is over ${ctx.config.roomDataBytesPerSecond} characters/s (burst ${ctx.config.roomDataBurstBytes}); dropped`,
    ref: 'data',
  });
}
