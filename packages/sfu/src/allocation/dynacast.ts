/**
 * Dynacast (after LiveKit's): a publisher encodes only the simulcast layers someone
 * watches. Per published video track, the highest layer any subscriber needs — its
 * rendered size, whatever its bandwidth, so a throttled viewer can climb back without
 * waiting for the publisher — decides which layers stay on: that one and every layer below
 * it (the lower ones are the throttled viewers' fallback). A higher need turns layers on at
 * once; a lower one only after it has held for `DYNACAST_DOWN_DELAY_MS` (LiveKit waits
 * 5 s), so a flapping tile or estimate does not make the encoder churn. No subscriber at
 * all: every layer off, after the same delay. Sans-IO; layers are counted from the lowest
 * (0) up.
 */

export const DYNACAST_DOWN_DELAY_MS = 5000;

interface TrackState {
  /** Highest layer on now; null: all off. */
  top: number | null;
  /** A lower need, since when, and the highest need seen while it held. */
  lower: { sinceMs: number; top: number | null } | undefined;
}

const above = (a: number | null, b: number | null): boolean => (a ?? -1) > (b ?? -1);

export class Dynacast {
  readonly #tracks = new Map<string, TrackState>();

  /**
   * The subscribers of `trackId` together need layers up to `needed` (null: none). Returns
   * the highest layer to keep on, and whether that changed in this call.
   */
  update(trackId: string, needed: number | null, nowMs: number): { top: number | null; changed: boolean } {
    const s = this.#tracks.get(trackId);
    if (s === undefined) {
      this.#tracks.set(trackId, { top: needed, lower: undefined });
      return { top: needed, changed: true };
    }
    if (!above(s.top, needed)) {
      s.lower = undefined;
      if (above(needed, s.top)) {
        s.top = needed;
        return { top: needed, changed: true };
      }
      return { top: s.top, changed: false };
    }
    if (s.lower === undefined) s.lower = { sinceMs: nowMs, top: needed };
    else if (above(needed, s.lower.top)) s.lower.top = needed;
    if (nowMs - s.lower.sinceMs < DYNACAST_DOWN_DELAY_MS) return { top: s.top, changed: false };
    s.top = s.lower.top;
    s.lower = undefined;
    return { top: s.top, changed: true };
  }

  remove(trackId: string): void {
    this.#tracks.delete(trackId);
  }
}
