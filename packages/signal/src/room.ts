/** A room: its mode, capacity and participants (including those in resume grace). */
import type { ParticipantInfo, RoomMode } from '@itda/protocol';
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
    };
  }
}
