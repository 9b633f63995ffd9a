/**
 * Participants without a WebSocket: a WHIP publisher (RFC 9725) is a participant of its
 * room like any other — the others see `participant-joined` / `participant-left`, its
 * tracks reach them through the SFU — but it talks HTTP, not the signaling protocol.
 * `joinExternal` runs the same join path as `join` (room creation and mode rules,
 * capacity, `participant-joined`, `SfuBackend.addParticipant`); what the core would send
 * to the participant goes to its `deliver` callback instead.
 */
import {
  displayNameProblem,
  ErrorCode,
  type Grants,
  type LeaveReason,
  type MediaState,
  type ServerMessage,
} from '@itda/protocol';
import type { CoreContext } from './context.ts';
import { SignalError } from './errors.ts';
import { NO_MEDIA, Participant } from './participant.ts';
import { sfuJoined } from './sfu-handlers.ts';

/** What the owner of an external participant (e.g. the WHIP endpoint) gives the core. */
export interface ExternalParticipantOptions {
  /** Display name shown to the others: the display-name rule of @itda/protocol (else `bad_message`), trimmed. */
  name: string;
  /** Identity from a token, or null. Default null. */
  identity?: string | null;
  /** Default: publish and subscribe; no renaming (it has no `update` to send). */
  grants?: Grants;
  /** Default: nothing on. */
  media?: MediaState;
  /**
   * May the room be created when it does not exist (open rooms, or a token for it)?
   * False: `room_not_found`. Default false.
   */
  create?: boolean;
  /** Refuse (`not_sfu_room` / `not_p2p_room`) unless the room is — or would be created — in this mode. */
  requireMode?: 'sfu' | 'p2p';
  /** Messages the core (or the SFU backend) sends to this participant, e.g. `published`. */
  deliver?: (message: ServerMessage) => void;
  /**
   * Called once when the participant is taken out of the room by someone else (kick,
   * room closed, server shutdown) — not after `removeExternalParticipant`.
   */
  onRemoved?: (reason: LeaveReason | 'room_closed' | 'server_shutdown') => void;
}

/** The core's record of one external participant. */
export interface ExternalHooks {
  deliver: ((message: ServerMessage) => void) | undefined;
  onRemoved: ExternalParticipantOptions['onRemoved'];
  /** Set once the owner removed it itself (no `onRemoved` then). */
  removing: boolean;
}

/** Connection ids of external participants: never a real connection's id (the ws adapter uses its own). */
export const EXTERNAL_CONN_PREFIX = 'external:';

/**
 * Joins an external participant to `roomName`. Throws `SignalError`: `bad_message` (the
 * name breaks the display-name rule), `room_not_found`, `not_sfu_room` / `not_p2p_room`
 * (see `requireMode`), `room_locked`, `banned`, `room_full`, `unsupported_mode`. Nothing
 * changes when it throws. A room's lobby does not hold it (it has no page to wait on).
 */
export function joinExternal(
  ctx: CoreContext,
  externals: Map<string, ExternalHooks>,
  roomName: string,
  options: ExternalParticipantOptions,
): Participant {
  const nameProblem = displayNameProblem(options.name);
  if (nameProblem !== undefined) throw new SignalError(ErrorCode.BadMessage, `name: ${nameProblem}`);
  let room = ctx.rooms.get(roomName);
  const mode = room?.mode ?? ctx.config.defaultRoomMode ?? 'p2p';
  if (options.requireMode !== undefined && mode !== options.requireMode) {
    throw new SignalError(
      options.requireMode === 'sfu' ? ErrorCode.NotSfuRoom : ErrorCode.NotP2pRoom,
      `room "${roomName}" is in ${mode} mode`,
    );
  }
  if (room === undefined) {
    if (options.create !== true) throw new SignalError(ErrorCode.RoomNotFound, 'no such room');
    room = ctx.rooms.create({ name: roomName, origin: 'join' });
  }
  // A host's lock and bans hold for participants without a WebSocket too (a WHIP publisher).
  if (room.locked && options.grants?.roomAdmin !== true) {
    throw new SignalError(ErrorCode.RoomLocked, 'a host has locked this room');
  }
  if (options.identity != null && room.bannedIdentities.has(options.identity)) {
    throw new SignalError(ErrorCode.Banned, 'a host removed this identity from the room');
  }
  if (room.isFull()) throw new SignalError(ErrorCode.RoomFull, `the room is full (${room.capacity})`);

  const id = `p_${ctx.randomId(9)}`;
  const participant = new Participant({
    id,
    room: room.name,
    name: options.name.trim(),
    identity: options.identity ?? null,
    grants: options.grants ?? { canPublish: true, canSubscribe: true, canRename: false },
    media: options.media ?? NO_MEDIA,
    joinedAt: ctx.wallClock(),
    resumeToken: ctx.randomId(24),
    connId: `${EXTERNAL_CONN_PREFIX}${id}`,
  });
  externals.set(id, { deliver: options.deliver, onRemoved: options.onRemoved, removing: false });
  const others = [...room.participants.values()];
  room.participants.set(id, participant);
  ctx.participants.set(id, participant);
  ctx.rooms.noteOccupied(room);
  ctx.metrics.joins++;
  const info = participant.info();
  for (const other of others) ctx.sendTo(other, { type: 'participant-joined', participant: info });
  sfuJoined(ctx, room, participant);
  ctx.log.info('external participant joined', { room: room.name, participantId: id, size: room.size });
  return participant;
}
