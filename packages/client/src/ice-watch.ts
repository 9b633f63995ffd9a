/**
 * Restarts ICE (RFC 8445 §9) on a peer connection that went `failed` (ICE, or the whole
 * connection: DTLS), stayed `disconnected` for `disconnectedMs`, or — once told a
 * connection is expected (`expectConnection`) — did not come up within `connectMs`
 * (a negotiation that left the server without our parameters leaves ICE `checking`
 * for ever). The restart itself is the caller's: a publish connection makes an offer with
 * `iceRestart: true`, a subscribe connection asks the server with
 * `resubscribe { iceRestart: true }`.
 */
import type { Clock, TimerHandle } from '@itda/common';

export interface IceWatchOptions {
  clock: Clock;
  /** Time in `disconnected` before a restart, ms. Default 4000. */
  disconnectedMs?: number;
  /** Least time between two restarts, ms. Default 5000. */
  minIntervalMs?: number;
  /** Time for an expected connection to come up before a restart, ms. Default 15,000. */
  connectMs?: number;
  restart: () => void;
}

export class IceWatch {
  readonly #pc: RTCPeerConnection;
  readonly #o: IceWatchOptions;
  #timer: TimerHandle | undefined;
  #connectTimer: TimerHandle | undefined;
  #lastRestart = Number.NEGATIVE_INFINITY;
  #stopped = false;

  constructor(pc: RTCPeerConnection, options: IceWatchOptions) {
    this.#pc = pc;
    this.#o = options;
    // The owner may use `onconnectionstatechange` for itself: listen beside it.
    pc.addEventListener('connectionstatechange', () => this.onStateChange());
  }

  /** True when ICE is connected (or completed) and so is the connection as a whole. */
  get connected(): boolean {
    const ice = this.#pc.iceConnectionState;
    return (ice === 'connected' || ice === 'completed') && this.#pc.connectionState !== 'failed';
  }

  /**
   * A description that needs the connection was applied: restart if it is not up within
   * `connectMs`. A deadline already running is kept.
   */
  expectConnection(): void {
    if (this.#stopped || this.#connectTimer !== undefined || this.connected) return;
    this.#connectTimer = this.#o.clock.setTimeout(() => {
      this.#connectTimer = undefined;
      if (!this.#stopped && !this.connected) this.#restart();
    }, this.#o.connectMs ?? 15_000);
  }

  /** Call on every `iceconnectionstatechange` (`connectionstatechange` is followed by itself). */
  onStateChange(): void {
    if (this.#stopped) return;
    this.#timer?.cancel();
    this.#timer = undefined;
    if (this.connected) {
      this.#connectTimer?.cancel();
      this.#connectTimer = undefined;
    }
    const state = this.#pc.iceConnectionState;
    if (state === 'failed' || this.#pc.connectionState === 'failed') this.#restart();
    else if (state === 'disconnected') {
      this.#timer = this.#o.clock.setTimeout(() => {
        this.#timer = undefined;
        if (this.#pc.iceConnectionState === 'disconnected') this.#restart();
      }, this.#o.disconnectedMs ?? 4000);
    }
  }

  /** True when ICE or the connection is `failed`, or ICE `disconnected` (worth restarting after a signaling outage). */
  get broken(): boolean {
    const s = this.#pc.iceConnectionState;
    return s === 'failed' || s === 'disconnected' || this.#pc.connectionState === 'failed';
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
    this.#connectTimer?.cancel();
    this.#connectTimer = undefined;
  }
}
