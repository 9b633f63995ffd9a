/**
 * The subscribe negotiation of one participant, as a state machine: the m-line slots of
 * its subscribe peer connection, the version, the offer in flight and the changes that
 * arrive while it is out.
 *
 *            offer()                       answer(v) matches the offer of v
 *   idle ───────────────▶ offering(v) ──────────────────────────────────▶ idle
 *    ▲                      │   │                                         (changes queued
 *    │   answer(v) refused  │   │ reset() / clear(): the offer is void     meanwhile make
 *    └──────────────────────┘   └───────────────────────────────────▶ idle  the next one)
 *       (pending again: re-offered as v+1, at most MAX_REOFFERS in a row)
 *
 * - While an offer is out, `add` and `ended` change the slots and mark them pending; they
 *   go into the next offer, made once the answer is in (`offer()` returns undefined
 *   meanwhile).
 * - Each offer keeps a snapshot of what it offered: the answer is checked against that
 *   snapshot (the m-lines the subscriber saw), never against the slots as they are now,
 *   and its effects (resume the consumers it accepted, close the ones it rejected, make
 *   answered port-0 slots recyclable) apply only to slots that still hold what was offered.
 * - An answer for another version is stale (the subscriber answers the newest offer it
 *   saw; `sfu_stale_version`). An answer that does not match its offer voids the offer and
 *   leaves the changes pending: the caller re-offers and the client converges.
 *
 * Slots: one m-line per consumed track, in order. A consumer that ends leaves its slot
 * inactive (port 0 in the next offer); once an answer to an offer with that port 0 is in,
 * the slot may be recycled for a new track of its kind with a fresh mid (RFC 8843 §7.3.3,
 * JSEP RFC 8829 §5.2.2), so the SDP stays as long as the most tracks held at once. The
 * BUNDLE tag — the first bundled m-line — never goes to port 0 while the transport lives
 * (Chromium rebuilds ICE and DTLS for a rejected tag): without a track it stays idle
 * (`a=inactive`, bundled).
 */
import type { RtpCodec, TrackSource } from '../router/index.ts';
import {
  buildSubscribeOffer,
  type LocalTransportParams,
  parseSubscribeAnswer,
  type SubscribeAnswerResult,
  type SubscribeSlot,
} from '../sdp/index.ts';
import type { SubscribeTrackInfo } from './types.ts';

/** What the negotiator needs of a consumer (the router's `Consumer` is one). */
export interface SlotConsumer {
  readonly kind: 'audio' | 'video';
  readonly ssrc: number;
  readonly rtxSsrc: number | undefined;
  readonly paused: boolean;
  readonly producer: {
    readonly id: string;
    readonly participantId: string;
    readonly source: TrackSource;
    readonly codec: RtpCodec;
    readonly rtxPayloadType: number | undefined;
    readonly cname: string;
    readonly extensions: readonly { id: number; uri: string }[];
  };
  resume(): void;
  /** `rejected`: the subscriber's answer refused its m-line. */
  close(reason?: 'rejected'): void;
}

/** One m-line of the subscribe peer connection. */
interface Slot<C extends SlotConsumer> {
  mid: string;
  kind: 'audio' | 'video';
  /** The consumer this slot carries; undefined once it ended. */
  consumer: C | undefined;
  /** Offered at port 0 and that offer answered: may be recycled with a new mid. */
  recyclable: boolean;
  /** The last offer had this m-line bundled (a live track, or idle) rather than at port 0. */
  bundled: boolean;
  /** The last offer had it idle (`a=inactive`, transport kept). */
  idle: boolean;
  /** Codec of the last track this slot carried (an idle or port-0 m-line needs one). */
  lastCodec: RtpCodec | undefined;
}

/** The offer in flight: what each m-line carried when it was made. */
interface InFlight<C extends SlotConsumer> {
  version: number;
  /** The SDP slots exactly as offered (the answer is checked against these). */
  offered: SubscribeSlot[];
  /** The slot objects, in offer order, and the consumer each carried (undefined: not active). */
  slots: Slot<C>[];
  consumers: (C | undefined)[];
  message: SubscribeOffer;
}

/** A `subscribe` message's content. */
export interface SubscribeOffer {
  version: number;
  sdp: string;
  tracks: SubscribeTrackInfo[];
}

