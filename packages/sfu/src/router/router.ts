/**
 * A Router: the media side of one room (mediasoup's model). It owns the room's
 * WebRtcTransports; producers and consumers live on those. Closing the router closes
 * every transport, which closes their producers and consumers.
 */
import { TypedEmitter } from '@itda/common';
import { SfuError, SfuErrorCode } from './errors.ts';
import type { Producer } from './producer.ts';
import type { WebRtcTransport } from './webrtc-transport.ts';

export interface RouterOptions {
  id: string;
  /** Most transports in this router. Default 2,000 (two per participant). */
  maxTransports?: number;
}

export type RouterEvents = { closed: [] };

export class Router extends TypedEmitter<RouterEvents> {
  readonly id: string;
  readonly transports = new Map<string, WebRtcTransport>();
  readonly #maxTransports: number;
  #closed = false;

  constructor(options: RouterOptions) {
    super();
    this.id = options.id;
    this.#maxTransports = options.maxTransports ?? 2000;
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
  }

  /** Every live producer of the room. */
  *producers(): IterableIterator<Producer> {
    for (const t of this.transports.values()) yield* t.producers.values();
  }

  /** Closes every transport (and so every producer and consumer). Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of [...this.transports.values()]) t.close('router_closed');
    this.transports.clear();
    this.emit('closed');
    this.removeAllListeners();
  }
}
