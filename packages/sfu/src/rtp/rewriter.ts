/**
 * Continuous output sequence numbers and timestamps for a consumer whose source changes
 * (simulcast layer switch, active speaker switch). RFC 7667 §3.7 (switching SFU / "RTP
 * mixer" selecting one source): the receiver sees one SSRC whose sequence numbers and
 * timestamps go on without jumps, so its jitter buffer and loss statistics stay sane.
 *
 * Both rewriters keep an offset that they add to the input (modulo 2^16 / 2^32); a
 * `switchSource()` makes the next packet re-anchor the offset right after the last
 * output. They are sans-IO: the timestamp rewriter takes `nowMs` as an argument.
 */

/** True when 16-bit sequence number `a` is newer than `b` (RFC 3550 A.1, serial arithmetic). */
export function seqNewer(a: number, b: number): boolean {
  const d = (a - b) & 0xffff;
  return d !== 0 && d < 0x8000;
}

/** True when 32-bit timestamp `a` is newer than `b` (serial arithmetic modulo 2^32). */
export function tsNewer(a: number, b: number): boolean {
  const d = (a - b) >>> 0;
  return d !== 0 && d < 0x80000000;
}

/** Rewrites 16-bit RTP sequence numbers: `out = (in + offset) mod 2^16`. */
export class SequenceRewriter {
  #offset = 0;
  #highest = 0;
  #started = false;
  #pendingSwitch = true;

  /** The highest sequence number written so far (valid after the first packet). */
  get highest(): number {
    return this.#highest;
  }

  /**
   * Next packet comes from another source (or after a gap to hide): it will be numbered
   * `highest + 1`. Packets of the old source that arrive later still map with the new
   * offset, so the caller should drop them (it knows which source they came from).
   */
  switchSource(): void {
    this.#pendingSwitch = true;
  }

  /** The output sequence number for input `seq`; call once per forwarded packet, in arrival order. */
  rewrite(seq: number): number {
    if (this.#pendingSwitch) {
      this.#pendingSwitch = false;
      const next = this.#started ? (this.#highest + 1) & 0xffff : seq & 0xffff;
      this.#offset = (next - seq) & 0xffff;
      this.#started = true;
      this.#highest = next;
      return next;
    }
    const out = (seq + this.#offset) & 0xffff;
    if (seqNewer(out, this.#highest)) this.#highest = out;
    return out;
  }

  /** The output number `rewrite` gives input `seq` under the current offset, without moving any state. */
  map(seq: number): number {
    return (seq + this.#offset) & 0xffff;
  }

  /**
   * The input sequence number that output `out` came from under the current offset (the
   * inverse of `rewrite`, e.g. to find a NACKed packet in the sender's history). Outputs
   * written before the last `switchSource` map wrongly: the caller must not ask for them.
   */
  original(out: number): number {
    return (out - this.#offset) & 0xffff;
  }

  /**
   * Input `seq` (newest so far) is not forwarded — e.g. a padding-only packet or a dropped
   * SVC layer — and the gap it leaves is closed: later packets shift down by one.
   * Call it in place of `rewrite` for that packet. Limit: a late (reordered) packet from
   * before the omitted one maps one lower than it should, so the caller should drop packets older
   * than an omitted one.
   */
  omit(seq: number): void {
    if (this.#pendingSwitch || !this.#started) return;
    const out = (seq + this.#offset) & 0xffff;
    if (seqNewer(out, this.#highest)) this.#offset = (this.#offset - 1) & 0xffff;
  }
}

/** Rewrites 32-bit RTP timestamps: `out = (in + offset) mod 2^32`. */
export class TimestampRewriter {
  readonly clockRate: number;
  #offset = 0;
  #highest = 0;
  #highestAtMs = 0;
  #started = false;
  #pendingSwitch = true;

  /** @param clockRate RTP clock rate in Hz (90000 for video, 48000 for Opus). Must be positive. */
  constructor(clockRate: number) {
    if (!(clockRate > 0)) throw new RangeError(`clockRate must be positive, got ${clockRate}`);
    this.clockRate = clockRate;
  }

  /** The highest timestamp written so far. */
  get highest(): number {
    return this.#highest;
  }

  /** Next packet comes from another source; see `SequenceRewriter.switchSource`. */
  switchSource(): void {
    this.#pendingSwitch = true;
  }

  /** What is added (mod 2^32) to an input timestamp now: for sender reports and retransmissions. */
  get offset(): number {
    return this.#offset;
  }

  /**
   * The output timestamp for input `ts`, received at `nowMs` (any monotonic millisecond
   * clock). After a switch the new source continues at `highest + elapsed × clockRate`
   * (at least 1 tick later), so playout timing across the switch follows wall-clock time.
   */
  rewrite(ts: number, nowMs: number): number {
    if (this.#pendingSwitch) {
      this.#pendingSwitch = false;
      let next: number;
      if (this.#started) {
        const ticks = Math.max(1, Math.round(((nowMs - this.#highestAtMs) * this.clockRate) / 1000));
        next = (this.#highest + ticks) >>> 0;
      } else {
        next = ts >>> 0;
      }
      this.#offset = (next - ts) >>> 0;
      this.#started = true;
      this.#highest = next;
      this.#highestAtMs = nowMs;
      return next;
    }
    const out = (ts + this.#offset) >>> 0;
    if (tsNewer(out, this.#highest)) {
      this.#highest = out;
      this.#highestAtMs = nowMs;
    }
    return out;
  }
}
