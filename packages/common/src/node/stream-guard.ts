/**
 * `StreamGuard`: the limits of one TCP (or TLS) listener that strangers can reach — the
 * SFU's ICE-TCP port, TURN's TCP and TLS listeners. Each accepted socket is
 *
 * - refused (destroyed at once) when the listener holds `maxConnections`, when its source
 *   (`sourceKey`: an IPv4 address or an IPv6 /64) holds `maxPerSource`, or when a budget
 *   shared with the other listeners is used up;
 * - closed when it has not proved itself (`established()`, asked by the owner: a valid
 *   ICE check, a TURN allocation) `handshakeTimeoutMs` after it was accepted — a deadline,
 *   not reset by traffic, so trickling bytes does not keep a connection;
 * - closed after `idleTimeoutMs` without a byte either way, unless the owner's
 *   `keepIdle()` says it may stay (a TURN connection holding an allocation, whose lifetime
 *   already bounds it).
 *
 * Every refusal and timeout is counted in `stats` and logged (warn), at most one line per
 * `LOG_INTERVAL_MS` per listener, with the count since the last line.
 */
import type { Socket } from 'node:net';
import type { Logger } from '../logger.ts';
import { silentLogger } from '../logger.ts';
import { ConnectionLimiter, type ConnectionRefusal, type SharedConnectionBudget } from './connection-limiter.ts';

/** At most one log line per listener this often, ms. */
export const LOG_INTERVAL_MS = 10_000;

/** Defaults of `StreamGuardOptions` (docs/server.md, "TCP connection limits"). */
export const STREAM_GUARD_DEFAULTS = {
  maxConnections: 10_000,
  maxPerSource: 128,
  handshakeTimeoutMs: 10_000,
  idleTimeoutMs: 60_000,
} as const;

/** Limits of a guarded listener, each validated at construction (RangeError). */
export interface StreamGuardLimits {
  /** Connections open at once on this listener. 1–1,000,000. Default 10,000. */
  maxConnections?: number | undefined;
  /**
   * Connections open at once from one source (an IPv4 address, an IPv6 /64). 1–1,000,000.
   * Default 128: a full default sfu room (50 participants, two connections each) behind
   * one NAT address, with room to spare.
   */
  maxPerSource?: number | undefined;
  /**
   * How long a new connection has to prove itself (TLS handshake included), ms.
   * 1,000–300,000. Default 10,000.
   */
  handshakeTimeoutMs?: number | undefined;
  /** Time without a byte either way after which a connection is closed, ms. 1,000–3,600,000. Default 60,000. */
  idleTimeoutMs?: number | undefined;
}

export interface StreamGuardOptions extends StreamGuardLimits {
  /** The listener's name: the `listener` field of log lines and the metric label (`ice_tcp`, `turn_tls`). */
  name: string;
  /** A budget shared with other listeners of the process (the descriptor reserve). */
  shared?: SharedConnectionBudget | undefined;
  logger?: Logger | undefined;
  /** Clock for log rate limiting, ms. Default `Date.now`. */
  now?: () => number;
}

/** What the owner of a connection tells the guard about it. */
export interface GuardHooks {
  /** Asked at the handshake deadline: has the connection proved itself? False closes it. */
  established(): boolean;
  /** Asked when it has been idle `idleTimeoutMs`: may it stay open? Default: no. */
  keepIdle?(): boolean;
}

/** Why the guard closed an accepted connection (stable codes). */
export type GuardClose = 'handshake_timeout' | 'idle_timeout';

export interface StreamGuardStats {
  /** Connections refused at accept, by reason. */
  readonly refused: Record<ConnectionRefusal, number>;
  /** Accepted connections the guard closed, by reason. */
  readonly closed: Record<GuardClose, number>;
}

const RANGES: Record<keyof StreamGuardLimits, [number, number]> = {
  maxConnections: [1, 1_000_000],
  maxPerSource: [1, 1_000_000],
  handshakeTimeoutMs: [1_000, 300_000],
  idleTimeoutMs: [1_000, 3_600_000],
};

