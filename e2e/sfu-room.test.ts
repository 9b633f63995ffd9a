/**
 * Rooms in `sfu` mode in Chromium, through itda's own SFU (issue #4): four people each
 * receive the three others' audio and video with exactly two peer connections per page,
 * whatever the room size; screen share reaches everyone; chat and a file go through the
 * server (no browser-to-browser data channel); a leaving participant's tiles go away.
 *
 * Media is counted per remote participant from the subscribe connection's `inbound-rtp`
 * entries, matched to the participant by `trackIdentifier` (every participant's `pc` is
 * the same subscribe connection in an sfu room).
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import {
  button,
  connectionState,
  Harness,
  join,
  joinRelayOnly,
  localParticipantId,
  type Person,
  receivedFileDigest,
  removedTiles,
  sendChat,
  sendFile,
  tile,
  unexpectedErrors,
  uniqueRoom,
  waitFor,
  waitForChat,
  watchTileRemovals,
} from './harness/index.ts';

interface PerParticipant {
  id: string;
  name: string;
  audioPackets: number;
  videoFrames: number;
  screenFrames: number;
}

interface SfuReading {
  mode: string;
  peerConnections: number;
  remotes: PerParticipant[];
}

/** Reads, in the page, the room mode, the peer connection count and each remote participant's inbound media. */
function readSfu(page: Page): Promise<SfuReading> {
  return page.evaluate(async () => {
    type Entry = Record<string, unknown> & { type: string };
    type TrackLike = { id: string };
    type StreamLike = { getTracks(): TrackLike[] };
    type RemoteLike = {
      id: string;
      name: string;
      cameraStream: StreamLike | null;
      screenStream: StreamLike | null;
    };
    type PcLike = { getStats(): Promise<{ forEach(cb: (e: Entry) => void): void }> };
    type RoomLike = { mode: string; peerConnections: PcLike[]; participants: Map<string, RemoteLike> };
    const room = (globalThis as unknown as { itda?: { room?: RoomLike } }).itda?.room;
    if (room === undefined) return { mode: 'none', peerConnections: 0, remotes: [] };
    const inbound: Entry[] = [];
    for (const pc of room.peerConnections) {
      const report = await pc.getStats();
      report.forEach((e) => {
        if (e.type === 'inbound-rtp') inbound.push(e);
      });
    }
    const remotes = [...room.participants.values()].map((p) => {
      const camera = new Set((p.cameraStream?.getTracks() ?? []).map((t) => t.id));
      const screen = new Set((p.screenStream?.getTracks() ?? []).map((t) => t.id));
      let audioPackets = 0;
      let videoFrames = 0;
      let screenFrames = 0;
      for (const e of inbound) {
        const track = String(e.trackIdentifier ?? '');
        if (camera.has(track) && e.kind === 'audio') audioPackets += Number(e.packetsReceived ?? 0);
        if (camera.has(track) && e.kind === 'video') videoFrames += Number(e.framesDecoded ?? 0);
        if (screen.has(track) && e.kind === 'video') screenFrames += Number(e.framesDecoded ?? 0);
      }
      return { id: p.id, name: p.name, audioPackets, videoFrames, screenFrames };
    });
    return { mode: room.mode, peerConnections: room.peerConnections.length, remotes };
  });
}

/** Waits until `page` receives audio and decodes video from each of `names`. */
async function waitForSfuMedia(page: Page, names: readonly string[], timeoutMs = 30_000): Promise<SfuReading> {
  let last: SfuReading | undefined;
  try {
    return await waitFor(
      async () => {
        const r = await readSfu(page);
        last = r;
        const ok = names.every((n) => r.remotes.some((p) => p.name === n && p.audioPackets > 0 && p.videoFrames > 0));
        return ok && r.remotes.length === names.length ? r : undefined;
      },
      { timeoutMs, intervalMs: 250, what: `audio and video from ${names.join(', ')}` },
    );
  } catch (err) {
    throw new Error(`${(err as Error).message}; last reading: ${JSON.stringify(last)}`);
  }
}

let h: Harness;
const people: Person[] = [];
let room = '';

before(async () => {
  h = await Harness.start({ server: { sfu: true } });
  room = uniqueRoom('sfu');
});
after(() => h?.close());

test('four people in an sfu room each receive the three others’ audio and video, with two peer connections each', async (t) => {
  for (const name of ['Ada', 'Bea', 'Cai', 'Dee']) {
    const p = await h.person(name);
    people.push(p);
    await join(p.page, h.url, room, name);
    const r = await readSfu(p.page);
    assert.equal(r.mode, 'sfu');
    assert.equal(r.peerConnections, 2, `${name} right after joining`);
  }
  for (const p of people) {
    const others = people.filter((q) => q !== p).map((q) => q.name);
    const r = await waitForSfuMedia(p.page, others);
    assert.equal(r.peerConnections, 2, `${p.name} in a room of four: as many connections as in a room of two`);
    t.diagnostic(`${p.name}: ${JSON.stringify(r.remotes)}`);
  }
  // The Stats panel shows the mode.
  const ada = people[0];
  assert.ok(ada);
  await button(ada.page, 'Stats').click();
  const mode = ada.page.locator('.stats-mode');
  await mode.waitFor();
  assert.equal(await mode.getAttribute('data-room-mode'), 'sfu');
  assert.equal(await mode.getAttribute('data-peer-connections'), '2');
  await button(ada.page, 'Stats').click();
});

