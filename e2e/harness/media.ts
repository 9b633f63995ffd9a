/**
 * Proof of media, read from the browser's own `getStats()` over the SDK's peer
 * connections (`window.itda.room.participants[*].pc`), never assumed.
 *
 * The functions passed to `page.evaluate` run inside the page: they are serialised, so
 * they reference nothing from this module, and they describe the page objects they touch
 * with the structural types below (the node-side program has no DOM types).
 */
import type { Page } from 'playwright-core';
import { waitFor } from './poll.ts';

/** One remote participant as seen by a page, with its inbound media counters. */
export interface RemoteMedia {
  id: string;
  name: string;
  /** Sum of inbound-rtp audio `packetsReceived` (W3C webrtc-stats §7.3). */
  audioPacketsReceived: number;
  /** Sum of inbound-rtp video `framesDecoded`. */
  videoFramesDecoded: number;
  /** `RTCPeerConnection.connectionState`, or `none` without a peer connection. */
  connectionState: string;
}

/** One end of the selected ICE candidate pair (RFC 8445 §4). */
export interface CandidateEnd {
  address: string;
  port: number;
  candidateType: string;
  protocol: string;
  /** For a relay candidate: how the browser reaches the TURN server (`udp`, `tcp`, `tls`); else empty. */
  relayProtocol: string;
}

export interface SelectedPair {
  participantId: string;
  local: CandidateEnd;
  remote: CandidateEnd;
}

// ---- structural types of what the page code touches
type StatsEntry = Record<string, unknown> & { type: string; id: string };
interface StatsReportLike {
  forEach(cb: (s: StatsEntry) => void): void;
  get(id: string): StatsEntry | undefined;
}
interface PcLike {
  connectionState?: string;
  getStats(): Promise<StatsReportLike>;
}
interface RemoteLike {
  id: unknown;
  name?: unknown;
  pc?: PcLike | null;
}
interface PageGlobals {
  itda?: { room?: { participants?: Map<unknown, RemoteLike> | RemoteLike[] | Iterable<RemoteLike> } };
}

/** Reads every remote participant's inbound media counters on `page`. */
export function readRemoteMedia(page: Page): Promise<RemoteMedia[]> {
  return page.evaluate(async () => {
    const room = (globalThis as unknown as PageGlobals).itda?.room;
    const raw = room?.participants;
    if (raw === undefined || raw === null) return [];
    const list: RemoteLike[] = raw instanceof Map ? [...raw.values()] : Array.from(raw as Iterable<RemoteLike>);
    const out: RemoteMedia[] = [];
    for (const p of list) {
      let audio = 0;
      let video = 0;
      const pc = p.pc;
      if (pc && typeof pc.getStats === 'function') {
        const report = await pc.getStats();
        report.forEach((s) => {
          if (s.type !== 'inbound-rtp') return;
          if (s.kind === 'audio') audio += Number(s.packetsReceived ?? 0);
          if (s.kind === 'video') video += Number(s.framesDecoded ?? 0);
        });
      }
      out.push({
        id: String(p.id),
        name: String(p.name ?? ''),
        audioPacketsReceived: audio,
        videoFramesDecoded: video,
        connectionState: pc ? String(pc.connectionState ?? 'unknown') : 'none',
      });
    }
    return out;
  });
}

/** The ids of the remote participants `page` knows, sorted. */
export async function remoteIds(page: Page): Promise<string[]> {
  return (await readRemoteMedia(page)).map((r) => r.id).sort();
}

export interface MediaWaitOptions {
  /** How many remote participants must be receiving. Default 1. */
  count?: number;
  /** Counters must exceed these (to prove media keeps flowing). Keyed by participant id. */
  above?: ReadonlyMap<string, RemoteMedia>;
  timeoutMs?: number;
}

/**
 * Waits until `page` receives audio (`packetsReceived > 0`) and decodes video
 * (`framesDecoded > 0`) from `count` remote participants — or, with `above`, until each
 * counter has grown past the earlier reading. Returns the final reading.
 */
