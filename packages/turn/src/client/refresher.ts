/**
 * Keeping a client's allocation, permissions and channels alive (RFC 8656 §8, §9, §12):
 * timers on the injected Clock that call back into the client.
 */
import type { Clock, TimerHandle } from '@itda/common';
import type { TransportAddress } from '@itda/stun';
import { TurnClientError } from './errors.ts';

/** RFC 8656 §9: permissions last 300 s; refreshed a minute early. */
export const PERMISSION_REFRESH_MS = 240_000;
/** RFC 8656 §12: channel bindings last 600 s; refreshed a minute early. */
export const CHANNEL_REFRESH_MS = 540_000;

/** What the refresher calls. Each returns a promise; a rejection goes to `failed`. */
export interface RefreshActions {
  allocation(): Promise<unknown>;
  permissions(peers: string[]): Promise<unknown>;
  channel(channel: number, peer: TransportAddress): Promise<unknown>;
  failed(err: TurnClientError): void;
}

/**
 * Schedules refreshes: the allocation 60 s before it expires (or at half its lifetime
 * when that is under 2 minutes), each permission every 240 s, each channel every 540 s.
 * Disabled: every method is a no-op.
 */
export class Refresher {
  readonly #clock: Clock;
  readonly #enabled: boolean;
  readonly #actions: RefreshActions;
  #allocationTimer: TimerHandle | undefined;
  readonly #permissionTimers = new Map<string, TimerHandle>();
  readonly #channelTimers = new Map<number, TimerHandle>();

  constructor(clock: Clock, enabled: boolean, actions: RefreshActions) {
    this.#clock = clock;
    this.#enabled = enabled;
    this.#actions = actions;
  }

  /** Timers running. */
  get pending(): number {
    return (this.#allocationTimer === undefined ? 0 : 1) + this.#permissionTimers.size + this.#channelTimers.size;
  }

  /** The allocation has `lifetime` seconds from now. */
  allocated(lifetime: number): void {
    if (!this.#enabled) return;
    this.#allocationTimer?.cancel();
    const ms = lifetime >= 120 ? (lifetime - 60) * 1000 : (lifetime * 1000) / 2;
    this.#allocationTimer = this.#clock.setTimeout(() => {
      this.#allocationTimer = undefined;
      this.#run(this.#actions.allocation());
    }, ms);
  }

  /** Permissions for `peers` were installed just now. */
  permitted(peers: readonly string[]): void {
    if (!this.#enabled) return;
    for (const peer of peers) {
      this.#permissionTimers.get(peer)?.cancel();
      this.#permissionTimers.set(
        peer,
        this.#clock.setTimeout(() => {
          this.#permissionTimers.delete(peer);
          this.#run(this.#actions.permissions([peer]));
        }, PERMISSION_REFRESH_MS),
      );
    }
  }

  /** `channel` was bound to `peer` just now (which also refreshes the peer's permission). */
  bound(channel: number, peer: TransportAddress): void {
    if (!this.#enabled) return;
    this.#channelTimers.get(channel)?.cancel();
    this.#channelTimers.set(
      channel,
      this.#clock.setTimeout(() => {
        this.#channelTimers.delete(channel);
        this.#run(this.#actions.channel(channel, peer));
      }, CHANNEL_REFRESH_MS),
    );
  }

  /** Cancels every timer. */
  clear(): void {
    this.#allocationTimer?.cancel();
    this.#allocationTimer = undefined;
    for (const t of this.#permissionTimers.values()) t.cancel();
    for (const t of this.#channelTimers.values()) t.cancel();
    this.#permissionTimers.clear();
    this.#channelTimers.clear();
  }

  #run(p: Promise<unknown>): void {
    p.catch((err: unknown) => {
      this.#actions.failed(
        err instanceof TurnClientError
          ? err
          : new TurnClientError('turn_client_transport', 'a refresh failed', { cause: err }),
      );
    });
  }
}
