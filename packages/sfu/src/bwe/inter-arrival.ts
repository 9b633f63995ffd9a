/**
 * Packet groups and their delay variation, after GCC's arrival-time filter input
 * (draft-ietf-rmcat-gcc-02 §5.2) and libwebrtc's InterArrivalDelta: packets sent within
 * `BURST_MS` of a group's first packet form one group (a video frame is sent as a burst);
 * a packet that arrives within `BURST_MS` of the previous one with a smaller propagation
 * delay joins its group too (it queued behind it). For two consecutive complete groups the
 * result is the send-time delta and the arrival-time delta of their last packets: their
 * difference is how much the queue on the path grew.
 */

/** Send-time span of one group, and the arrival gap under which a packet joins a burst, ms. */
export const BURST_MS = 5;
/** A burst never spans longer than this, ms. */
const MAX_BURST_MS = 100;
/** An arrival jump this much larger than the send gap resets the filter (a clock or route change), ms. */
const RESET_ARRIVAL_OFFSET_MS = 3000;
/** Consecutive groups that arrive out of order before the filter resets. */
const MAX_REORDERED_GROUPS = 3;

interface Group {
  firstSendMs: number;
  lastSendMs: number;
  firstArrivalMs: number;
  lastArrivalMs: number;
  size: number;
}

function newGroup(sendMs: number, arrivalMs: number, size: number): Group {
  return { firstSendMs: sendMs, lastSendMs: sendMs, firstArrivalMs: arrivalMs, lastArrivalMs: arrivalMs, size };
}

export interface GroupDelta {
  sendDeltaMs: number;
  arrivalDeltaMs: number;
  /** Arrival time of the newer group's last packet (the x of the trend), ms. */
  arrivalMs: number;
  /** Bytes in the newer group. */
  size: number;
}

export class InterArrival {
  #current: Group | undefined;
  #previous: Group | undefined;
  #reordered = 0;

  /** Feeds one received packet (in sequence order); returns the delta when it closed a group. */
  add(sendMs: number, arrivalMs: number, size: number): GroupDelta | undefined {
    const cur = this.#current;
    if (cur === undefined) {
      this.#current = newGroup(sendMs, arrivalMs, size);
      return undefined;
    }
    if (sendMs < cur.firstSendMs) return undefined; // older than the group: reordered, ignored
    if (this.#belongs(cur, sendMs, arrivalMs)) {
      cur.lastSendMs = Math.max(cur.lastSendMs, sendMs);
      cur.lastArrivalMs = Math.max(cur.lastArrivalMs, arrivalMs);
      cur.size += size;
      return undefined;
    }
    let delta: GroupDelta | undefined;
    const prev = this.#previous;
    if (prev !== undefined) {
      const sendDeltaMs = cur.lastSendMs - prev.lastSendMs;
      const arrivalDeltaMs = cur.lastArrivalMs - prev.lastArrivalMs;
      if (arrivalDeltaMs - sendDeltaMs >= RESET_ARRIVAL_OFFSET_MS) {
        this.reset();
        this.#current = newGroup(sendMs, arrivalMs, size);
        return undefined;
      }
      if (arrivalDeltaMs < 0) {
        if (++this.#reordered >= MAX_REORDERED_GROUPS) this.reset();
      } else {
        this.#reordered = 0;
        delta = { sendDeltaMs, arrivalDeltaMs, arrivalMs: cur.lastArrivalMs, size: cur.size };
      }
    }
    this.#previous = cur;
    this.#current = newGroup(sendMs, arrivalMs, size);
    return delta;
  }

  reset(): void {
    this.#current = undefined;
    this.#previous = undefined;
    this.#reordered = 0;
  }

  #belongs(g: Group, sendMs: number, arrivalMs: number): boolean {
    if (sendMs - g.firstSendMs <= BURST_MS) return true;
    // A burst: arrived right after the group's last packet, and sooner than its send gap.
    const arrivalDelta = arrivalMs - g.lastArrivalMs;
    const sendDelta = sendMs - g.lastSendMs;
    return (
      arrivalDelta >= 0 &&
      arrivalDelta < BURST_MS &&
      arrivalDelta - sendDelta < 0 &&
      arrivalMs - g.firstArrivalMs < MAX_BURST_MS
    );
  }
}
