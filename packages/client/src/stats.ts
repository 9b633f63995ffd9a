/**
 * Call quality from `RTCPeerConnection.getStats()` (W3C webrtc-stats): bitrates from
 * the byte counters' change between two samples, packet loss, jitter, RTT of the
 * selected candidate pair, and the pair's candidate types and protocols.
 *
 * DOM-free: `StatsSampler.sample` takes the report's values as plain objects, so it is
 * tested in Node with a fake report.
 */

/** One stats object, as in an RTCStatsReport (`report.values()`). */
export type StatsEntry = { id: string; type: string; timestamp?: number } & Record<string, unknown>;

export interface LinkStats {
  /** When the sample was taken, ms (the report's timestamp). */
  timestamp: number;
  /** Received media bitrate, bits/s, over the last interval (null on the first sample). */
  inboundBitrate: number | null;
  /** Sent media bitrate, bits/s, over the last interval (null on the first sample). */
  outboundBitrate: number | null;
  /** Inbound packets lost over the last interval (cumulative on the first sample), 0–100. */
  packetLossPercent: number | null;
  /** Largest inbound RTP jitter, ms. */
  jitterMs: number | null;
  /** `currentRoundTripTime` of the selected candidate pair, ms. */
  rttMs: number | null;
  /** Selected pair's local candidate type: host, srflx, prflx or relay. */
  localCandidateType: string | null;
  /** Selected pair's remote candidate type. */
  remoteCandidateType: string | null;
  /** Transport protocol of the local candidate: udp or tcp. */
  protocol: string | null;
  /** For a relay candidate, the protocol to the TURN server: udp, tcp or tls. */
  relayProtocol: string | null;
  /** Totals the next sample's deltas are taken from. */
  totals: { bytesReceived: number; bytesSent: number; packetsReceived: number; packetsLost: number };
}

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) ? v : undefined;
}
function str(v: unknown): string | null {
  return typeof v === 'string' ? v : null;
}

/** Finds the selected candidate pair: transport.selectedCandidatePairId, else a nominated succeeded pair. */
export function selectedCandidatePair(entries: readonly StatsEntry[]): StatsEntry | undefined {
  const byId = new Map(entries.map((e) => [e.id, e]));
  for (const e of entries) {
    if (e.type === 'transport' && typeof e.selectedCandidatePairId === 'string') {
      const pair = byId.get(e.selectedCandidatePairId);
      if (pair !== undefined) return pair;
    }
  }
  return (
    entries.find((e) => e.type === 'candidate-pair' && e.nominated === true && e.state === 'succeeded') ??
    entries.find((e) => e.type === 'candidate-pair' && e.selected === true)
  );
}

