/**
 * One participant's session and its states:
 *
 * ```
 * joined ──socket drops──▶ disconnected (resume grace) ──resume──▶ joined
 *    │                            │
 *    └── leave / removed ──▶ left ◀── grace expires (reason `timeout`)
 * ```
 *
 * While `disconnected` the participant keeps its place in the room and the others see
 * nothing; relayed messages to it are dropped (the client restarts ICE after resuming).
 */
import type { Clock, TimerHandle } from '@itda/common';
import type { Grants, MediaState, ParticipantInfo } from '@itda/protocol';

export type ParticipantState = 'joined' | 'disconnected' | 'left';

export interface ParticipantInit {
  id: string;
  room: string;
  name: string;
  identity: string | null;
  grants: Grants;
  media: MediaState;
  /** ms since the epoch */
  joinedAt: number;
  resumeToken: string;
  connId: string;
}

export const NO_MEDIA: MediaState = { audio: false, video: false, screenStreamId: null };

export class Participant {
  readonly id: string;
  readonly room: string;
  readonly identity: string | null;
  readonly grants: Grants;
  readonly joinedAt: number;
  readonly resumeToken: string;
  name: string;
  media: MediaState;
  /** Devices a host forced off (`moderate` mute with `force`): `update` may not turn them on. */
  readonly forced = new Set<'audio' | 'video'>();
  #state: ParticipantState = 'joined';
  #connId: string | null;
  #grace: TimerHandle | undefined;

  constructor(init: ParticipantInit) {
    this.id = init.id;
    this.room = init.room;
    this.name = init.name;
    this.identity = init.identity;
    this.grants = init.grants;
    this.media = init.media;
    this.joinedAt = init.joinedAt;
    this.resumeToken = init.resumeToken;
    this.#connId = init.connId;
  }

  get state(): ParticipantState {
    return this.#state;
  }

  /** The connection carrying this session, or null while disconnected or after leaving. */
  get connId(): string | null {
    return this.#connId;
  }

  /**
   * The socket dropped: keep the place for `graceMs`, then call `onExpire`.
   * Only from `joined`; otherwise a no-op.
   */
  disconnect(clock: Clock, graceMs: number, onExpire: () => void): void {
    if (this.#state !== 'joined') return;
    this.#state = 'disconnected';
    this.#connId = null;
    this.#grace = clock.setTimeout(() => {
      this.#grace = undefined;
      if (this.#state === 'disconnected') onExpire();
    }, graceMs);
  }

  /**
   * Binds the session to a new connection (resume). Returns the connection it replaces,
   * if it was still bound to one. Throws when the participant has left.
   */
  resume(connId: string): string | null {
    if (this.#state === 'left') throw new Error('cannot resume a participant that has left');
    const previous = this.#connId;
    this.#grace?.cancel();
    this.#grace = undefined;
    this.#state = 'joined';
    this.#connId = connId;
    return previous;
  }

  /** Ends the session; idempotent. */
  leave(): void {
    this.#state = 'left';
    this.#connId = null;
    this.#grace?.cancel();
    this.#grace = undefined;
  }

  info(): ParticipantInfo {
    const info: ParticipantInfo = {
      id: this.id,
      name: this.name,
      identity: this.identity,
      joinedAt: this.joinedAt,
      media: this.media,
    };
    if (this.grants.roomAdmin === true) info.host = true;
    if (this.forced.size > 0) info.held = [...this.forced].sort();
    return info;
  }
}
