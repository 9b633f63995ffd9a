/**
 * `SfuClient`: the SFU as its users see it — the signaling core (it is an `SfuBackend`
 * of `@itda/signal`) and the WHIP/WHEP endpoint. Every method turns into one message on
 * an `SfuLink` (messages.ts); nothing is read from the SFU's objects and nothing
 * returns before the SFU has acted, so the SFU behind the link may be in another thread
 * or process.
 *
 * ```ts
 * const link = localSfuLink();
 * new SfuHost({ service, link: link.host });
 * const sfu = new SfuClient({ link: link.client });
 * sfu.addParticipant(info, (msg) => deliver(msg));        // `published`, `subscribe`, … arrive later
 * sfu.publish(room, id, { type: 'publish', sdp, tracks: [] });
 * const { ice, candidates } = await sfu.restartIce(room, id, remoteUfrag);
 * ```
 */
import { type Clock, ItdaError, type Logger, silentLogger, systemClock, type TimerHandle } from '@itda/common';
import type { PublishMessage, QualityMessage, ResubscribeMessage, SubscribedMessage } from '@itda/protocol';
import { SfuErrorCode } from '../router/errors.ts';
import type { SfuOutMessage, SfuParticipantInfo } from '../session/types.ts';
import type {
  IceRestartResult,
  PlayResult,
  SfuCallErrorCode,
  SfuCallResults,
  SfuEvent,
  SfuLink,
  SfuRequest,
  SfuTransportRole,
} from './messages.ts';

export interface SfuClientOptions {
  link: SfuLink<SfuRequest, SfuEvent>;
  clock?: Clock;
  logger?: Logger;
  /**
   * A call (`restartIce`, `play`, `restartPlayerIce`) the SFU has not answered within
   * this time fails with `sfu_unavailable`. Default 10,000 ms, 1 ms – 10 minutes.
   */
  callTimeoutMs?: number;
}

/** A failed call: `code` as the SFU gave it (`sfu_not_found`, an SDP code, …) or `sfu_unavailable`. */
export class SfuCallError extends ItdaError {
  override readonly name = 'SfuCallError';
  declare readonly code: SfuCallErrorCode;
  constructor(code: SfuCallErrorCode, message: string) {
    super(code, message);
  }
}

/** A transport of a participant connected or closed (SfuClient.watchTransports). */
export interface SfuTransportChange {
  role: SfuTransportRole;
  state: 'connected' | 'closed';
  reason?: string;
}

/** A `play` request without its envelope: room, `playerId` (unique among the client's live players), offer, … */
export type PlayRequest = Omit<Extract<SfuRequest, { type: 'play' }>, 'type' | 'call'>;

interface PendingCall {
  resolve(result: unknown): void;
  reject(err: Error): void;
  timer: TimerHandle;
}

const key = (room: string, participantId: string): string => `${room}\n${participantId}`;

export class SfuClient {
  readonly modes = ['sfu'] as const;
  readonly #link: SfuLink<SfuRequest, SfuEvent>;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #callTimeoutMs: number;
  readonly #senders = new Map<string, (msg: SfuOutMessage) => void>();
  readonly #watchers = new Map<string, (change: SfuTransportChange) => void>();
  readonly #players = new Map<string, (reason: string) => void>();
  readonly #calls = new Map<number, PendingCall>();
  #nextCall = 0;
  #closed = false;

