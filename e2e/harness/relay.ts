/**
 * TURN relay probes: join with `?relay=1` (the web app then uses only relay candidates,
 * `iceTransportPolicy: 'relay'`), and read the selected candidate pair with the local
 * candidate's `candidateType` and `relayProtocol` (W3C webrtc-stats §7.13:
 * the protocol between the browser and the TURN server — `udp`, `tcp` or `tls`).
 */
import type { Page } from 'playwright-core';
import { join } from './call.ts';

/** `join` with `?relay=1`: the local tile shown and the SDK joined. */
export function joinRelayOnly(page: Page, baseUrl: string, room: string, name: string): Promise<void> {
  return join(page, baseUrl, room, name, 'relay=1');
}

/** The selected pair of one peer connection, as far as TURN is concerned. */
export interface RelayPair {
  participantId: string;
  /** `host`, `srflx`, `prflx` or `relay`. */
  localType: string;
  /** For a relay candidate: how the browser reaches the TURN server (`udp`, `tcp`, `tls`). */
  relayProtocol: string;
  /** The candidate's own transport (`udp` for every TURN relay: relays are UDP). */
  localProtocol: string;
  localAddress: string;
  remoteType: string;
  remoteAddress: string;
  /** The TURN URL the local candidate came from (`url` of the local-candidate stats), when given. */
  url: string;
}

/** The ICE configuration the SDK gave each peer connection (`iceTransportPolicy`, the URLs). */
export interface PeerIceConfig {
  participantId: string;
  iceTransportPolicy: string;
  urls: string[];
}

// ---- structural types of what the page code touches (the node program has no DOM types)
type StatsEntry = Record<string, unknown> & { type: string; id: string };
interface StatsReportLike {
  forEach(cb: (s: StatsEntry) => void): void;
  get(id: string): StatsEntry | undefined;
}
interface PcLike {
  getStats(): Promise<StatsReportLike>;
  getConfiguration(): { iceTransportPolicy?: string; iceServers?: { urls: string | string[] }[] };
}
interface RemoteLike {
  id: unknown;
  pc?: PcLike | null;
}
interface PageGlobals {
  itda?: { room?: { participants?: Map<unknown, RemoteLike> } };
}

/** The selected candidate pair of every remote participant's peer connection on `page`. */
export function readRelayPairs(page: Page): Promise<RelayPair[]> {
  return page.evaluate(async () => {
    const participants = (globalThis as unknown as PageGlobals).itda?.room?.participants;
    const out: RelayPair[] = [];
    for (const p of participants?.values() ?? []) {
      if (!p.pc) continue;
      const report = await p.pc.getStats();
      let pairId: string | undefined;
      report.forEach((s) => {
        if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') pairId = s.selectedCandidatePairId;
      });
      const pair = pairId === undefined ? undefined : report.get(pairId);
      if (pair === undefined) continue;
      const local = report.get(String(pair.localCandidateId));
      const remote = report.get(String(pair.remoteCandidateId));
      out.push({
        participantId: String(p.id),
        localType: String(local?.candidateType ?? ''),
        relayProtocol: String(local?.relayProtocol ?? ''),
        localProtocol: String(local?.protocol ?? ''),
        localAddress: String(local?.address ?? ''),
        remoteType: String(remote?.candidateType ?? ''),
        remoteAddress: String(remote?.address ?? ''),
        url: String(local?.url ?? ''),
      });
    }
    return out;
  });
}

/** What each peer connection on `page` was configured with. */
export function readPeerIceConfig(page: Page): Promise<PeerIceConfig[]> {
  return page.evaluate(() => {
    const participants = (globalThis as unknown as PageGlobals).itda?.room?.participants;
    return [...(participants?.values() ?? [])].flatMap((p) => {
      if (!p.pc) return [];
      const c = p.pc.getConfiguration();
      return [
        {
          participantId: String(p.id),
          iceTransportPolicy: String(c.iceTransportPolicy ?? ''),
          urls: (c.iceServers ?? []).flatMap((s) => (Array.isArray(s.urls) ? s.urls : [s.urls])),
        },
      ];
    });
  });
}