test('a screen share reaches everyone', async () => {
  const [ada, ...rest] = people;
  assert.ok(ada);
  const adaId = await localParticipantId(ada.page);
  assert.ok(adaId !== undefined);
  // A drawn canvas stands in for getDisplayMedia (no picker in headless Chromium).
  await ada.page.evaluate(async () => {
    type RoomLike = { startScreenShare(s: unknown): Promise<unknown> };
    const g = globalThis as unknown as {
      itda: { room: RoomLike };
      document: { createElement(tag: 'canvas'): unknown };
      setInterval(fn: () => void, ms: number): number;
    };
    const canvas = g.document.createElement('canvas') as {
      width: number;
      height: number;
      getContext(k: '2d'): { fillStyle: string; fillRect(x: number, y: number, w: number, h: number): void };
      captureStream(fps: number): unknown;
    };
    canvas.width = 640;
    canvas.height = 360;
    const ctx = canvas.getContext('2d');
    let n = 0;
    g.setInterval(() => {
      n++;
      ctx.fillStyle = `hsl(${(n * 7) % 360} 80% 50%)`;
      ctx.fillRect(0, 0, 640, 360);
    }, 40);
    await g.itda.room.startScreenShare(canvas.captureStream(25));
  });
  for (const p of rest) {
    await p.page.locator(`[data-screen-of="${adaId}"]`).waitFor({ timeout: 20_000 });
    await waitFor(
      async () => {
        const r = await readSfu(p.page);
        return (r.remotes.find((x) => x.id === adaId)?.screenFrames ?? 0) > 0 ? true : undefined;
      },
      { timeoutMs: 20_000, intervalMs: 250, what: `${p.name} decodes Ada's screen share` },
    );
    assert.equal((await readSfu(p.page)).peerConnections, 2);
  }
  await ada.page.evaluate(() => {
    (globalThis as unknown as { itda: { room: { stopScreenShare(): void } } }).itda.room.stopScreenShare();
  });
  for (const p of rest) {
    await p.page.locator(`[data-screen-of="${adaId}"]`).waitFor({ state: 'detached', timeout: 20_000 });
  }
});

test('chat and a 300 KiB file go to everyone through the server', async () => {
  const [ada, ...rest] = people;
  assert.ok(ada);
  const hello = `hello sfu room ${Math.random().toString(36).slice(2)}`;
  await sendChat(ada.page, hello);
  for (const p of rest) await waitForChat(p.page, hello);

  const data = randomBytes(300 * 1024);
  const sha256 = createHash('sha256').update(data).digest('hex');
  const name = `sfu-${Date.now()}.bin`;
  await sendFile(ada.page, name, data);
  for (const p of rest) {
    const got = await receivedFileDigest(p.page, name);
    assert.equal(got.size, data.length);
    assert.equal(got.sha256, sha256, `${p.name} got the file intact`);
  }
  assert.equal(
    h.server.signal.core.metrics.errors.get('rate_limited') ?? 0,
    0,
    'the file stayed within the data budget',
  );
});

test('mute and camera off/on through the SFU: the others see it, and video comes back', async () => {
  const [ada, bea] = people;
  assert.ok(ada !== undefined && bea !== undefined);
  const adaId = await localParticipantId(ada.page);
  assert.ok(adaId !== undefined);
  const adaTile = tile(bea.page, adaId);
  await button(ada.page, 'Mute').click();
  await adaTile.locator('.mic-off').waitFor({ state: 'visible', timeout: 10_000 });
  await button(ada.page, 'Camera').click();
  await bea.page.locator(`[data-participant-id="${adaId}"].video-off`).waitFor({ timeout: 10_000 });
  const before = (await readSfu(bea.page)).remotes.find((r) => r.id === adaId)?.videoFrames ?? 0;
  await button(ada.page, 'Camera').click();
  await button(ada.page, 'Mute').click();
  await bea.page.locator(`[data-participant-id="${adaId}"]:not(.video-off)`).waitFor({ timeout: 10_000 });
  await adaTile.locator('.mic-off').waitFor({ state: 'hidden', timeout: 10_000 });
  await waitFor(
    async () => {
      const r = await readSfu(bea.page);
      return (r.remotes.find((x) => x.id === adaId)?.videoFrames ?? 0) > before + 10 ? true : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 250, what: "Ada's video decoding again on Bea's page after camera on" },
  );
  assert.equal((await readSfu(ada.page)).peerConnections, 2);
});