  constructor(options: SfuClientOptions) {
    const timeout = options.callTimeoutMs ?? 10_000;
    if (!Number.isInteger(timeout) || timeout < 1 || timeout > 600_000) {
      throw new RangeError(`callTimeoutMs must be an integer 1–600000, got ${timeout}`);
    }
    this.#link = options.link;
    this.#clock = options.clock ?? systemClock;
    this.#log = options.logger ?? silentLogger;
    this.#callTimeoutMs = timeout;
    this.#link.onMessage((event) => {
      try {
        this.#receive(event);
      } catch (err) {
        this.#log.error('sfu event handler failed', { err, event: event.type });
      }
    });
  }

  /** A participant is in an `sfu` room; what the SFU says to it goes to `send`, later and in order. */
  addParticipant(p: SfuParticipantInfo, send: (msg: SfuOutMessage) => void): void {
    this.#senders.set(key(p.room, p.id), send);
    this.#post({
      type: 'join',
      participant: { room: p.room, id: p.id, name: p.name, canPublish: p.canPublish, canSubscribe: p.canSubscribe },
    });
  }

  publish(room: string, participantId: string, message: PublishMessage): void {
    this.#post({ type: 'publish', room, participantId, message });
  }

  subscribed(room: string, participantId: string, message: SubscribedMessage): void {
    this.#post({ type: 'subscribed', room, participantId, message });
  }

  resubscribe(room: string, participantId: string, message: ResubscribeMessage): void {
    this.#post({ type: 'resubscribe', room, participantId, message });
  }

  setQuality(room: string, participantId: string, message: QualityMessage): void {
    this.#post({ type: 'quality', room, participantId, message });
  }

  resumed(room: string, participantId: string): void {
    this.#post({ type: 'resumed', room, participantId });
  }

  /** Forward none of the participant's microphone (`audio`) or camera (`video`) while `held`. */
  holdMedia(room: string, participantId: string, kind: 'audio' | 'video', held: boolean): void {
    this.#post({ type: 'hold', room, participantId, kind, held });
  }

  /** The participant left for good; nothing more is delivered for it. */
  removeParticipant(room: string, participantId: string): void {
    this.#senders.delete(key(room, participantId));
    this.#watchers.delete(key(room, participantId));
    this.#post({ type: 'leave', room, participantId });
  }

  closeRoom(room: string): void {
    const prefix = key(room, '');
    for (const k of [...this.#senders.keys()]) if (k.startsWith(prefix)) this.#senders.delete(k);
    for (const k of [...this.#watchers.keys()]) if (k.startsWith(prefix)) this.#watchers.delete(k);
    this.#post({ type: 'close-room', room });
  }

  /**
   * Tells `listener` when a transport of this participant connects or closes (the WHIP
   * endpoint frees a publisher whose transport died). One listener per participant;
   * it goes with `removeParticipant`.
   */
  watchTransports(room: string, participantId: string, listener: (change: SfuTransportChange) => void): void {
    this.#watchers.set(key(room, participantId), listener);
  }

  /** ICE restart of the participant's publish transport. Rejects with SfuCallError (`sfu_not_found`: no transport). */
  restartIce(room: string, participantId: string, remoteUfrag: string): Promise<IceRestartResult> {
    return this.#call('restart-ice', (call) => ({ type: 'restart-ice', call, room, participantId, remoteUfrag }));
  }

  /**
   * A WHEP player. `onClosed` is called once when it ends for any reason but `stopPlayer`.
   * Rejects with SfuCallError: `sfu_not_found` (nothing to play), an SDP code (bad offer),
   * `sfu_limit_reached`, `sfu_closed`, `sfu_unavailable`.
   */
  async play(request: PlayRequest, onClosed: (reason: string) => void): Promise<PlayResult> {
    if (this.#players.has(request.playerId)) {
      throw new SfuCallError(SfuErrorCode.Duplicate, `player ${request.playerId} exists already`);
    }
    this.#players.set(request.playerId, onClosed);
    try {
      return await this.#call('play', (call) => ({ type: 'play', call, ...request }));
    } catch (err) {
      this.#players.delete(request.playerId);
      throw err;
    }
  }

  restartPlayerIce(playerId: string, remoteUfrag: string): Promise<IceRestartResult> {
    return this.#call('restart-player-ice', (call) => ({ type: 'restart-player-ice', call, playerId, remoteUfrag }));
  }

  /**
   * Resolves when the SFU has handled every request sent before it, and every event it
   * posted meanwhile has been delivered (the link keeps order). Rejects `sfu_unavailable`.
   */
  async ping(): Promise<void> {
    await this.#call('ping', (call) => ({ type: 'ping', call }));
  }

  /** Ends a player (its `onClosed` is not called). */
  stopPlayer(playerId: string, reason: string): void {
    this.#players.delete(playerId);
    this.#post({ type: 'stop-player', playerId, reason });
  }

  /** Fails the calls still waiting (`sfu_unavailable`), forgets every participant and player, closes the link. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const [call, pending] of this.#calls) {
      this.#calls.delete(call);
      pending.timer.cancel();
      pending.reject(new SfuCallError('sfu_unavailable', 'the SFU client closed'));
    }
    this.#senders.clear();
    this.#watchers.clear();
    this.#players.clear();
    this.#link.close();
  }

  #post(request: SfuRequest): void {
    if (!this.#closed) this.#link.post(request);
  }

  #call<T extends keyof SfuCallResults>(_type: T, build: (call: number) => SfuRequest): Promise<SfuCallResults[T]> {
    if (this.#closed) return Promise.reject(new SfuCallError('sfu_unavailable', 'the SFU client is closed'));
    const call = ++this.#nextCall;
    return new Promise<SfuCallResults[T]>((resolve, reject) => {
      const timer = this.#clock.setTimeout(() => {
        this.#calls.delete(call);
        reject(new SfuCallError('sfu_unavailable', `the SFU did not answer within ${this.#callTimeoutMs} ms`));
      }, this.#callTimeoutMs);
      // The host answers a call of type T with SfuCallResults[T] (SfuHost.#answer).
      this.#calls.set(call, { resolve: resolve as (result: unknown) => void, reject, timer });
      this.#link.post(build(call));
    });
  }

  #receive(event: SfuEvent): void {
    switch (event.type) {
      case 'message':
        this.#senders.get(key(event.room, event.participantId))?.(event.message);
        return;
      case 'transport':
        this.#watchers.get(key(event.room, event.participantId))?.({
          role: event.role,
          state: event.state,
          ...(event.reason === undefined ? {} : { reason: event.reason }),
        });
        return;
      case 'player-closed': {
        const onClosed = this.#players.get(event.playerId);
        this.#players.delete(event.playerId);
        onClosed?.(event.reason);
        return;
      }
      case 'reply':
      case 'failed': {
        const pending = this.#calls.get(event.call);
        if (pending === undefined) return; // timed out already
        this.#calls.delete(event.call);
        pending.timer.cancel();
        if (event.type === 'reply') pending.resolve(event.result);
        else pending.reject(new SfuCallError(event.code, event.message));
      }
    }
  }
}
