/**
 * The rooms of one server: create, find, list, delete, and the empty-room grace —
 * a room created by a join is closed `emptyRoomGraceMs` after its last participant
 * leaves, unless someone joins meanwhile. Rooms created by the API live until deleted.
 */
import type { Clock, TimerHandle } from '@itda/common';
import { ROOM_NAME_PATTERN, type RoomMode } from '@itda/protocol';
import { SignalError, SignalErrorCode } from './errors.ts';
import { Room, type RoomOrigin } from './room.ts';

export interface CreateRoomOptions {
  name: string;
  /** Default: the server's `defaultRoomMode`. */
  mode?: RoomMode;
  /** Default: the server's `roomCapacity` (`sfuRoomCapacity` for `sfu` rooms). */
  capacity?: number;
  /** Default `api`. */
  origin?: RoomOrigin;
}

export interface RegistryOptions {
  clock: Clock;
  /** ms since the epoch, for `createdAt`. */
  wallClock: () => number;
  emptyRoomGraceMs: number;
  defaultCapacity: number;
  /** Capacity of `sfu` rooms created without one. Default `defaultCapacity`. */
  sfuCapacity?: number;
  /** Mode of rooms created without one. Default `p2p`. */
  defaultMode?: RoomMode;
  supportedModes: readonly RoomMode[];
  /** Called when a room is closed because it stayed empty. */
  onEmptyClose?: (room: Room) => void;
}

export class RoomRegistry {
  readonly #rooms = new Map<string, Room>();
  readonly #emptyTimers = new Map<string, TimerHandle>();
  readonly #options: RegistryOptions;

  constructor(options: RegistryOptions) {
    this.#options = options;
  }

  get size(): number {
    return this.#rooms.size;
  }

  get(name: string): Room | undefined {
    return this.#rooms.get(name);
  }

  list(): Room[] {
    return [...this.#rooms.values()];
  }

  /**
   * Creates a room. Throws `bad_message` for a bad name or capacity, `unsupported_mode`
   * for a mode this server cannot run yet, `room_exists` when the name is taken.
   */
  create(options: CreateRoomOptions): Room {
    const mode = options.mode ?? this.#options.defaultMode ?? 'p2p';
    if (!ROOM_NAME_PATTERN.test(options.name)) {
      throw new SignalError('bad_message', 'room names are 1–64 of A–Z a–z 0–9 . _ ~ -', { status: 400 });
    }
    if (!this.#options.supportedModes.includes(mode)) {
      throw new SignalError(SignalErrorCode.UnsupportedMode, `room mode "${mode}" is not supported yet`, {
        status: 400,
      });
    }
    const capacity =
      options.capacity ??
      (mode === 'sfu' ? (this.#options.sfuCapacity ?? this.#options.defaultCapacity) : this.#options.defaultCapacity);
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > 1000) {
      throw new SignalError('bad_message', 'capacity must be an integer from 1 to 1000', { status: 400 });
    }
    if (this.#rooms.has(options.name)) {
      throw new SignalError(SignalErrorCode.RoomExists, `room "${options.name}" already exists`, { status: 409 });
    }
    const room = new Room({
      name: options.name,
      mode,
      capacity,
      origin: options.origin ?? 'api',
      createdAt: this.#options.wallClock(),
    });
    this.#rooms.set(room.name, room);
    if (room.origin === 'join') this.noteEmpty(room);
    return room;
  }

  /** Removes a room (its participants must have been dealt with). Returns false when unknown. */
  delete(name: string): boolean {
    this.#emptyTimers.get(name)?.cancel();
    this.#emptyTimers.delete(name);
    return this.#rooms.delete(name);
  }

  /** Call when a room may have become empty: starts its grace timer (join-created rooms only). */
  noteEmpty(room: Room): void {
    if (room.size > 0 || room.origin !== 'join' || this.#emptyTimers.has(room.name)) return;
    const timer = this.#options.clock.setTimeout(() => {
      this.#emptyTimers.delete(room.name);
      if (room.size > 0 || this.#rooms.get(room.name) !== room) return;
      this.#rooms.delete(room.name);
      this.#options.onEmptyClose?.(room);
    }, this.#options.emptyRoomGraceMs);
    this.#emptyTimers.set(room.name, timer);
  }

  /** Call when someone joins: cancels the empty-room timer. */
  noteOccupied(room: Room): void {
    this.#emptyTimers.get(room.name)?.cancel();
    this.#emptyTimers.delete(room.name);
  }

  /** Cancels every timer and forgets every room. */
  clear(): void {
    for (const t of this.#emptyTimers.values()) t.cancel();
    this.#emptyTimers.clear();
    this.#rooms.clear();
  }
}