/** Computes LinkStats from one report and the previous sample of the same link. */
export function computeLinkStats(report: Iterable<StatsEntry>, previous?: LinkStats, now?: number): LinkStats {
  const entries = [...report];
  const byId = new Map(entries.map((e) => [e.id, e]));
  let bytesReceived = 0;
  let bytesSent = 0;
  let packetsReceived = 0;
  let packetsLost = 0;
  let jitter: number | undefined;
  let timestamp = 0;
  for (const e of entries) {
    timestamp = Math.max(timestamp, num(e.timestamp) ?? 0);
    if (e.type === 'inbound-rtp') {
      bytesReceived += num(e.bytesReceived) ?? 0;
      packetsReceived += num(e.packetsReceived) ?? 0;
      packetsLost += Math.max(0, num(e.packetsLost) ?? 0);
      const j = num(e.jitter);
      if (j !== undefined) jitter = Math.max(jitter ?? 0, j);
    } else if (e.type === 'outbound-rtp') {
      bytesSent += num(e.bytesSent) ?? 0;
    }
  }
  if (timestamp === 0) timestamp = now ?? 0;
  const pair = selectedCandidatePair(entries);
  const local = pair === undefined ? undefined : byId.get(String(pair.localCandidateId));
  const remote = pair === undefined ? undefined : byId.get(String(pair.remoteCandidateId));
  const rtt = num(pair?.currentRoundTripTime);

  let inboundBitrate: number | null = null;
  let outboundBitrate: number | null = null;
  let lossBase = { received: packetsReceived, lost: packetsLost };
  if (previous !== undefined) {
    const seconds = (timestamp - previous.timestamp) / 1000;
    if (seconds > 0) {
      inboundBitrate = Math.max(0, ((bytesReceived - previous.totals.bytesReceived) * 8) / seconds);
      outboundBitrate = Math.max(0, ((bytesSent - previous.totals.bytesSent) * 8) / seconds);
    }
    lossBase = {
      received: Math.max(0, packetsReceived - previous.totals.packetsReceived),
      lost: Math.max(0, packetsLost - previous.totals.packetsLost),
    };
  }
  const expected = lossBase.received + lossBase.lost;
  return {
    timestamp,
    inboundBitrate,
    outboundBitrate,
    packetLossPercent: expected > 0 ? (lossBase.lost / expected) * 100 : packetsReceived > 0 ? 0 : null,
    jitterMs: jitter === undefined ? null : jitter * 1000,
    rttMs: rtt === undefined ? null : rtt * 1000,
    localCandidateType: str(local?.candidateType),
    remoteCandidateType: str(remote?.candidateType),
    protocol: str(local?.protocol),
    relayProtocol: str(local?.relayProtocol),
    totals: { bytesReceived, bytesSent, packetsReceived, packetsLost },
  };
}

/** Keeps the previous sample per key (participant id) so each call yields deltas. */
export class StatsSampler {
  readonly #previous = new Map<string, LinkStats>();

  sample(key: string, report: Iterable<StatsEntry>, now?: number): LinkStats {
    const stats = computeLinkStats(report, this.#previous.get(key), now);
    this.#previous.set(key, stats);
    return stats;
  }

  forget(key: string): void {
    this.#previous.delete(key);
  }
}

/** "1.2 Mbit/s", "340 kbit/s", "—". */
export function formatBitrate(bps: number | null): string {
  if (bps === null) return '—';
  if (bps >= 1_000_000) return `${(bps / 1_000_000).toFixed(1)} Mbit/s`;
  return `${Math.round(bps / 1000)} kbit/s`;
}

const ID_FIELDS = ['selectedCandidatePairId', 'localCandidateId', 'remoteCandidateId', 'transportId', 'codecId'];

/**
 * The stats of one remote participant in an `sfu` room, from the two connections to
 * the server: the subscribe connection's entries, with `inbound-rtp` kept only for the
 * participant's tracks (by `mid`, or by `trackIdentifier`), first — so its selected
 * candidate pair is the one reported — then the publish connection's `outbound-rtp`
 * (what this side sends, the same for everyone). Ids are prefixed per connection
 * (`s:`, `p:`) so the two reports cannot collide.
 */
export function sfuParticipantEntries(
  subscribe: Iterable<StatsEntry>,
  publish: Iterable<StatsEntry>,
  tracks: { mids: ReadonlySet<string>; trackIds: ReadonlySet<string> },
): StatsEntry[] {
  const prefixed = (e: StatsEntry, prefix: string): StatsEntry => {
    const copy: StatsEntry = { ...e, id: `${prefix}${e.id}` };
    for (const f of ID_FIELDS) if (typeof e[f] === 'string') copy[f] = `${prefix}${e[f]}`;
    return copy;
  };
  const out: StatsEntry[] = [];
  for (const e of subscribe) {
    if (e.type === 'inbound-rtp') {
      const mine =
        (typeof e.mid === 'string' && tracks.mids.has(e.mid)) ||
        (typeof e.trackIdentifier === 'string' && tracks.trackIds.has(e.trackIdentifier));
      if (!mine) continue;
    }
    out.push(prefixed(e, 's:'));
  }
  for (const e of publish) if (e.type === 'outbound-rtp') out.push(prefixed(e, 'p:'));
  return out;
}
