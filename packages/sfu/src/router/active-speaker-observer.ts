/**
 * Active speaker on the packet hub: an RTP observer that reads the RFC 6464 audio level
 * (`urn:ietf:params:rtp-hdrext:ssrc-audio-level`: V bit + 7-bit −dBov) of every audio
 * producer of the room — browsers' and WHIP publishers' alike — and, every `intervalMs`,
 * decides who dominates (dominant-speaker.ts: Volfin–Cohen) and who is speaking. It emits
 * `change` only when either differs from the last decision. Levels are per participant:
 * a participant with several audio producers counts once (the loudest packet).
 */
import { TypedEmitter } from '@itda/common';
import type { RtpPacketView } from '../rtp/index.ts';
import { DominantSpeaker } from './dominant-speaker.ts';
import type { Producer } from './producer.ts';
import type { RtpObserver } from './rtp-observer.ts';
import { ExtensionUri } from './types.ts';

export interface ActiveSpeakerOptions {
  /** Decision interval, ms. Default 300; 100–5,000. */
  intervalMs?: number;
  /** Level (dBov, −127–0) at or above which a participant counts as speaking. Default −50. */
  speakingThresholdDbov?: number;
  /** How long a participant stays speaking after its last level above the threshold, ms. Default 1,000; 0–10,000. */
  holdMs?: number;
}

/** One decision: who dominates (undefined until someone speaks), who speaks, how loud (0–1). */
export interface ActiveSpeakers {
  dominant: string | undefined;
  /** Participant ids speaking now, sorted. */
  speaking: string[];
  /** The loudest level of each speaking participant over the last interval, 0 (−127 dBov) – 1 (0 dBov). */
  levels: Record<string, number>;
}

export type ActiveSpeakerEvents = { change: [speakers: ActiveSpeakers] };

/** A producer's packets stop counting after this long without one (a mute that stops sending): silence. */
const LEVEL_IDLE_MS = 1000;

function bounded(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const v = value ?? fallback;
  if (!Number.isFinite(v) || v < min || v > max) throw new RangeError(`${name} must be ${min}–${max}, got ${v}`);
  return v;
}

/** The options with their defaults; RangeError for one out of range. */
export function resolveActiveSpeakerOptions(options: ActiveSpeakerOptions = {}): Required<ActiveSpeakerOptions> {
  return {
    intervalMs: bounded('intervalMs', options.intervalMs, 300, 100, 5000),
    speakingThresholdDbov: bounded('speakingThresholdDbov', options.speakingThresholdDbov, -50, -127, 0),
    holdMs: bounded('holdMs', options.holdMs, 1000, 0, 10_000),
  };
}

export class ActiveSpeakerObserver extends TypedEmitter<ActiveSpeakerEvents> implements RtpObserver {
  readonly intervalMs: number;
  readonly #detector: DominantSpeaker;
  /** Audio-level extension id per observed producer. */
  readonly #extId = new Map<Producer, number>();
  /** Observed producers per participant. */
  readonly #byParticipant = new Map<string, number>();
  #nextDecisionAt = Number.NEGATIVE_INFINITY;
  #last: ActiveSpeakers = { dominant: undefined, speaking: [], levels: {} };
  /** Audio packets whose level was read (the observer's cost is per such packet). */
  levelsRead = 0;

  /** @throws RangeError for an option out of range. */
  constructor(options: ActiveSpeakerOptions = {}) {
    super();
    const o = resolveActiveSpeakerOptions(options);
    this.intervalMs = o.intervalMs;
    this.#detector = new DominantSpeaker({ speakingLevel: 127 + o.speakingThresholdDbov, holdMs: o.holdMs });
  }

  /** The last decision. */
  get current(): ActiveSpeakers {
    return this.#last;
  }

  addProducer(producer: Producer): boolean {
    if (producer.kind !== 'audio') return false;
    const ext = producer.extensions.find((e) => e.uri === ExtensionUri.AudioLevel);
    if (ext === undefined) return false;
    this.#extId.set(producer, ext.id);
    const id = producer.participantId;
    this.#byParticipant.set(id, (this.#byParticipant.get(id) ?? 0) + 1);
    this.#detector.add(id, Number.NEGATIVE_INFINITY);
    return true;
  }

  removeProducer(producer: Producer): void {
    if (!this.#extId.delete(producer)) return;
    const id = producer.participantId;
    const left = (this.#byParticipant.get(id) ?? 1) - 1;
    if (left > 0) {
      this.#byParticipant.set(id, left);
      return;
    }
    this.#byParticipant.delete(id);
    this.#detector.remove(id);
  }

  onRtp(producer: Producer, view: RtpPacketView, nowMs: number): void {
    const id = this.#extId.get(producer);
    if (id === undefined) return;
    const value = view.extensionUint(id);
    if (value < 0) return;
    this.levelsRead++;
    // RFC 6464 §3: the low 7 bits are the level in −dBov (0 loudest, 127 silence).
    this.#detector.level(producer.participantId, 127 - (value & 0x7f), nowMs);
  }

  tick(nowMs: number): void {
    if (nowMs < this.#nextDecisionAt) return;
    this.#nextDecisionAt = nowMs + this.intervalMs;
    this.#detector.timeoutIdle(nowMs, LEVEL_IDLE_MS);
    const dominant = this.#detector.decide(nowMs);
    const peaks = this.#detector.takePeaks();
    const speaking = [...this.#byParticipant.keys()].filter((id) => this.#detector.speaking(id, nowMs)).sort();
    const levels: Record<string, number> = {};
    for (const id of speaking) levels[id] = Math.round(((peaks.get(id) ?? 0) / 127) * 100) / 100;
    const last = this.#last;
    const changed =
      dominant !== last.dominant ||
      speaking.length !== last.speaking.length ||
      speaking.some((id, i) => id !== last.speaking[i]);
    this.#last = { dominant, speaking, levels };
    if (changed) this.emit('change', this.#last);
  }

  close(): void {
    this.#extId.clear();
    this.#byParticipant.clear();
    this.removeAllListeners();
  }
}
