/**
 * Dominant speaker identification after Volfin and Cohen, "Dominant Speaker
 * Identification for Multipoint Videoconferencing" (Computer Speech & Language, 2013) —
 * the method Jitsi's DominantSpeakerIdentification and mediasoup's ActiveSpeakerObserver
 * use. Each speaker's audio levels (one per packet, ~20 ms) are scored on three time
 * scales: "immediate" (the level quantised into N1 = 13 sub-bands over the speaker's own
 * noise floor), "medium" (of N2 = 5 immediates, how many were loud) and "long" (of
 * N3 = 10 mediums, how many were active). Each score is the log-likelihood ratio of
 * speech against silence under a binomial model of the count with an exponential prior
 * (λ = 0.78, 24, 47). A challenger replaces the dominant speaker only when it beats the
 * dominant speaker on all three scales by the margins C1 = 3, C2 = 2, C3 = 0 (in log
 * ratio): short noises and interjections do not move the floor; speaking for a second or
 * two does.
 *
 * Two additions for a meeting UI: nobody is dominant until someone speaks (not "the first
 * to join"), and a dominant speaker who has stopped speaking (no level at or above the
 * speaking threshold for `holdMs`) gives way to whoever speaks now, the loudest first —
 * so a short remark in a silent room is shown at once, while in a conversation the
 * three-scale test decides. "Speaking" (per speaker, for the tile highlight) is the same
 * threshold and hold.
 *
 * Levels here are loudness, 0 (silence) – 127 (0 dBov): RFC 6464 carries −dBov, so the
 * caller passes 127 − that.
 */

const N1 = 13;
const N2 = 5;
const N3 = 10;
const MAX_LEVEL = 127;
/** Width of one immediate sub-band. */
const SUBUNIT = Math.ceil((MAX_LEVEL + 1) / N1);
/** Immediates kept: one long window (N3 mediums of N2 immediates). */
const IMMEDIATES = N2 * N3;
/** An immediate above this sub-band counts towards its medium; a medium above this counts towards the long. */
const MEDIUM_THRESHOLD = 7;
const LONG_THRESHOLD = 4;
/** The noise floor follows the quietest level over this many levels (15 s of 20 ms packets). */
const NOISE_FLOOR_WINDOW = 750;
const C1 = 3;
const C2 = 2;
const C3 = 0;
const MIN_SCORE = 1e-10;

function binomial(n: number, k: number): number {
  let r = 1;
  for (let i = 1; i <= k; i++) r = (r * (n - k + i)) / i;
  return r;
}

/** log P(count | speech) − log P(count | silence), floored: the activity score of one time scale. */
function activityScore(count: number, n: number, lambda: number): number {
  const p = 0.5;
  const score =
    Math.log(binomial(n, count)) +
    count * Math.log(p) +
    (n - count) * Math.log(1 - p) -
    Math.log(lambda) +
    lambda * count;
  return Math.max(MIN_SCORE, score);
}

/** One speaker's recent levels and scores. */
export class SpeakerActivity {
  /** Newest first. */
  readonly #levels = new Uint8Array(IMMEDIATES);
  readonly #immediates = new Uint8Array(IMMEDIATES);
  readonly #mediums = new Uint8Array(N3);
  #long = 0;
  #minLevel = 0;
  #nextMinLevel = 0;
  #nextMinLevelCount = 0;
  readonly scores = [MIN_SCORE, MIN_SCORE, MIN_SCORE];
  /** When the last level arrived (ms). */
  lastLevelAt: number;
  /** When a level at or above the speaking threshold last arrived (ms; -Infinity: never). */
  lastSpokeAt = Number.NEGATIVE_INFINITY;
  /** The loudest level since the last `takePeak()`. */
  peak = 0;
  readonly #speakingLevel: number;

  constructor(nowMs: number, speakingLevel: number) {
    this.lastLevelAt = nowMs;
    this.#speakingLevel = speakingLevel;
  }

