/**
 * A Router: the media side of one room (mediasoup's model) and its packet hub. It owns the
 * room's WebRtcTransports; producers and consumers live on those. Producers hand their
 * packets to their consumers and to the room's RTP observers (rtp-observer.ts: active
 * speaker, …), which the Router gives every producer of the room and drives with a room
 * tick. Closing the router closes every transport, which closes their producers and
 * consumers, and then the observers.
 */
import { type Clock, type TimerHandle, TypedEmitter } from '@itda/common';
import { SfuError, SfuErrorCode } from './errors.ts';
import type { Producer } from './producer.ts';
import type { RtpObserver } from './rtp-observer.ts';
import type { WebRtcTransport } from './webrtc-transport.ts';

export interface RouterOptions {
  id: string;
  /** Most transports in this router. Default 2,000 (two per participant). */
  maxTransports?: number;
  /** Clock of the room tick. Needed to add observers; without one there is no tick. */
  clock?: Clock;
  /** Room tick interval, ms (observers' periodic work). Default 50, 10–1,000. */
  tickMs?: number;
}

export type RouterEvents = { closed: [] };

export class Router extends TypedEmitter<RouterEvents> {
  readonly id: string;
  readonly transports = new Map<string, WebRtcTransport>();
  readonly #maxTransports: number;
  readonly #observers: RtpObserver[] = [];
  readonly #clock: Clock | undefined;
  readonly #tickMs: number;
  #tick: TimerHandle | undefined;
  #closed = false;

  constructor(options: RouterOptions) {
    super();
    this.id = options.id;
    this.#maxTransports = options.maxTransports ?? 2000;
    this.#clock = options.clock;
    this.#tickMs = Math.min(1000, Math.max(10, Math.floor(options.tickMs ?? 50)));
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Adopts a transport created by the media server; it leaves the router when it closes. */
  adopt(transport: WebRtcTransport): void {
    if (this.#closed) throw new SfuError(SfuErrorCode.Closed, `router ${this.id} is closed`);
    if (this.transports.size >= this.#maxTransports) {
      transport.close('sfu_limit_reached');
      throw new SfuError(SfuErrorCode.LimitReached, `router ${this.id} has ${this.#maxTransports} transports`);
    }
    this.transports.set(transport.id, transport);
    transport.on('closed', () => this.transports.delete(transport.id));
    transport.on('producer', (producer) => {
      for (const o of this.#observers) this.#attach(o, producer);
    });
  }

  /**
   * Adds an RTP observer: it gets every producer of the room, now and later, and the room
   * tick. Closed with the router. Needs the router's `clock`.
   */
  observe(observer: RtpObserver): void {
    if (this.#closed) throw new SfuError(SfuErrorCode.Closed, `router ${this.id} is closed`);
    const clock = this.#clock;
    if (clock === undefined) throw new SfuError(SfuErrorCode.BadParameters, 'a router with observers needs a clock');
    this.#observers.push(observer);
    for (const producer of this.producers()) this.#attach(observer, producer);
    if (this.#tick === undefined) {
      const tick = (): void => {
        const now = clock.now();
        for (const o of this.#observers) o.tick(now);
        this.#tick = clock.setTimeout(tick, this.#tickMs);
      };
      this.#tick = clock.setTimeout(tick, this.#tickMs);
    }
  }

  #attach(observer: RtpObserver, producer: Producer): void {
    if (observer.addProducer(producer)) producer.observe(observer);
  }

  /** Every live producer of the room. */
  *producers(): IterableIterator<Producer> {
    for (const t of this.transports.values()) yield* t.producers.values();
  }

  /** Closes every transport (and so every producer and consumer), then the observers. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#tick?.cancel();
    this.#tick = undefined;
    for (const t of [...this.transports.values()]) t.close('router_closed');
    this.transports.clear();
    for (const o of this.#observers.splice(0)) o.close();
    this.emit('closed');
    this.removeAllListeners();
  }
}
