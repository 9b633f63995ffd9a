/**
 * Restarts ICE (RFC 8445 §9) on a peer connection that went `failed`, or stayed
 * `disconnected` for `disconnectedMs`. The restart itself is the caller's: a publish
 * connection makes an offer with `iceRestart: true`, a subscribe connection asks the
 * server with `resubscribe { iceRestart: true }`.
 */
import type { Clock, TimerHandle } from '@itda/common';

export interface IceWatchOptions {
  clock: Clock;
  /** Time in `disconnected` before a restart, ms. Default 4000. */
  disconnectedMs?: number;
  /** Least time between two restarts, ms. Default 5000. */
  minIntervalMs?: number;
  restart: () => void;
}

export class IceWatch {
  readonly #pc: RTCPeerConnection;
  readonly #o: IceWatchOptions;
  #timer: TimerHandle | undefined;
  #lastRestart = Number.NEGATIVE_INFINITY;
  #stopped = false;

  constructor(pc: RTCPeerConnection, options: IceWatchOptions) {
    this.#pc = pc;
    this.#o = options;
  }

  /** Call on every `iceconnectionstatechange`. */
  onStateChange(): void {
    if (this.#stopped) return;
    this.#timer?.cancel();
    this.#timer = undefined;
    const state = this.#pc.iceConnectionState;
    if (state === 'failed') this.#restart();
    else if (state === 'disconnected') {
      this.#timer = this.#o.clock.setTimeout(() => {
        this.#timer = undefined;
        if (this.#pc.iceConnectionState === 'disconnected') this.#restart();
      }, this.#o.disconnectedMs ?? 4000);
    }
  }

  /** True when ICE is `failed` or `disconnected` (worth restarting after a signaling outage). */
  get broken(): boolean {
    const s = this.#pc.iceConnectionState;
    return s === 'failed' || s === 'disconnected';
  }

  /** Restarts now unless one happened within `minIntervalMs`. */
  #restart(): void {
    const now = this.#o.clock.now();
    if (now - this.#lastRestart < (this.#o.minIntervalMs ?? 5000)) {
      // Try again once the interval has passed, if still broken.
      this.#timer = this.#o.clock.setTimeout(
        () => {
          this.#timer = undefined;
          if (this.broken) this.#restart();
        },
        (this.#o.minIntervalMs ?? 5000) - (now - this.#lastRestart),
      );
      return;
    }
    this.#lastRestart = now;
    this.#o.restart();
  }

  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }
}
