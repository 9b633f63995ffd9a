/**
 * Probes for rooms in `sfu` mode: what a page receives from each remote participant
 * through the subscribe connection (audio packets, decoded video frames, and the codec
 * of each — `inbound-rtp.codecId` → `codec.mimeType`, W3C webrtc-stats §6.2), the size
 * of the subscribe connection's SDP, what the server's SFU holds, and the server
 * process's open sockets and active handles (for leak checks).
 *
 * In an sfu room every remote participant's `pc` is the same subscribe connection, so
 * media is attributed to a participant by `trackIdentifier` (the tracks of its
 * `cameraStream`). `room.peerConnections` is `[publish, subscribe]`.
 */
import { readdirSync, readlinkSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { join } from './call.ts';
import { waitFor } from './poll.ts';
import type { RunningServer } from './server.ts';

/** What a page receives from one remote participant. */
export interface SfuRemote {
  id: string;
  name: string;
  audioPackets: number;
  videoFrames: number;
  /** `mimeType` of the inbound audio's codec (e.g. `audio/opus`), '' before any. */
  audioCodec: string;
  /** `mimeType` of the inbound camera video's codec (e.g. `video/VP9`), '' before any. */
  videoCodec: string;
}

export interface SfuPageReading {
  mode: string;
  peerConnections: number;
  remotes: SfuRemote[];
  /** `mimeType` of the publish connection's outbound video codec, '' before any. */
  sentVideoCodec: string;
}

/** Reads the room mode, the peer connection count and each remote participant's inbound media and codecs. */
export function readSfuPage(page: Page): Promise<SfuPageReading> {
  return page.evaluate(async () => {
    type Entry = Record<string, unknown> & { type: string; id: string };
    type Report = { forEach(cb: (e: Entry) => void): void; get(id: string): Entry | undefined };
    type StreamLike = { getTracks(): { id: string }[] };
    type RemoteLike = { id: string; name: string; cameraStream: StreamLike | null };
    type PcLike = { getStats(): Promise<Report> };
    type RoomLike = { mode: string; peerConnections: PcLike[]; participants: Map<string, RemoteLike> };
    const room = (globalThis as unknown as { itda?: { room?: RoomLike } }).itda?.room;
    if (room === undefined) return { mode: 'none', peerConnections: 0, remotes: [], sentVideoCodec: '' };
    const inbound: { e: Entry; mime: string }[] = [];
    let sentVideoCodec = '';
    for (const pc of room.peerConnections) {
      const report = await pc.getStats();
      report.forEach((e) => {
        const mime = String(report.get(String(e.codecId ?? ''))?.mimeType ?? '');
        if (e.type === 'inbound-rtp') inbound.push({ e, mime });
        if (e.type === 'outbound-rtp' && e.kind === 'video' && mime !== '') sentVideoCodec = mime;
      });
    }
    const remotes = [...room.participants.values()].map((p) => {
      const camera = new Set((p.cameraStream?.getTracks() ?? []).map((t) => t.id));
      let audioPackets = 0;
      let videoFrames = 0;
      let audioCodec = '';
      let videoCodec = '';
      for (const { e, mime } of inbound) {
        if (!camera.has(String(e.trackIdentifier ?? ''))) continue;
        if (e.kind === 'audio') {
          audioPackets += Number(e.packetsReceived ?? 0);
          if (mime !== '') audioCodec = mime;
        } else if (e.kind === 'video') {
          videoFrames += Number(e.framesDecoded ?? 0);
          if (mime !== '') videoCodec = mime;
        }
      }
      return { id: p.id, name: p.name, audioPackets, videoFrames, audioCodec, videoCodec };
    });
    return { mode: room.mode, peerConnections: room.peerConnections.length, remotes, sentVideoCodec };
  });
}

export interface WaitSfuOptions {
  timeoutMs?: number;
  /** Per name: frames/packets must be above these (an earlier reading). */
  above?: ReadonlyMap<string, { audioPackets: number; videoFrames: number }>;
  /** Require exactly these remote participants (default true). */
  exact?: boolean;
}

/** Waits until `page` receives audio and decodes video from each of `names`; returns that reading. */
export async function waitForSfuRemotes(
  page: Page,
  names: readonly string[],
  options: WaitSfuOptions = {},
): Promise<SfuPageReading> {
  let last: SfuPageReading | undefined;
  try {
    return await waitFor(
      async () => {
        const r = await readSfuPage(page);
        last = r;
        const ok = names.every((n) =>
          r.remotes.some((p) => {
            const base = options.above?.get(n) ?? { audioPackets: 0, videoFrames: 0 };
            return p.name === n && p.audioPackets > base.audioPackets && p.videoFrames > base.videoFrames;
          }),
        );
        return ok && (options.exact === false || r.remotes.length === names.length) ? r : undefined;
      },
      { timeoutMs: options.timeoutMs ?? 30_000, intervalMs: 250, what: `audio and video from ${names.join(', ')}` },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last reading: ${JSON.stringify(last)}`);
  }
}

/** The subscribe connection's remote description (the SFU's last offer): m-lines in all, and those not at port 0. */
export function subscribeSdpSize(page: Page): Promise<{ mLines: number; active: number; bytes: number }> {
  return page.evaluate(() => {
    type PcLike = { remoteDescription: { sdp: string } | null };
    const room = (globalThis as unknown as { itda?: { room?: { peerConnections: PcLike[] } } }).itda?.room;
    const sdp = room?.peerConnections[1]?.remoteDescription?.sdp ?? '';
    const m = sdp.split(/\r?\n/).filter((l) => l.startsWith('m='));
    return { mLines: m.length, active: m.filter((l) => !/^m=\S+ 0 /.test(l)).length, bytes: sdp.length };
  });
}

/** The video codecs this page's Chromium can send (`RTCRtpSender.getCapabilities('video')`), as lower-case mime types. */
export function sendableVideoCodecs(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    type Caps = { codecs: { mimeType: string }[] } | null;
    const sender = (globalThis as unknown as { RTCRtpSender: { getCapabilities(kind: string): Caps } }).RTCRtpSender;
    return [...new Set((sender.getCapabilities('video')?.codecs ?? []).map((c) => c.mimeType.toLowerCase()))];
  });
}

/** What the server's SFU holds right now. */
export interface SfuCounts {
  /** Transports the RtcServer demultiplexes to (`rtc.transportCount`). */
  rtcTransports: number;
  /** Transports the SfuService has (`service.transportCount`). */
  serviceTransports: number;
  rooms: number;
}

export function sfuCounts(server: RunningServer): SfuCounts {
  const sfu = server.sfu;
  if (sfu === undefined) throw new Error('the server runs no SFU');
  return {
    rtcTransports: sfu.rtc.transportCount,
    serviceTransports: sfu.service.transportCount,
    rooms: sfu.service.roomCount,
  };
}

/** Waits until the SFU holds exactly `want` (each field given). */
export function waitForSfuCounts(
  server: RunningServer,
  want: Partial<SfuCounts>,
  timeoutMs = 15_000,
  what = 'the SFU counts',
): Promise<SfuCounts> {
  return waitFor(
    () => {
      const c = sfuCounts(server);
      const ok = (Object.keys(want) as (keyof SfuCounts)[]).every((k) => c[k] === want[k]);
      return ok ? c : undefined;
    },
    { timeoutMs, intervalMs: 50, what: `${what} ${JSON.stringify(want)} (now ${JSON.stringify(sfuCounts(server))})` },
  );
}

/** This process's open sockets (entries of /proc/self/fd that are sockets) and active resources by type. */
export interface ProcessResources {
  sockets: number;
  fds: number;
  /** `process.getActiveResourcesInfo()` counted by type (`Timeout`, `UDPWrap`, `TCPSocketWrap`, …). */
  handles: Record<string, number>;
}

export function processResources(): ProcessResources {
  let sockets = 0;
  let fds = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    let target: string;
    try {
      target = readlinkSync(`/proc/self/fd/${fd}`);
    } catch {
      continue; // closed while listing (the directory's own fd)
    }
    fds++;
    if (target.startsWith('socket:')) sockets++;
  }
  const handles: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) handles[type] = (handles[type] ?? 0) + 1;
  return { sockets, fds, handles };
}

/** `join` of call.ts with URL parameters (e.g. `codec=vp9`): the local tile shown and the SDK joined. */
export function joinWithQuery(page: Page, baseUrl: string, room: string, name: string, query: string): Promise<void> {
  return join(page, baseUrl, room, name, query);
}

/** Live timers of this process, counted by {@link trackTimers}. */
export interface TimerCounts {
  timeouts: number;
  intervals: number;
}

/**
 * Counts the timers of this process that are pending — set and neither fired (a
 * timeout) nor cleared — including unref'd ones, which `process.getActiveResourcesInfo()`
 * does not list (`systemClock` of @itda/common unrefs every timer). Wraps the global
 * `setTimeout`/`setInterval`/`clearTimeout`/`clearInterval`; install it before the server
 * starts, `restore()` it in `after`. Playwright's own waits in this process count too.
 */
export function trackTimers(): { counts(): TimerCounts; restore(): void } {
  const g = globalThis as unknown as Record<string, unknown>;
  const saved = {
    setTimeout: globalThis.setTimeout,
    setInterval: globalThis.setInterval,
    clearTimeout: globalThis.clearTimeout,
    clearInterval: globalThis.clearInterval,
  };
  const timeouts = new Set<unknown>();
  const intervals = new Set<unknown>();
  // The wrappers forward the callers' arguments unchanged, whatever their types.
  type Fn = (...args: unknown[]) => unknown;
  g.setTimeout = (fn: Fn, ms?: number, ...args: unknown[]) => {
    const handle = saved.setTimeout(
      (...a: unknown[]) => {
        timeouts.delete(handle);
        return fn(...a);
      },
      ms,
      ...args,
    );
    timeouts.add(handle);
    return handle;
  };
  g.setInterval = (fn: Fn, ms?: number, ...args: unknown[]) => {
    const handle = saved.setInterval(fn, ms, ...args);
    intervals.add(handle);
    return handle;
  };
  g.clearTimeout = (handle: NodeJS.Timeout | undefined) => {
    timeouts.delete(handle);
    intervals.delete(handle);
    saved.clearTimeout(handle);
  };
  g.clearInterval = (handle: NodeJS.Timeout | undefined) => {
    timeouts.delete(handle);
    intervals.delete(handle);
    saved.clearInterval(handle);
  };
  return {
    counts: () => ({ timeouts: timeouts.size, intervals: intervals.size }),
    restore: () => Object.assign(globalThis, saved),
  };
}