export type AnswerOutcome =
  /** The answer fits its offer: accepted consumers resumed, rejected ones closed. */
  | { kind: 'accepted'; result: SubscribeAnswerResult }
  /** No offer of this version is out (a duplicate, or one a newer offer replaced). */
  | { kind: 'stale'; current: number }
  /** It answers the offer out but does not fit it: the offer is void, its changes pending. `reoffer`: try again now. */
  | { kind: 'bad'; error: unknown; reoffer: boolean };

/** Bad answers in a row after which no new offer is made until the slots change or the client asks (`reset`). */
export const MAX_REOFFERS = 3;

/** The codec written on a port-0 m-line that never carried a track (any one will do). */
const OPUS: RtpCodec = { payloadType: 111, name: 'opus', clockRate: 48000, channels: 2, parameters: {}, feedback: [] };
const VP8: RtpCodec = { payloadType: 96, name: 'VP8', clockRate: 90000, parameters: {}, feedback: [] };

export interface SubscribeNegotiatorOptions {
  /** Header extensions passed downstream, by URI. Default: none. */
  extensions?: ReadonlySet<string>;
  /** o= session ids (RFC 3264 §5: constant for the connection). Default: random. */
  sessionId?: () => string;
}

export class SubscribeNegotiator<C extends SlotConsumer> {
  readonly #slots: Slot<C>[] = [];
  readonly #extensions: ReadonlySet<string>;
  readonly #newSessionId: () => string;
  #version = 0;
  #nextMid = 0;
  #inFlight: InFlight<C> | undefined;
  #pending = false;
  #badAnswers = 0;
  #sessionId: string | undefined;

  constructor(options: SubscribeNegotiatorOptions = {}) {
    this.#extensions = options.extensions ?? new Set();
    this.#newSessionId = options.sessionId ?? (() => String(Math.floor(Math.random() * 1e15) + 1e15));
  }

  /** Version of the last offer made (0 before the first). */
  get version(): number {
    return this.#version;
  }

  /** An offer is out and its answer not in. */
  get offering(): boolean {
    return this.#inFlight !== undefined;
  }

  /** Changes not offered yet. */
  get pending(): boolean {
    return this.#pending;
  }

  /** The offer out, to send again after a resume. */
  get inFlight(): SubscribeOffer | undefined {
    return this.#inFlight?.message;
  }

  /** Slots holding a consumer now. */
  get hasConsumers(): boolean {
    return this.#slots.some((s) => s.consumer !== undefined);
  }

  /** The consumers held now, in m-line order. */
  consumers(): C[] {
    return this.#slots.flatMap((s) => (s.consumer === undefined ? [] : [s.consumer]));
  }

  /** The mid of each m-line, in order (tests). */
  get mids(): string[] {
    return this.#slots.map((s) => s.mid);
  }

