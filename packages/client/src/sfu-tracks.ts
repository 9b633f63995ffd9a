/**
 * Bookkeeping of an `sfu` room's tracks, DOM-free (tested in Node):
 * - `publishSourceOf`: what a sending transceiver of the publish connection carries;
 * - `SubscribeTrackTable`: the subscribe connection's m-lines by mid, from each
 *   `subscribe` offer's `tracks` list, with what appeared and what went away (an
 *   m-line set to port 0, or a slot recycled with a fresh mid, RFC 8843 §7.3.3).
 */
import type { SfuTrackSource, SubscribeTrack } from '@itda/protocol';

/**
 * The source of a sending track: the screen share's tracks (those of `screen`) are
 * `screen` / `screen-audio`; the others `microphone` / `camera` by kind. A sender whose
 * track was replaced with null (camera off) keeps its kind's camera/microphone source.
 */
export function publishSourceOf(
  kind: string,
  track: { id: string } | null,
  screen: { getTracks(): { id: string }[] } | null,
): SfuTrackSource {
  const isScreen = track !== null && screen?.getTracks().some((t) => t.id === track.id) === true;
  if (kind === 'audio') return isScreen ? 'screen-audio' : 'microphone';
  return isScreen ? 'screen' : 'camera';
}

/** Camera and microphone share one remote stream per participant; a screen share (video + audio) another. */
export function streamGroupOf(source: SfuTrackSource): 'camera' | 'screen' {
  return source === 'screen' || source === 'screen-audio' ? 'screen' : 'camera';
}

export interface TrackTableChange {
  /** Mids new in this offer. */
  added: SubscribeTrack[];
  /** Mids of the previous offer that this one no longer lists. */
  removed: SubscribeTrack[];
}

export class SubscribeTrackTable {
  readonly #byMid = new Map<string, SubscribeTrack>();

  /** Replaces the table with an offer's `tracks`; returns what changed. */
  apply(tracks: readonly SubscribeTrack[]): TrackTableChange {
    const next = new Map<string, SubscribeTrack>();
    for (const t of tracks) next.set(t.mid, t);
    const added: SubscribeTrack[] = [];
    const removed: SubscribeTrack[] = [];
    for (const [mid, t] of this.#byMid) {
      const now = next.get(mid);
      if (now === undefined || now.participantId !== t.participantId || now.kind !== t.kind) removed.push(t);
    }
    for (const [mid, t] of next) {
      const before = this.#byMid.get(mid);
      if (before === undefined || before.participantId !== t.participantId || before.kind !== t.kind) added.push(t);
    }
    this.#byMid.clear();
    for (const [mid, t] of next) this.#byMid.set(mid, t);
    return { added, removed };
  }

  get(mid: string | null): SubscribeTrack | undefined {
    return mid === null ? undefined : this.#byMid.get(mid);
  }

  /** The tracks of one participant now. */
  ofParticipant(participantId: string): SubscribeTrack[] {
    return [...this.#byMid.values()].filter((t) => t.participantId === participantId);
  }

  get size(): number {
    return this.#byMid.size;
  }
}