export async function waitForRemoteMedia(page: Page, options: MediaWaitOptions = {}): Promise<RemoteMedia[]> {
  const count = options.count ?? 1;
  const above = options.above;
  let last: RemoteMedia[] = [];
  try {
    return await waitFor(
      async () => {
        const all = await readRemoteMedia(page);
        last = all;
        const flowing = all.filter((r) => {
          const before = above?.get(r.id);
          return (
            r.audioPacketsReceived > (before?.audioPacketsReceived ?? 0) &&
            r.videoFramesDecoded > (before?.videoFramesDecoded ?? 0)
          );
        });
        return flowing.length >= count && all.length >= count ? all : undefined;
      },
      {
        timeoutMs: options.timeoutMs ?? 20_000,
        intervalMs: 200,
        what: `audio and video from ${count} remote participant(s)${above ? ' to keep flowing' : ''}`,
      },
    );
  } catch (err) {
    const before = above === undefined ? '' : `; before: ${JSON.stringify([...above.values()])}`;
    throw new Error(`${(err as Error).message}; last reading: ${JSON.stringify(last)}${before}`);
  }
}

/** Indexes a reading by participant id. */
export function byId(media: readonly RemoteMedia[]): Map<string, RemoteMedia> {
  return new Map(media.map((m) => [m.id, m]));
}

/** The selected candidate pair of each remote participant's peer connection. */
export function readSelectedPairs(page: Page): Promise<SelectedPair[]> {
  return page.evaluate(async () => {
    const room = (globalThis as unknown as PageGlobals).itda?.room;
    const raw = room?.participants;
    if (raw === undefined || raw === null) return [];
    const list: RemoteLike[] = raw instanceof Map ? [...raw.values()] : Array.from(raw as Iterable<RemoteLike>);
    const out: SelectedPair[] = [];
    const end = (s: StatsEntry | undefined): CandidateEnd => ({
      address: String(s?.address ?? s?.ip ?? ''),
      port: Number(s?.port ?? 0),
      candidateType: String(s?.candidateType ?? ''),
      protocol: String(s?.protocol ?? ''),
      relayProtocol: String(s?.relayProtocol ?? ''),
    });
    for (const p of list) {
      if (!p.pc) continue;
      const report = await p.pc.getStats();
      let pairId: string | undefined;
      report.forEach((s) => {
        if (s.type === 'transport' && typeof s.selectedCandidatePairId === 'string') pairId = s.selectedCandidatePairId;
      });
      if (pairId === undefined) {
        report.forEach((s) => {
          if (s.type === 'candidate-pair' && s.state === 'succeeded' && s.nominated === true) pairId = s.id;
        });
      }
      const pair = pairId === undefined ? undefined : report.get(pairId);
      if (pair === undefined) continue;
      out.push({
        participantId: String(p.id),
        local: end(report.get(String(pair.localCandidateId))),
        remote: end(report.get(String(pair.remoteCandidateId))),
      });
    }
    return out;
  });
}

/**
 * Every candidate pair ICE tried on `page`'s peer connections, one line each —
 * `relay/tls→host tcp in-progress` — for the message of a call that did not connect.
 */
export function readTriedPairs(page: Page): Promise<string[]> {
  return page.evaluate(async () => {
    const raw = (globalThis as unknown as PageGlobals).itda?.room?.participants;
    if (raw === undefined || raw === null) return [];
    const list: RemoteLike[] = raw instanceof Map ? [...raw.values()] : Array.from(raw as Iterable<RemoteLike>);
    const out: string[] = [];
    for (const p of list) {
      if (!p.pc) continue;
      const report = await p.pc.getStats();
      const kind = (id: unknown): string => {
        const c = report.get(String(id));
        const type = String(c?.candidateType ?? '?');
        return type === 'relay' ? `relay/${String(c?.relayProtocol ?? '?')}` : type;
      };
      report.forEach((s) => {
        if (s.type !== 'candidate-pair') return;
        const protocol = String(report.get(String(s.localCandidateId))?.protocol ?? '?');
        out.push(`${kind(s.localCandidateId)}→${kind(s.remoteCandidateId)} ${protocol} ${String(s.state)}`);
      });
    }
    return out;
  });
}

/** True for 127.0.0.0/8 and ::1. */
export function isLoopbackAddress(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address === '[::1]';
}