  /**
   * A new track: `create(mid)` makes its consumer (a throw changes nothing). It takes a
   * recyclable slot of its kind with a fresh mid, else a new m-line at the end.
   */
  add(kind: 'audio' | 'video', create: (mid: string) => C): C {
    const mid = String(this.#nextMid);
    const consumer = create(mid);
    this.#nextMid++;
    const slot = this.#slots.find((s) => s.recyclable && s.consumer === undefined && s.kind === kind);
    if (slot !== undefined) {
      slot.mid = mid;
      slot.recyclable = false;
      slot.bundled = false;
      slot.idle = false;
      slot.consumer = consumer;
      slot.lastCodec = consumer.producer.codec;
    } else {
      this.#slots.push({
        mid,
        kind,
        consumer,
        recyclable: false,
        bundled: false,
        idle: false,
        lastCodec: consumer.producer.codec,
      });
    }
    this.#changed();
    return consumer;
  }

  /** Something new to offer: pending, and re-offers allowed again after bad answers. */
  #changed(): void {
    this.#pending = true;
    this.#badAnswers = 0;
  }

  /** A consumer ended (closed): its slot goes inactive in the next offer. */
  ended(consumer: C): void {
    const slot = this.#slots.find((s) => s.consumer === consumer);
    if (slot === undefined) return;
    slot.consumer = undefined;
    slot.recyclable = false;
    this.#changed();
  }

  /**
   * The client asked for a fresh offer (`resubscribe`): the offer out, if any, is void
   * (the client answers the next one), and the next offer is made even without changes.
   */
  reset(): void {
    this.#inFlight = undefined;
    this.#changed();
  }

  /** A new subscribe transport: a new bundle (no m-line is its tag yet) and a new o= session. */
  newTransport(): void {
    this.#sessionId = undefined;
    for (const s of this.#slots) {
      s.bundled = false;
      s.idle = false;
    }
  }

  /** The client's peer connection is new: no m-line of the old one stays. Voids the offer out. */
  clear(): void {
    this.#slots.length = 0;
    this.reset();
  }

  /**
   * The next offer, when one is due: undefined while one is out (the changes wait for
   * its answer), after too many bad answers in a row, or when there is nothing to offer
   * (no track, and no bundled m-line to keep the transport with).
   */
  offer(local: LocalTransportParams): SubscribeOffer | undefined {
    if (this.#inFlight !== undefined || !this.#pending || this.#badAnswers >= MAX_REOFFERS) return undefined;
    const tag = this.#slots.find((s) => s.bundled && s.lastCodec !== undefined);
    const idle = tag !== undefined && tag.consumer === undefined ? tag : undefined;
    if (idle === undefined && !this.hasConsumers) return undefined;
    this.#pending = false;
    this.#version++;
    for (const s of this.#slots) {
      s.idle = s === idle;
      s.bundled = s.consumer !== undefined || s.idle;
    }
    const offered = this.#slots.map((s) => this.#sdpSlot(s));
    this.#sessionId ??= this.#newSessionId();
    const sdp = buildSubscribeOffer({
      local,
      sessionVersion: this.#version,
      sessionId: this.#sessionId,
      slots: offered,
    });
    const tracks: SubscribeTrackInfo[] = [];
    for (const s of this.#slots) {
      const c = s.consumer;
      if (c !== undefined)
        tracks.push({ mid: s.mid, participantId: c.producer.participantId, kind: c.kind, source: c.producer.source });
    }
    const message = { version: this.#version, sdp, tracks };
    this.#inFlight = {
      version: this.#version,
      offered,
      slots: [...this.#slots],
      consumers: this.#slots.map((s) => s.consumer),
      message,
    };
    return message;
  }

  /**
   * The subscriber's answer to offer `version`. For one that fits, `accept(result)` runs
   * first (set the transport's remote parameters), then the offered consumers are resumed
   * or closed. Never throws (but `accept` may).
   */
  answer(version: number, sdp: string, accept?: (result: SubscribeAnswerResult) => void): AnswerOutcome {
    const out = this.#inFlight;
    if (out === undefined || version !== out.version) return { kind: 'stale', current: this.#version };
    let result: SubscribeAnswerResult;
    try {
      result = parseSubscribeAnswer(sdp, out.offered);
    } catch (error) {
      // The subscriber's state and ours differ: void the offer; the next one says it all again.
      this.#inFlight = undefined;
      this.#pending = true;
      this.#badAnswers++;
      return { kind: 'bad', error, reoffer: this.#badAnswers < MAX_REOFFERS };
    }
    this.#inFlight = undefined;
    this.#badAnswers = 0;
    accept?.(result);
    const rejected = new Set(result.rejectedMids);
    for (let i = 0; i < out.slots.length; i++) {
      const slot = out.slots[i] as Slot<C>;
      const offered = out.offered[i] as SubscribeSlot;
      if (slot.mid !== offered.mid) continue; // recycled since: the answer is about its old track
      const c = out.consumers[i];
      if (c === undefined) {
        // Answered at port 0 (not idle): the m-line may carry a new track now.
        if (slot.consumer === undefined && offered.idle !== true) slot.recyclable = true;
        continue;
      }
      if (slot.consumer !== c) continue; // ended meanwhile
      if (rejected.has(slot.mid)) c.close('rejected');
      else if (c.paused) c.resume();
    }
    return { kind: 'accepted', result };
  }

  #sdpSlot(s: Slot<C>): SubscribeSlot {
    const c = s.consumer;
    if (c === undefined) {
      return {
        mid: s.mid,
        kind: s.kind,
        active: false,
        idle: s.idle,
        codec: s.lastCodec ?? (s.kind === 'audio' ? OPUS : VP8),
        ssrc: 0,
        cname: '',
        streamId: '',
        trackId: '',
        extensions: [],
      };
    }
    const p = c.producer;
    return {
      mid: s.mid,
      kind: s.kind,
      active: true,
      codec: p.codec,
      rtx: p.rtxPayloadType !== undefined ? { payloadType: p.rtxPayloadType } : undefined,
      ssrc: c.ssrc,
      rtxSsrc: c.rtxSsrc,
      cname: p.cname,
      streamId: p.participantId,
      trackId: p.id,
      extensions: p.extensions.filter((e) => this.#extensions.has(e.uri)),
    };
  }
}
