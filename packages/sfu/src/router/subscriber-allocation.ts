/**
 * Spends one subscriber transport's send-side bandwidth estimate (bwe/) on what it
 * receives, on the transport's tick (issue 14): the Allocator (allocation/) picks a
 * simulcast layer per video consumer — audio first, screen share before cameras, each
 * capped by the quality the subscriber asked for — and this sets the consumers'
 * `bandwidthRank`, stops (`starved`) a video whose lowest layer has not fitted for
 * `STARVE_AFTER_MS`, and tells the probe controller what the subscriber would take with
 * no limit — as an estimate, that is with the budget share and the upgrade headroom on
 * top, else the estimate would stop just short of what an upgrade needs — so probes look
 * for the room to climb back.
 *
 * Every `ALLOCATE_EVERY_MS`, and at once when the estimate drops by more than a quarter
 * (mediasoup's rule). The budget is `BUDGET_SHARE` of the estimate (the rest for
 * retransmissions and RTCP). Only once feedback has come: a transport whose subscriber
 * sends no transport-cc is left as it was.
 */
import { Allocator, type AllocTrack, UPGRADE_HEADROOM } from '../allocation/index.ts';
import type { TransportBwe } from '../bwe/index.ts';
import type { Consumer } from './consumer.ts';

export const ALLOCATE_EVERY_MS = 500;
export const BUDGET_SHARE = 0.9;
export const STARVE_AFTER_MS = 2000;
/** A layer not measured yet counts as this much, bit/s (so it can be chosen). */
const MIN_LAYER_BPS = 30_000;
const AUDIO_BPS = 40_000;

/** What the allocation uses of a transport's estimate. */
export type AllocationEstimate = Pick<TransportBwe, 'feedbacks' | 'estimateBps' | 'want'>;

export class SubscriberAllocation {
  readonly #consumers: ReadonlyMap<string, Consumer>;
  readonly #bwe: AllocationEstimate;
  readonly #allocator = new Allocator();
  #lastMs = Number.NEGATIVE_INFINITY;
  #lastBudget = 0;
  /** Since when each video's lowest layer has not fitted. */
  readonly #unfitSince = new Map<string, number>();
  /** Consumers of the last allocation (the allocator forgets the ones that went). */
  #known = new Set<string>();

  constructor(consumers: ReadonlyMap<string, Consumer>, bwe: AllocationEstimate) {
    this.#consumers = consumers;
    this.#bwe = bwe;
  }

  tick(nowMs: number): void {
    if (this.#bwe.feedbacks === 0) return;
    const budget = this.#bwe.estimateBps * BUDGET_SHARE;
    if (nowMs - this.#lastMs < ALLOCATE_EVERY_MS && budget >= 0.75 * this.#lastBudget) return;
    this.#lastMs = nowMs;
    this.#lastBudget = budget;
    const tracks: AllocTrack[] = [];
    const byId = new Map<string, Consumer>();
    for (const c of this.#consumers.values()) {
      if (c.closed || c.paused) continue;
      byId.set(c.id, c);
      const p = c.producer;
      if (c.kind === 'audio') {
        tracks.push({ id: c.id, kind: 'audio', source: 'audio', bps: Math.max(p.layers[0]?.bitrate ?? 0, AUDIO_BPS) });
        continue;
      }
      const ranked = p.rankedLayers;
      tracks.push({
        id: c.id,
        kind: 'video',
        source: p.source === 'screen' ? 'screen' : 'camera',
        // Width stands for the position in the ranking, so the subscriber's quality caps it.
        layers: ranked.map((index, pos) => ({
          index,
          width: pos,
          bps: Math.max(p.layers[index]?.bitrate ?? 0, MIN_LAYER_BPS * (pos + 1)),
        })),
        renderWidth: Math.max(0, ranked.length - 1 - c.preferredRank),
      });
    }
    const allocation = this.#allocator.allocate(budget, tracks, nowMs);
    for (const a of allocation.tracks) {
      const c = byId.get(a.id);
      if (c === undefined || c.kind !== 'video') continue;
      if (a.layer === null) {
        const since = this.#unfitSince.get(a.id) ?? nowMs;
        this.#unfitSince.set(a.id, since);
        if (nowMs - since >= STARVE_AFTER_MS) c.starved = true;
        else c.bandwidthRank = 99; // the lowest layer meanwhile
        continue;
      }
      this.#unfitSince.delete(a.id);
      c.starved = false;
      const ranked = c.producer.rankedLayers;
      const pos = ranked.indexOf(a.layer);
      c.bandwidthRank = pos < 0 ? 0 : ranked.length - 1 - pos;
    }
    for (const id of this.#unfitSince.keys()) if (!byId.has(id)) this.#unfitSince.delete(id);
    for (const id of this.#known) if (!byId.has(id)) this.#allocator.remove(id);
    this.#known = new Set(byId.keys());
    // Probe for what an upgrade needs: the budget share and the allocator's headroom on top of the layers.
    this.#bwe.want((allocation.wantBps * UPGRADE_HEADROOM) / BUDGET_SHARE);
  }
}
