/**
 * Spends one subscriber's bandwidth estimate (bwe/) on the tracks it receives, on the
 * Router's tick (issue 14). Sans-IO: `allocate` takes the estimate, the tracks and the
 * time, and returns the layer each video track should get; it keeps only the hysteresis
 * state between calls.
 *
 * Order: audio first (it always flows; its bitrate comes off the budget), then video by
 * priority — screen share, then pinned, then the active speaker, then the rest (ties keep
 * the caller's order). Pass 1 gives each visible video its lowest layer while that fits
 * (everyone gets a picture before anyone a better one); pass 2 raises them greedily in
 * priority order — the first as far as it goes, then the next — up to the layer the
 * subscriber renders (the smallest layer at least as wide as its tile, or the top), while
 * the budget lasts. A hidden track gets nothing. A track whose lowest layer does not fit
 * is paused for this subscriber ("Video paused: poor connection"); its audio goes on.
 *
 * Hysteresis (the numbers are the module's constants):
 * - down at once: when the tracks' current layers no longer fit the budget, the
 *   allocation is recomputed on the spot;
 * - up only after holding: a higher layer is taken only once it has fitted, with
 *   `UPGRADE_HEADROOM` (15 %) to spare, for `UPGRADE_HOLD_MS` (3 s) without a break, and
 *   no sooner than `MIN_LAYER_MS` (2 s) after the track's last change. mediasoup
 *   reallocates each second and at once on a > 25 % drop, and holds a layer ≥ 2 s.
 * A visibility or size change applies at once (the subscriber asked for it).
 */

export type TrackSource = 'camera' | 'screen' | 'audio';

export interface AllocLayer {
  /** The producer layer's index (what the consumer is told to forward). */
  index: number;
  width: number;
  /** Measured bitrate of the layer, bit/s. */
  bps: number;
}

export interface AllocTrack {
  id: string;
  kind: 'audio' | 'video';
  source: TrackSource;
  /** Audio: its bitrate, bit/s. */
  bps?: number;
  /** Video: the layers the publisher sends now, any order. */
  layers?: readonly AllocLayer[];
  /** The subscriber shows it (adaptive stream); default true. */
  visible?: boolean;
  /** Width the subscriber renders it at, CSS pixels × devicePixelRatio; default: any (the top layer). */
  renderWidth?: number;
  pinned?: boolean;
  activeSpeaker?: boolean;
}

export type PauseReason = 'hidden' | 'bandwidth' | 'no-layers';

export interface TrackAllocation {
  id: string;
  /** The layer index to forward, or null: paused for this subscriber. */
  layer: number | null;
  reason?: PauseReason;
  bps: number;
}

export interface Allocation {
  tracks: TrackAllocation[];
  /** Bit/s the allocation spends. */
  usedBps: number;
  /** What the tracks would take with no limit (visible ones at their rendered size): the probe controller's want. */
  wantBps: number;
  /** Track ids whose layer changed in this call. */
  changed: string[];
}

export const UPGRADE_HEADROOM = 1.15;
export const UPGRADE_HOLD_MS = 3000;
export const MIN_LAYER_MS = 2000;

interface TrackState {
  layer: number | null;
  changedAtMs: number;
  /** The higher layer that fits now, and since when. */
  upgrade: { layer: number; sinceMs: number } | undefined;
  visible: boolean;
  renderWidth: number | undefined;
}

const rank = (t: AllocTrack): number =>
  t.source === 'screen' ? 0 : t.pinned === true ? 1 : t.activeSpeaker === true ? 2 : 3;

export class Allocator {
  readonly #state = new Map<string, TrackState>();

  /** Forgets a track (unsubscribed). */
  remove(id: string): void {
    this.#state.delete(id);
  }

