/**
 * What a probe cluster found (libwebrtc ProbeBitrateEstimator): a cluster is a short burst
 * of packets (padding or retransmissions) sent at a chosen rate above the estimate. The
 * rate it was received at says whether the path has that headroom: its send rate and
 * receive rate over the cluster (without the last packet sent and the first received, which
 * bound the intervals), taken as the smaller; a receive rate under 90 % of the send rate
 * means the probe filled the link, and 95 % of that receive rate is the result. A cluster
 * needs `MIN_PACKETS` received packets; one received at over twice its send rate, or
 * spread over more than a second, says nothing.
 */
import type { PacketResult } from './types.ts';

export const MIN_PROBE_PACKETS = 5;
const MAX_INTERVAL_MS = 1000;
const CLUSTER_TTL_MS = 1000;

interface Cluster {
  firstSendMs: number;
  lastSendMs: number;
  lastSendSize: number;
  firstArrivalMs: number;
  firstArrivalSize: number;
  lastArrivalMs: number;
  bytes: number;
  received: number;
  seenMs: number;
  /** Got packets since the last `take`. */
  fresh: boolean;
}

export class ProbeResults {
  readonly #clusters = new Map<number, Cluster>();

  /** Feeds one received packet of a probe cluster. */
  add(p: PacketResult, nowMs: number): void {
    if (p.probeCluster === undefined || p.arrivalMs === undefined) return;
    const c = this.#clusters.get(p.probeCluster);
    if (c === undefined) {
      this.#clusters.set(p.probeCluster, {
        firstSendMs: p.sendMs,
        lastSendMs: p.sendMs,
        lastSendSize: p.size,
        firstArrivalMs: p.arrivalMs,
        firstArrivalSize: p.size,
        lastArrivalMs: p.arrivalMs,
        bytes: p.size,
        received: 1,
        seenMs: nowMs,
        fresh: true,
      });
      return;
    }
    if (p.sendMs < c.firstSendMs) c.firstSendMs = p.sendMs;
    if (p.sendMs >= c.lastSendMs) {
      c.lastSendMs = p.sendMs;
      c.lastSendSize = p.size;
    }
    if (p.arrivalMs < c.firstArrivalMs) {
      c.firstArrivalMs = p.arrivalMs;
      c.firstArrivalSize = p.size;
    }
    if (p.arrivalMs > c.lastArrivalMs) c.lastArrivalMs = p.arrivalMs;
    c.bytes += p.size;
    c.received++;
    c.seenMs = nowMs;
    c.fresh = true;
  }

  /** The best result among the clusters fed since the last call (bit/s), and forgets old clusters. */
  take(nowMs: number): number | undefined {
    let best: number | undefined;
    for (const [id, c] of this.#clusters) {
      if (nowMs - c.seenMs > CLUSTER_TTL_MS) {
        this.#clusters.delete(id);
        continue;
      }
      if (!c.fresh) continue;
      c.fresh = false;
      const r = resultOf(c);
      if (r !== undefined && (best === undefined || r > best)) best = r;
    }
    return best;
  }
}

function resultOf(c: Cluster): number | undefined {
  if (c.received < MIN_PROBE_PACKETS) return undefined;
  const sendMs = c.lastSendMs - c.firstSendMs;
  const recvMs = c.lastArrivalMs - c.firstArrivalMs;
  if (sendMs <= 0 || recvMs <= 0 || sendMs > MAX_INTERVAL_MS || recvMs > MAX_INTERVAL_MS) return undefined;
  const sendBps = ((c.bytes - c.lastSendSize) * 8000) / sendMs;
  const recvBps = ((c.bytes - c.firstArrivalSize) * 8000) / recvMs;
  if (recvBps > 2 * sendBps) return undefined;
  return recvBps < 0.9 * sendBps ? 0.95 * recvBps : Math.min(sendBps, recvBps);
}
