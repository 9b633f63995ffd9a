/** A room: its mode, capacity and participants (including those in resume grace), and its moderation state. */
import type { Grants, MediaState, ParticipantInfo, RoomMode, RoomState } from '@itda/protocol';
import type { Participant } from './participant.ts';
import type { TokenBucket } from './rate-limiter.ts';

/** `api`: created by `POST /api/rooms`, lives until deleted. `join`: created by a join, closed when empty. */
export type RoomOrigin = 'api' | 'join';

/** A room as the HTTP API shows it. */
export interface RoomInfo {
  name: string;
  mode: RoomMode;
  capacity: number;
  origin: RoomOrigin;
  /** ms since the epoch */
  createdAt: number;
  participants: (ParticipantInfo & { connected: boolean })[];
  /** Joins refused (`room_locked`) / newcomers wait in the lobby. */
  locked: boolean;
  lobby: boolean;
  /** Newcomers waiting in the lobby. */
  knocking: { id: string; name: string; identity: string | null; since: number }[];
}

/** A newcomer waiting in the lobby: what its `join` would make once admitted. */
export interface Knock {
  readonly id: string;
  readonly connId: string;
  readonly name: string;
  readonly identity: string | null;
  readonly grants: Grants;
  readonly media: MediaState;
  /** ms since the epoch */
  readonly since: number;
}

export class Room {
  readonly name: string;
  readonly mode: RoomMode;
  readonly capacity: number;
  readonly origin: RoomOrigin;
  readonly createdAt: number;
  readonly participants = new Map<string, Participant>();
  /** The room's `data` relay budget (data-budget.ts), made on the first `data`. */
  dataBudget: TokenBucket | undefined;
  /** Joins refused with `room_locked`, except with a `roomAdmin` token. */
  locked = false;
  /** Newcomers without a `roomAdmin` token wait in `knocks` until a host admits or denies them. */
  lobby = false;
  readonly knocks = new Map<string, Knock>();
  /** Removed by a host for the room's lifetime: their identities and resume tokens are refused. */
  readonly bannedIdentities = new Set<string>();
  readonly bannedResumeTokens = new Set<string>();

  constructor(init: { name: string; mode: RoomMode; capacity: number; origin: RoomOrigin; createdAt: number }) {
    this.name = init.name;
    this.mode = init.mode;
    this.capacity = init.capacity;
    this.origin = init.origin;
    this.createdAt = init.createdAt;
  }

  get size(): number {
    return this.participants.size;
  }

  /** Participants in grace hold their place: they count against the capacity. */
  isFull(): boolean {
    return this.participants.size >= this.capacity;
  }

  get state(): RoomState {
    return { locked: this.locked, lobby: this.lobby };
  }

  /** The participants who may moderate (`grants.roomAdmin`). */
  *hosts(): IterableIterator<Participant> {
    for (const p of this.participants.values()) if (p.grants.roomAdmin === true) yield p;
  }

  hasHost(): boolean {
    return !this.hosts().next().done;
  }

  /** Everyone except `id`. */
  *others(id: string): IterableIterator<Participant> {
    for (const p of this.participants.values()) if (p.id !== id) yield p;
  }

  info(): RoomInfo {
    return {
      name: this.name,
      mode: this.mode,
      capacity: this.capacity,
      origin: this.origin,
      createdAt: this.createdAt,
      participants: [...this.participants.values()].map((p) => ({ ...p.info(), connected: p.connId !== null })),
      locked: this.locked,
      lobby: this.lobby,
      knocking: [...this.knocks.values()].map((k) => ({
        id: k.id,
        name: k.name,
        identity: k.identity,
        since: k.since,
      })),
    };
  }
}
