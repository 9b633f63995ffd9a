/**
 * Upstream NACK generation (RFC 4585 §6.2.1): the SFU watches a publisher's sequence
 * numbers, notes the gaps, and asks the publisher for the missing packets itself, so a
 * loss on the publisher's uplink is repaired once for every subscriber (mediasoup's
 * NackGenerator does this; libwebrtc's NackRequester is the receiver-side model both follow).
 *
 * - `onPacket(seq, nowMs, isKeyframe)` per received packet (allocation-free): a newer
 *   sequence number adds the ones skipped to the missing list; an older one that is
 *   missing was recovered (retransmitted or reordered) and leaves the list.
 * - `poll(nowMs, out)`, from a timer (every ~20–40 ms) or right after `onPacket`, fills
 *   `out` with the sequence numbers to NACK now: never-NACKed ones, and ones NACKed at
 *   least `rttMs` ago; after `maxRetries` NACKs, or `maxAgeMs` after it went missing, a
 *   sequence number is given up.
 * - Limits (libwebrtc's and mediasoup's values): sequence numbers more than
 *   `maxPacketAge` (10,000) behind the newest are dropped; when the list would exceed
 *   `maxNackPackets` (1,000), entries before the last keyframe are dropped, and if that is
 *   not enough the list is cleared and `onPacket` returns true: ask for a keyframe
 *   instead (through the `KeyframeThrottle`). At most `maxPerNack` sequence numbers per poll.
 */
import { intOption } from './errors.ts';

export interface NackGeneratorOptions {
  /** Sequence numbers further than this behind the newest are not NACKed, 1…32,768. Default 10,000. */
  maxPacketAge?: number;
  /** Missing list size, 1…10,000. Default 1,000; beyond it: keyframe. */
  maxNackPackets?: number;
  /** NACKs per sequence number before giving up, 1…100. Default 10. */
  maxRetries?: number;
  /** Time between two NACKs of one sequence number, ms (the round-trip time), 1…10,000. Default 100. */
  rttMs?: number;
  /** Sequence numbers per `poll`, 1…1,024. Default 256 (a NACK of at most 1,036 bytes). */
  maxPerNack?: number;
  /**
   * A sequence number missing for longer than this is given up, ms, 1…10,000. Default 1,000:
   * a later retransmission is too late for the subscribers' jitter buffers.
   */
  maxAgeMs?: number;
}

const UNWRAP_ORIGIN = 0x100000000;

export class NackGenerator {
  readonly #maxPacketAge: number;
  readonly #capacity: number;
  readonly #maxRetries: number;
  readonly #maxPerNack: number;
  readonly #maxAgeMs: number;
  /** Missing list, ascending unwrapped sequence numbers, `#n` entries. */
  readonly #seq: Float64Array;
  readonly #sentAt: Float64Array;
  readonly #createdAt: Float64Array;
  readonly #retries: Uint8Array;
  #n = 0;
  #highest = -1;
  #lastKeyframe = -1;
  /** Time between two NACKs of one sequence number, ms; update it from RTT measurements. */
  rttMs: number;

  /** Sequence numbers found missing. */
  missed = 0;
  /** Missing sequence numbers that arrived later (retransmitted or reordered). */
  recovered = 0;
  /** Sequence numbers put in NACKs (each retry counts). */
  nacked = 0;
  /** Sequence numbers given up after `maxRetries` or dropped as too old. */
  givenUp = 0;
  /** Times the missing list overflowed and a keyframe was asked for instead. */
  keyframesNeeded = 0;

  constructor(options: NackGeneratorOptions = {}) {
    this.#maxPacketAge = intOption('maxPacketAge', options.maxPacketAge, 10_000, 1, 32_768);
    this.#capacity = intOption('maxNackPackets', options.maxNackPackets, 1000, 1, 10_000);
    this.#maxRetries = intOption('maxRetries', options.maxRetries, 10, 1, 100);
    this.rttMs = intOption('rttMs', options.rttMs, 100, 1, 10_000);
    this.#maxPerNack = intOption('maxPerNack', options.maxPerNack, 256, 1, 1024);
    this.#maxAgeMs = intOption('maxAgeMs', options.maxAgeMs, 1000, 1, 10_000);
    this.#seq = new Float64Array(this.#capacity);
    this.#sentAt = new Float64Array(this.#capacity);
    this.#createdAt = new Float64Array(this.#capacity);
    this.#retries = new Uint8Array(this.#capacity);
  }

