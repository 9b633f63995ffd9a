/**
 * Token buckets per source IP, for answers to unauthenticated requests: beyond the
 * rate, requests are dropped silently so the server cannot be used to amplify traffic
 * towards a spoofed source (RFC 8489 §16.1.1 discusses STUN reflection).
 */

interface Bucket {
  tokens: number;
  at: number;
}

/** Per-key token buckets with a bounded number of keys. */
export class SourceRateLimiter {
  readonly #rate: number;
  readonly #burst: number;
  readonly #maxKeys: number;
  readonly #buckets = new Map<string, Bucket>();

  /**
   * @param perSecond refill rate.
   * @param burst bucket size.
   * @param maxKeys most sources tracked at once; a new source beyond that is refused. Default 100,000.
   */
  constructor(perSecond: number, burst: number, maxKeys = 100_000) {
    this.#rate = perSecond / 1000;
    this.#burst = burst;
    this.#maxKeys = maxKeys;
  }

  /** Takes one token for `key` at `nowMs`; false when none is left. */
  take(key: string, nowMs: number): boolean {
    let b = this.#buckets.get(key);
    if (b === undefined) {
      if (this.#buckets.size >= this.#maxKeys) return false;
      b = { tokens: this.#burst, at: nowMs };
      this.#buckets.set(key, b);
    } else {
      b.tokens = Math.min(this.#burst, b.tokens + (nowMs - b.at) * this.#rate);
      b.at = nowMs;
    }
    if (b.tokens < 1) return false;
    b.tokens -= 1;
    return true;
  }

  /** Forgets sources whose bucket has refilled (idle ones). */
  prune(nowMs: number): void {
    for (const [key, b] of this.#buckets) {
      if (b.tokens + (nowMs - b.at) * this.#rate >= this.#burst) this.#buckets.delete(key);
    }
  }

  get size(): number {
    return this.#buckets.size;
  }
}

/** A token bucket for bytes (bandwidth quota), refilled continuously. */
export class ByteBucket {
  tokens: number;
  at: number;
  readonly #rate: number;
  readonly #burst: number;

  /** @param bytesPerSecond refill rate; the burst is one second's worth. */
  constructor(bytesPerSecond: number, nowMs: number) {
    this.#rate = bytesPerSecond / 1000;
    this.#burst = bytesPerSecond;
    this.tokens = bytesPerSecond;
    this.at = nowMs;
  }

  /** Takes `n` bytes; false (and takes nothing) when there are not enough. */
  take(n: number, nowMs: number): boolean {
    if (nowMs !== this.at) {
      this.tokens = Math.min(this.#burst, this.tokens + (nowMs - this.at) * this.#rate);
      this.at = nowMs;
    }
    if (this.tokens < n) return false;
    this.tokens -= n;
    return true;
  }
}
