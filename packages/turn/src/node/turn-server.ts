/**
 * `TurnServer`: the TURN core (`protocol/`) on Node sockets — UDP, TCP and TLS client
 * listeners and one UDP relay socket per allocation.
 */

import { TurnError, TurnErrorCode } from '../protocol/errors.ts';
import type { TurnMetricsSnapshot } from '../protocol/metrics.ts';
import type { BoundAddress, TurnServerOptions } from './options.ts';

export class TurnServer {
  readonly #options: TurnServerOptions;

  constructor(options: TurnServerOptions = {}) {
    this.#options = options;
  }

  /** Binds every listener. Rejects with TurnError turn_listen_failed. */
  async start(): Promise<void> {
    void this.#options;
    throw new TurnError(TurnErrorCode.BadState, 'not implemented yet');
  }

  /** Addresses actually bound (port 0 resolved), in the order of `listen`. Empty before start(). */
  get addresses(): BoundAddress[] {
    return [];
  }

  /** A snapshot of the metrics (no per-user labels). */
  get metrics(): TurnMetricsSnapshot {
    throw new TurnError(TurnErrorCode.BadState, 'not implemented yet');
  }

  /** Closes every listener, connection, relay socket and timer. Idempotent. */
  async close(): Promise<void> {}
}