  /** One packet's loudness, 0–127. */
  level(loudness: number, nowMs: number): void {
    const level = Math.max(0, Math.min(MAX_LEVEL, Math.round(loudness)));
    this.lastLevelAt = nowMs;
    if (level >= this.#speakingLevel) this.lastSpokeAt = nowMs;
    if (level > this.peak) this.peak = level;
    this.#levels.copyWithin(1, 0, IMMEDIATES - 1);
    this.#levels[0] = level;
    this.#trackNoiseFloor(level);
  }

  /** No packet for a while (a muted or gone sender): counts as silence. */
  silence(nowMs: number): void {
    this.level(0, nowMs);
  }

  /** The noise floor: the quietest non-zero level, raised slowly when the room gets louder. */
  #trackNoiseFloor(level: number): void {
    if (level === 0) return;
    if (this.#minLevel === 0 || level < this.#minLevel) {
      this.#minLevel = level;
      this.#nextMinLevel = 0;
      this.#nextMinLevelCount = 0;
      return;
    }
    if (this.#nextMinLevel === 0 || level < this.#nextMinLevel) this.#nextMinLevel = level;
    if (++this.#nextMinLevelCount >= NOISE_FLOOR_WINDOW) {
      this.#minLevel = Math.round(Math.sqrt(this.#minLevel * this.#nextMinLevel));
      this.#nextMinLevel = 0;
      this.#nextMinLevelCount = 0;
    }
  }

  /** Recomputes the three scores from the levels. */
  evaluate(): void {
    const floor = this.#minLevel + SUBUNIT;
    for (let i = 0; i < IMMEDIATES; i++) {
      const level = this.#levels[i] as number;
      this.#immediates[i] = level < floor ? 0 : Math.floor(level / SUBUNIT);
    }
    for (let m = 0; m < N3; m++) {
      let loud = 0;
      for (let i = m * N2; i < (m + 1) * N2; i++) if ((this.#immediates[i] as number) > MEDIUM_THRESHOLD) loud++;
      this.#mediums[m] = loud;
    }
    let active = 0;
    for (let m = 0; m < N3; m++) if ((this.#mediums[m] as number) > LONG_THRESHOLD) active++;
    this.#long = active;
    this.scores[0] = activityScore(this.#immediates[0] as number, N1, 0.78);
    this.scores[1] = activityScore(this.#mediums[0] as number, N2, 24);
    this.scores[2] = activityScore(this.#long, N3, 47);
  }
}

export interface DominantSpeakerOptions {
  /** Loudness (0–127, 127 − dBov) at or above which a level counts as speech. Default 77 (−50 dBov). */
  speakingLevel?: number;
  /** How long a speaker stays "speaking" after its last such level, ms. Default 1000. */
  holdMs?: number;
}

/**
 * The decision over a set of speakers (by id), made by `decide(nowMs)`: the dominant
 * speaker (see the module comment) and who is speaking.
 */
export class DominantSpeaker {
  readonly #speakers = new Map<string, SpeakerActivity>();
  readonly #speakingLevel: number;
  readonly #holdMs: number;
  #dominant: string | undefined;

  constructor(options: DominantSpeakerOptions = {}) {
    this.#speakingLevel = options.speakingLevel ?? 77;
    this.#holdMs = options.holdMs ?? 1000;
  }

  get dominant(): string | undefined {
    return this.#dominant;
  }

  get size(): number {
    return this.#speakers.size;
  }

  add(id: string, nowMs: number): void {
    if (!this.#speakers.has(id)) this.#speakers.set(id, new SpeakerActivity(nowMs, this.#speakingLevel));
  }

  remove(id: string): void {
    this.#speakers.delete(id);
    if (this.#dominant === id) this.#dominant = undefined;
  }

  level(id: string, loudness: number, nowMs: number): void {
    this.#speakers.get(id)?.level(loudness, nowMs);
  }

  /** Speakers without a level for `idleMs` get a silent one (their scores decay). */
  timeoutIdle(nowMs: number, idleMs: number): void {
    for (const s of this.#speakers.values()) if (nowMs - s.lastLevelAt > idleMs) s.silence(nowMs);
  }

  /** Whether `id` spoke within the hold time. */
  speaking(id: string, nowMs: number): boolean {
    const s = this.#speakers.get(id);
    return s !== undefined && nowMs - s.lastSpokeAt <= this.#holdMs;
  }

  /** Every speaker's loudest level since the last call (0–127), and resets them. */
  takePeaks(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [id, s] of this.#speakers) {
      out.set(id, s.peak);
      s.peak = 0;
    }
    return out;
  }

  /** Decides who is dominant now; returns it (undefined: nobody has spoken yet). */
  decide(nowMs: number): string | undefined {
    for (const s of this.#speakers.values()) s.evaluate();
    const current = this.#dominant === undefined ? undefined : this.#speakers.get(this.#dominant);
    if (current === undefined || !this.speaking(this.#dominant as string, nowMs)) {
      // Nobody dominant, or the dominant one fell silent: whoever speaks now (the most
      // active on the medium scale, then the most recent). Nobody speaking: no change.
      let best: string | undefined;
      let bestScore = 0;
      let bestAt = 0;
      for (const [id, s] of this.#speakers) {
        if (!this.speaking(id, nowMs)) continue;
        const score = s.scores[1] as number;
        if (best === undefined || score > bestScore || (score === bestScore && s.lastSpokeAt > bestAt)) {
          best = id;
          bestScore = score;
          bestAt = s.lastSpokeAt;
        }
      }
      if (best !== undefined) this.#dominant = best;
      return this.#dominant;
    }
    // Volfin–Cohen: a challenger must beat the dominant speaker on all three time scales.
    let best = this.#dominant;
    let bestC2 = C2;
    for (const [id, s] of this.#speakers) {
      if (id === this.#dominant) continue;
      const c1 = Math.log((s.scores[0] as number) / (current.scores[0] as number));
      const c2 = Math.log((s.scores[1] as number) / (current.scores[1] as number));
      const c3 = Math.log((s.scores[2] as number) / (current.scores[2] as number));
      if (c1 > C1 && c2 > C2 && c3 > C3 && c2 > bestC2) {
        bestC2 = c2;
        best = id;
      }
    }
    this.#dominant = best;
    return best;
  }
}