  allocate(budgetBps: number, tracks: readonly AllocTrack[], nowMs: number): Allocation {
    const out = new Map<string, TrackAllocation>();
    let left = budgetBps;
    let want = 0;
    for (const t of tracks) {
      if (t.kind !== 'audio') continue;
      const bps = t.bps ?? 0;
      left -= bps;
      want += bps;
      out.set(t.id, { id: t.id, layer: 0, bps });
    }
    const videos = tracks
      .filter((t) => t.kind === 'video')
      .map((t, order) => ({ t, order, ladder: ladderOf(t) }))
      .sort((a, b) => rank(a.t) - rank(b.t) || a.order - b.order);
    // What fits with no hysteresis: the "ideal" for this budget, and what may go up.
    const ideal = new Map<string, number | null>();
    const headroomIdeal = new Map<string, number | null>();
    for (const fit of [
      { map: ideal, factor: 1 },
      { map: headroomIdeal, factor: UPGRADE_HEADROOM },
    ]) {
      let budget = left;
      const picks = new Map<string, number>(); // position in ladder
      for (const v of videos) {
        if (v.t.visible === false || v.ladder.length === 0) continue;
        const low = v.ladder[0] as AllocLayer;
        if (low.bps * fit.factor <= budget) {
          picks.set(v.t.id, 0);
          budget -= low.bps * fit.factor;
        }
      }
      // Then up, greedily in priority order: the first track as far as it goes, then the next.
      for (const v of videos) {
        let at = picks.get(v.t.id);
        if (at === undefined) continue;
        while (at + 1 < v.ladder.length) {
          const step = ((v.ladder[at + 1] as AllocLayer).bps - (v.ladder[at] as AllocLayer).bps) * fit.factor;
          if (step > budget) break;
          budget -= step;
          at++;
        }
        picks.set(v.t.id, at);
      }
      for (const v of videos) {
        const at = picks.get(v.t.id);
        fit.map.set(v.t.id, at === undefined ? null : (v.ladder[at] as AllocLayer).index);
      }
    }
    // Hysteresis per track against its current layer.
    const changed: string[] = [];
    let used = 0;
    const chosen = new Map<string, number | null>();
    const bpsOf = (v: (typeof videos)[number], index: number | null): number =>
      index === null ? 0 : (v.ladder.find((l) => l.index === index)?.bps ?? 0);
    const pos = (v: (typeof videos)[number], index: number | null): number =>
      index === null ? -1 : v.ladder.findIndex((l) => l.index === index);
    for (const v of videos) {
      const s = this.#state.get(v.t.id);
      const visible = v.t.visible !== false;
      const target = ideal.get(v.t.id) ?? null;
      if (s === undefined || s.visible !== visible || s.renderWidth !== v.t.renderWidth || !visible) {
        chosen.set(v.t.id, target); // new, or the subscriber changed what it shows: at once
        continue;
      }
      const current = pos(v, s.layer) < 0 ? null : s.layer; // a layer that stopped counts as none
      if (pos(v, target) <= pos(v, current)) {
        chosen.set(v.t.id, target); // same or down: at once
        continue;
      }
      // Up: only to what fits with headroom, after holding, and not too soon after a change.
      const up = headroomIdeal.get(v.t.id) ?? null;
      if (pos(v, up) <= pos(v, current)) {
        s.upgrade = undefined;
        chosen.set(v.t.id, current);
        continue;
      }
      // The hold restarts when what fits falls back; a higher fit keeps the time already held.
      if (s.upgrade === undefined || pos(v, up) < pos(v, s.upgrade.layer))
        s.upgrade = { layer: up as number, sinceMs: nowMs };
      else s.upgrade.layer = up as number;
      const ready = nowMs - s.upgrade.sinceMs >= UPGRADE_HOLD_MS && nowMs - s.changedAtMs >= MIN_LAYER_MS;
      // A paused track starts at once with whatever fits: a picture beats a held rule.
      chosen.set(v.t.id, ready || current === null ? (ready ? up : target) : current);
    }
    // The hysteresis keeps some tracks higher than the ideal: trim in reverse priority while over budget.
    let total = videos.reduce((sum, v) => sum + bpsOf(v, chosen.get(v.t.id) ?? null), 0);
    for (let i = videos.length - 1; i >= 0 && total > left; i--) {
      const v = videos[i] as (typeof videos)[number];
      const was = chosen.get(v.t.id) ?? null;
      const to = ideal.get(v.t.id) ?? null;
      if (pos(v, to) < pos(v, was)) {
        total -= bpsOf(v, was) - bpsOf(v, to);
        chosen.set(v.t.id, to);
      }
    }
    for (const v of videos) {
      const layer = chosen.get(v.t.id) ?? null;
      const s = this.#state.get(v.t.id);
      if (s === undefined || s.layer !== layer) {
        changed.push(v.t.id);
        this.#state.set(v.t.id, {
          layer,
          changedAtMs: nowMs,
          upgrade: undefined,
          visible: v.t.visible !== false,
          renderWidth: v.t.renderWidth,
        });
      } else {
        s.visible = v.t.visible !== false;
        s.renderWidth = v.t.renderWidth;
        if (layer === (s.upgrade?.layer ?? -1)) s.upgrade = undefined;
      }
      const bps = bpsOf(v, layer);
      used += bps;
      if (v.t.visible !== false) want += v.ladder[v.ladder.length - 1]?.bps ?? 0;
      const reason: PauseReason | undefined =
        layer !== null
          ? undefined
          : v.t.visible === false
            ? 'hidden'
            : v.ladder.length === 0
              ? 'no-layers'
              : 'bandwidth';
      out.set(v.t.id, { id: v.t.id, layer, bps, ...(reason === undefined ? {} : { reason }) });
    }
    for (const t of tracks) if (t.kind === 'audio') used += t.bps ?? 0;
    return { tracks: tracks.map((t) => out.get(t.id) as TrackAllocation), usedBps: used, wantBps: want, changed };
  }
}

/**
 * The layers a subscriber may get, cheapest first, up to the one it renders: the smallest
 * at least as wide as its tile (the top one when none is, or no width is known).
 */
function ladderOf(t: AllocTrack): AllocLayer[] {
  const layers = [...(t.layers ?? [])].filter((l) => l.bps > 0).sort((a, b) => a.bps - b.bps || a.width - b.width);
  const w = t.renderWidth;
  if (w === undefined) return layers;
  const enough = layers.findIndex((l) => l.width >= w);
  return enough < 0 ? layers : layers.slice(0, enough + 1);
}
