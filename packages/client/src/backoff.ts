/**
 * Reconnect delays: exponential backoff with jitter, capped.
 *
 * delay(n) = min(maxMs, initialMs × factor^n) × (1 − jitter × r), r uniform in [0, 1),
 * so the cap is never exceeded and clients that lost the same server spread out.
 */
export interface BackoffOptions {
  /** Delay before the first retry, in ms. Default 250. */
  initialMs?: number;
  /** Largest delay, in ms. Default 5000. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Fraction of the delay that is randomised away, 0–1. Default 0.3. */
  jitter?: number;
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { initialMs: 250, maxMs: 5000, factor: 2, jitter: 0.3 };

/** The delay before retry number `attempt` (0-based). `random` returns [0, 1). */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = {},
  random: () => number = Math.random,
): number {
  const o = { ...DEFAULT_BACKOFF, ...options };
  const jitter = Math.min(1, Math.max(0, o.jitter));
  const n = Math.max(0, Math.floor(attempt));
  const base = Math.min(o.maxMs, o.initialMs * o.factor ** Math.min(n, 64));
  return Math.max(0, Math.round(base * (1 - jitter * random())));
}
