/**
 * Connection quality of one participant's downlink, in three words the page can show on a
 * tile (issue 14): `good`, `poor`, `lost`. From what the SFU knows of its subscriber
 * transport — loss, round-trip time, jitter, and how its bandwidth estimate compares with
 * what its tiles want — scored as LiveKit and Jitsi do in spirit: a mean-opinion-like
 * score from loss, delay and jitter (the E-model's shape, ITU-T G.107, simplified), made
 * poor by an estimate well under what is wanted (the allocator had to hold video down or
 * stop it), and `lost` when nothing has come back for `LOST_AFTER_MS`.
 *
 * Hysteresis: a worse word is taken at once; a better one only after it has held for
 * `BETTER_AFTER_MS`, so a tile does not blink between words.
 */

export type ConnectionQuality = 'good' | 'poor' | 'lost';

export interface QualityInput {
  /** Fraction of packets lost (0–1) over the last few seconds. */
  loss: number;
  /** Round-trip time, ms (undefined: not known yet). */
  rttMs?: number | undefined;
  /** Interarrival jitter, ms. */
  jitterMs?: number | undefined;
  /** The downlink estimate, bit/s. */
  estimateBps?: number | undefined;
  /** What the participant's tiles would take with no limit, bit/s. */
  wantBps?: number | undefined;
  /** ms since the last feedback or report from the participant. */
  silentMs: number;
}

export const LOST_AFTER_MS = 5000;
export const BETTER_AFTER_MS = 3000;
/** An estimate under this share of what is wanted makes the connection poor. */
export const STARVED_SHARE = 0.5;

/**
 * A score from 1 (bad) to 4.5 (best): the E-model's R from effective latency and loss,
 * mapped to a MOS (ITU-T G.107 Annex B). Pure; exported for tests.
 */
export function opinionScore(loss: number, rttMs = 100, jitterMs = 0): number {
  const latency = rttMs / 2 + 2 * jitterMs + 10;
  let r = latency < 160 ? 93.2 - latency / 40 : 93.2 - (latency - 120) / 10;
  r -= 2.5 * Math.min(Math.max(loss, 0), 1) * 100;
  if (r < 0) return 1;
  return Math.min(4.5, 1 + 0.035 * r + 0.000007 * r * (r - 60) * (100 - r));
}

/** The word for one reading, without hysteresis. */
export function qualityOf(q: QualityInput): ConnectionQuality {
  if (q.silentMs >= LOST_AFTER_MS) return 'lost';
  if (opinionScore(q.loss, q.rttMs, q.jitterMs) < 3.5) return 'poor';
  if (q.estimateBps !== undefined && q.wantBps !== undefined && q.wantBps > 0) {
    if (q.estimateBps < STARVED_SHARE * q.wantBps) return 'poor';
  }
  return 'good';
}

const RANK: Record<ConnectionQuality, number> = { good: 0, poor: 1, lost: 2 };

/** One participant's word over time, with the hysteresis. */
export class QualityTracker {
  #word: ConnectionQuality = 'good';
  #better: { word: ConnectionQuality; sinceMs: number } | undefined;

  get quality(): ConnectionQuality {
    return this.#word;
  }

  /** A new reading; returns the word when it changed, else undefined. */
  update(q: QualityInput, nowMs: number): ConnectionQuality | undefined {
    const word = qualityOf(q);
    if (RANK[word] > RANK[this.#word]) {
      this.#word = word;
      this.#better = undefined;
      return word;
    }
    if (word === this.#word) {
      this.#better = undefined;
      return undefined;
    }
    if (this.#better === undefined || this.#better.word !== word) this.#better = { word, sinceMs: nowMs };
    if (nowMs - this.#better.sinceMs < BETTER_AFTER_MS) return undefined;
    this.#word = word;
    this.#better = undefined;
    return word;
  }
}