test('a cut WebSocket resumes the same session with the same two peer connections; media and chat go on', async () => {
  const [ada, bea] = people;
  assert.ok(ada !== undefined && bea !== undefined);
  const beaId = await localParticipantId(bea.page);
  assert.ok(beaId !== undefined);
  // Keep the connection objects to compare after the resume.
  await bea.page.evaluate(() => {
    const g = globalThis as unknown as { itda: { room: { peerConnections: unknown[] } }; __pcs?: unknown[] };
    g.__pcs = [...g.itda.room.peerConnections];
  });
  const before = (await readSfu(ada.page)).remotes.find((r) => r.id === beaId);
  h.server.signal.dropConnection(beaId);
  await waitFor(async () => ((await connectionState(bea.page)) === 'reconnecting' ? true : undefined), {
    timeoutMs: 10_000,
    intervalMs: 20,
    what: 'Bea reconnecting',
  }).catch(() => undefined); // the reconnect may be quicker than the poll
  await waitFor(async () => ((await connectionState(bea.page)) === 'connected' ? true : undefined), {
    timeoutMs: 20_000,
    what: 'Bea connected again',
  });
  assert.equal(await localParticipantId(bea.page), beaId, 'same session');
  const same = await bea.page.evaluate(() => {
    const g = globalThis as unknown as { itda: { room: { peerConnections: unknown[] } }; __pcs?: unknown[] };
    const now = g.itda.room.peerConnections;
    return now.length === 2 && now.every((pc, i) => pc === g.__pcs?.[i]);
  });
  assert.ok(same, 'the resume kept both peer connections');
  await waitFor(
    async () => {
      const r = (await readSfu(ada.page)).remotes.find((x) => x.id === beaId);
      return r !== undefined &&
        r.videoFrames > (before?.videoFrames ?? 0) + 10 &&
        r.audioPackets > (before?.audioPackets ?? 0)
        ? true
        : undefined;
    },
    { timeoutMs: 20_000, intervalMs: 250, what: "Bea's media still reaching Ada" },
  );
  const text = `after the cut ${Math.random().toString(36).slice(2)}`;
  await sendChat(bea.page, text);
  await waitForChat(ada.page, text);
});

test('a participant who leaves loses its tiles everywhere; the others keep two connections and their media', async () => {
  const dee = people[3];
  assert.ok(dee);
  const deeId = await localParticipantId(dee.page);
  assert.ok(deeId !== undefined);
  const stay = people.slice(0, 3);
  for (const p of stay) await watchTileRemovals(p.page);
  await button(dee.page, 'Leave').click();
  for (const p of stay) {
    await tile(p.page, deeId).waitFor({ state: 'detached', timeout: 15_000 });
    assert.ok((await removedTiles(p.page)).includes(deeId));
    const others = stay.filter((q) => q !== p).map((q) => q.name);
    const r = await waitForSfuMedia(p.page, others);
    assert.equal(r.peerConnections, 2);
  }
  for (const p of people) {
    assert.deepEqual(unexpectedErrors(p), [], `${p.name}'s page errors`);
  }
});

test('?relay=1 in an sfu room: both connections go through itda’s TURN (relay candidates only)', async () => {
  const relay = await Harness.start({
    server: { sfu: true, turn: true, allowLoopbackPeers: true, turnAnnounce: ['udp'] },
  });
  try {
    const name = uniqueRoom('sfu-relay');
    const pair = [await relay.person('Ada'), await relay.person('Bea')];
    for (const p of pair) await joinRelayOnly(p.page, relay.url, name, p.name);
    for (const [i, p] of pair.entries()) {
      const other = pair[1 - i];
      assert.ok(other);
      await waitForSfuMedia(p.page, [other.name]);
      const selected = await p.page.evaluate(async () => {
        type Entry = Record<string, unknown> & { type: string; id: string };
        type PcLike = {
          getConfiguration(): { iceTransportPolicy?: string };
          getStats(): Promise<{ forEach(cb: (e: Entry) => void): void; get(id: string): Entry | undefined }>;
        };
        const room = (globalThis as unknown as { itda: { room: { peerConnections: PcLike[] } } }).itda.room;
        const out: { policy: string; localType: string }[] = [];
        for (const pc of room.peerConnections) {
          const report = await pc.getStats();
          let localType = 'none';
          report.forEach((e) => {
            if (e.type !== 'transport' || typeof e.selectedCandidatePairId !== 'string') return;
            const sel = report.get(e.selectedCandidatePairId);
            const local = sel === undefined ? undefined : report.get(String(sel.localCandidateId));
            localType = String(local?.candidateType ?? 'none');
          });
          out.push({ policy: String(pc.getConfiguration().iceTransportPolicy), localType });
        }
        return out;
      });
      assert.deepEqual(
        selected,
        [
          { policy: 'relay', localType: 'relay' },
          { policy: 'relay', localType: 'relay' },
        ],
        `${p.name}: publish and subscribe through the relay`,
      );
    }
    const m = relay.server.turn?.server.metrics;
    assert.ok(m !== undefined && m.packetsToPeer > 0 && m.packetsFromPeer > 0, 'TURN relayed packets both ways');
  } finally {
    await relay.close();
  }
});