/** Fills the defaults and checks each limit's range; throws RangeError naming the bad one. */
export function resolveStreamGuardLimits(limits: StreamGuardLimits): Required<{
  [K in keyof StreamGuardLimits]: number;
}> {
  const out = { ...STREAM_GUARD_DEFAULTS } as { [K in keyof StreamGuardLimits]-?: number };
  for (const key of Object.keys(RANGES) as (keyof StreamGuardLimits)[]) {
    const v = limits[key];
    if (v === undefined) continue;
    const [min, max] = RANGES[key];
    if (!Number.isInteger(v) || v < min || v > max) {
      throw new RangeError(`${key} must be an integer from ${min} to ${max}, got ${v}`);
    }
    out[key] = v;
  }
  return out;
}

export class StreamGuard {
  readonly name: string;
  readonly limits: Required<{ [K in keyof StreamGuardLimits]: number }>;
  readonly stats: StreamGuardStats = {
    refused: { total_limit: 0, source_limit: 0, shared_limit: 0 },
    closed: { handshake_timeout: 0, idle_timeout: 0 },
  };
  readonly #limiter: ConnectionLimiter;
  readonly #log: Logger;
  readonly #now: () => number;
  /** Events since the last log line, by code. */
  readonly #unlogged = new Map<string, number>();
  #lastLog = Number.NEGATIVE_INFINITY;

  constructor(options: StreamGuardOptions) {
    this.name = options.name;
    this.limits = resolveStreamGuardLimits(options);
    this.#limiter = new ConnectionLimiter({
      maxConnections: this.limits.maxConnections,
      maxPerSource: this.limits.maxPerSource,
      shared: options.shared,
    });
    this.#log = options.logger ?? silentLogger;
    this.#now = options.now ?? Date.now;
  }

  /** Connections open now on this listener. */
  get open(): number {
    return this.#limiter.open;
  }

  /**
   * Call first thing for each accepted socket (for TLS: the raw socket of the
   * `connection` event, before the handshake). Returns false when it was refused — it is
   * then destroyed and the caller must not use it.
   */
  admit(socket: Socket, hooks: GuardHooks): boolean {
    const ip = socket.remoteAddress;
    if (ip === undefined) {
      socket.destroy();
      return false;
    }
    const refusal = this.#limiter.admit(ip);
    if (refusal !== undefined) {
      this.stats.refused[refusal]++;
      this.#note(refusal, ip);
      socket.destroy();
      return false;
    }
    let released = false;
    const deadline = setTimeout(() => {
      if (socket.destroyed || hooks.established()) return;
      this.#closeFor('handshake_timeout', socket, ip);
    }, this.limits.handshakeTimeoutMs);
    deadline.unref();
    const idleMs = this.limits.idleTimeoutMs;
    socket.setTimeout(idleMs);
    socket.on('timeout', () => {
      if (hooks.keepIdle?.() === true) {
        socket.setTimeout(idleMs);
        return;
      }
      this.#closeFor('idle_timeout', socket, ip);
    });
    socket.once('close', () => {
      clearTimeout(deadline);
      if (released) return;
      released = true;
      this.#limiter.release(ip);
    });
    return true;
  }

  #closeFor(reason: GuardClose, socket: Socket, ip: string): void {
    if (socket.destroyed) return;
    this.stats.closed[reason]++;
    this.#note(reason, ip);
    socket.destroy();
  }

  /** One warn line now, or a count for the next line (at most one per LOG_INTERVAL_MS). */
  #note(code: string, ip: string): void {
    this.#unlogged.set(code, (this.#unlogged.get(code) ?? 0) + 1);
    const now = this.#now();
    if (now - this.#lastLog < LOG_INTERVAL_MS) return;
    this.#lastLog = now;
    const counts = Object.fromEntries(this.#unlogged);
    this.#unlogged.clear();
    this.#log.warn('tcp connection limit', {
      code,
      listener: this.name,
      source: ip,
      counts,
      open: this.#limiter.open,
      limits: { ...this.limits },
    });
  }
}