  /** Sequence numbers currently missing (and not given up). */
  get missing(): number {
    return this.#n;
  }

  /**
   * Accounts one received packet. Returns true when the gap it reveals is too large to
   * repair with NACKs (the missing list was cleared): request a keyframe.
   */
  onPacket(sequence: number, nowMs: number, isKeyframe = false): boolean {
    const seq = sequence & 0xffff;
    if (this.#highest < 0) {
      this.#highest = UNWRAP_ORIGIN + seq;
      if (isKeyframe) this.#lastKeyframe = this.#highest;
      return false;
    }
    const d = ((seq - (this.#highest % 0x10000) + 0x8000) & 0xffff) - 0x8000;
    const u = this.#highest + d;
    if (d <= 0) {
      if (d < 0) this.#remove(u);
      return false;
    }
    if (isKeyframe) this.#lastKeyframe = u;
    const gap = d - 1;
    const from = this.#highest + 1;
    this.#highest = u;
    if (gap === 0) return false;
    this.#dropBefore(u - this.#maxPacketAge);
    if (this.#n + gap > this.#capacity && this.#lastKeyframe > 0) this.#dropBefore(this.#lastKeyframe);
    if (this.#n + gap > this.#capacity || gap > this.#maxPacketAge) {
      this.givenUp += this.#n;
      this.#n = 0;
      this.keyframesNeeded++;
      return true;
    }
    for (let v = from; v < u; v++) {
      const i = this.#n++;
      this.#seq[i] = v;
      this.#sentAt[i] = Number.NEGATIVE_INFINITY;
      this.#createdAt[i] = nowMs;
      this.#retries[i] = 0;
    }
    this.missed += gap;
    return false;
  }

  /**
   * Fills `out` (emptied first) with the 16-bit sequence numbers to NACK at `nowMs`, in
   * ascending order, at most `maxPerNack`; returns how many. Build a `GenericNack` from them.
   */
  poll(nowMs: number, out: number[]): number {
    out.length = 0;
    let w = 0;
    const n = this.#n;
    for (let r = 0; r < n; r++) {
      let keep = true;
      if (nowMs - (this.#createdAt[r] as number) > this.#maxAgeMs) {
        keep = false;
        this.givenUp++;
      } else if (out.length < this.#maxPerNack && nowMs - (this.#sentAt[r] as number) >= this.rttMs) {
        out.push((this.#seq[r] as number) % 0x10000);
        this.nacked++;
        this.#sentAt[r] = nowMs;
        const retries = (this.#retries[r] as number) + 1;
        this.#retries[r] = retries;
        if (retries >= this.#maxRetries) {
          keep = false;
          this.givenUp++;
        }
      }
      if (keep) {
        if (w !== r) {
          this.#seq[w] = this.#seq[r] as number;
          this.#sentAt[w] = this.#sentAt[r] as number;
          this.#createdAt[w] = this.#createdAt[r] as number;
          this.#retries[w] = this.#retries[r] as number;
        }
        w++;
      }
    }
    this.#n = w;
    return out.length;
  }

  /** Forgets everything (e.g. the publisher's SSRC changed). */
  reset(): void {
    this.#n = 0;
    this.#highest = -1;
    this.#lastKeyframe = -1;
  }

  #remove(u: number): void {
    // Binary search in the ascending list.
    let lo = 0;
    let hi = this.#n - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const v = this.#seq[mid] as number;
      if (v === u) {
        this.#seq.copyWithin(mid, mid + 1, this.#n);
        this.#sentAt.copyWithin(mid, mid + 1, this.#n);
        this.#createdAt.copyWithin(mid, mid + 1, this.#n);
        this.#retries.copyWithin(mid, mid + 1, this.#n);
        this.#n--;
        this.recovered++;
        return;
      }
      if (v < u) lo = mid + 1;
      else hi = mid - 1;
    }
  }

  /** Drops entries before unwrapped `u` (as given up). */
  #dropBefore(u: number): void {
    let k = 0;
    while (k < this.#n && (this.#seq[k] as number) < u) k++;
    if (k === 0) return;
    this.#seq.copyWithin(0, k, this.#n);
    this.#sentAt.copyWithin(0, k, this.#n);
    this.#createdAt.copyWithin(0, k, this.#n);
    this.#retries.copyWithin(0, k, this.#n);
    this.#n -= k;
    this.givenUp += k;
  }
}
