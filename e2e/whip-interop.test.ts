/**
 * WHIP (RFC 9725) and WHEP against independent WebRTC stacks:
 * - node-datachannel (libdatachannel: libjuice ICE, its own DTLS and SRTP): a publisher
 *   WHIPs synthetic VP8 + Opus RTP with a counter in every payload; a player WHEPs it
 *   with other payload types than the publisher's. Every packet must arrive, decrypted, in
 *   order, with continuous sequence numbers, on the SSRCs of the answer, with the
 *   player's payload types.
 * - Chromium: a page publishes its (fake) camera and microphone through WHIP with
 *   `fetch`, and a second person in the same room, in the web app, sees the WHIP
 *   participant's tile and decodes its video; a third page plays it through WHEP and
 *   decodes it too. (Real media from Chromium: the synthetic VP8 above is not decodable.)
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { parseSdp } from '@itda/sfu/sdp';
import type { Page } from 'playwright-core';
import { Harness, join, tile, uniqueRoom, waitFor } from './harness/index.ts';
import { WHIP_EXCHANGE_JS } from './harness/whip-page.ts';
import {
  KIND_AUDIO,
  KIND_VIDEO,
  NdcPlayer,
  NdcPublisher,
  ndcCleanup,
  postOffer,
  type Received,
  until,
} from './interop/ndc-whip.ts';

let h: Harness;
before(async () => {
  // A 10 s consent timeout (RFC 7675; default 30 s) so a vanished publisher is noticed sooner;
  // browsers send consent checks every ~5 s.
  // On the wildcard address, as `itda serve` binds by default, and with two media workers
  // (the default on more than two CPUs; the other browser tests run the 2-CPU default of
  // none): the main thread receives on each local address and the workers send
  // (docs/sfu/workers.md).
  h = await Harness.start({
    server: { sfu: true, host: '0.0.0.0', rtcConsentTimeoutMs: 10_000, mediaWorkers: 2 },
  });
});
after(() => h?.close());

/** Checks one stream as the player received it: counters 0…n−1 once each, in order, consecutive sequence numbers. */
function checkStream(packets: Received[], sent: number, what: string): void {
  assert.equal(packets.length, sent, `${what}: ${packets.length} of ${sent} packets`);
  for (let i = 0; i < packets.length; i++) {
    const p = packets[i] as Received;
    assert.equal(p.counter, i, `${what}: packet ${i} carries counter ${p.counter}`);
    if (i > 0) {
      const prev = packets[i - 1] as Received;
      assert.equal(p.sequence, (prev.sequence + 1) & 0xffff, `${what}: sequence gap at ${i}`);
    }
  }
}

test('node-datachannel: WHIP publisher → itda SFU → WHEP player, every packet in order with the player payload types', async () => {
  const room = uniqueRoom('whip');
  const pub = new NdcPublisher('ndc-pub');
  const player = new NdcPlayer('ndc-play');
  try {
    const published = await postOffer(`${h.url}/whip/${room}?name=ndc`, await pub.offer());
    pub.accept(published.answer);
    await pub.opened();
    const info = h.server.signal.core.getRoom(room);
    assert.deepEqual(
      info?.participants.map((p) => p.name),
      ['ndc'],
    );

    const played = await postOffer(
      `${h.url}/whep/${room}?participant=${published.participantId}`,
      await player.offer(),
    );
    player.accept(played.answer);
    await player.opened();
    const answer = parseSdp(played.answer);
    const videoSsrc = answer.media.find((m) => m.kind === 'video')?.ssrcs[0]?.ssrc;
    const audioSsrc = answer.media.find((m) => m.kind === 'audio')?.ssrcs[0]?.ssrc;
    assert.ok(videoSsrc !== undefined && audioSsrc !== undefined);
    // The SFU resumes the consumers when its side of the transport is connected.
    await until(
      () => {
        const router = h.server.sfu?.service.routerFor(room);
        const consumers = [...(router?.transports.values() ?? [])].flatMap((t) => [...t.consumers.values()]);
        return consumers.length === 2 && consumers.every((c) => !c.paused);
      },
      10_000,
      'player consumers resumed',
    );

    const workerSentBefore = h.server.sfu?.rtc.workerStats()?.sent ?? 0;
    // 2 s of media: video 90 packets/s, audio 50 packets/s, paced by a 20 ms timer.
    const VIDEO = 180;
    const AUDIO = 100;
    await new Promise<void>((resolve) => {
      let ticks = 0;
      const timer = setInterval(() => {
        ticks++;
        for (let i = 0; i < 2 && pub.videoSent < VIDEO; i++) pub.sendVideo();
        if (ticks % 2 === 0 && pub.videoSent < VIDEO) pub.sendVideo();
        if (pub.audioSent < AUDIO) pub.sendAudio();
        if ((pub.videoSent >= VIDEO && pub.audioSent >= AUDIO) || ticks > 500) {
          clearInterval(timer);
          resolve();
        }
      }, 20);
    });
    assert.equal(pub.videoSent, VIDEO);
    assert.equal(pub.audioSent, AUDIO);
    await until(() => player.received.length >= VIDEO + AUDIO, 10_000, 'every packet at the player').catch(() => {});

    const video = player.received.filter((p) => p.kind === KIND_VIDEO);
    const audio = player.received.filter((p) => p.kind === KIND_AUDIO);
    checkStream(video, VIDEO, 'video');
    checkStream(audio, AUDIO, 'audio');
    assert.deepEqual(
      [video[0]?.ssrc, video[0]?.payloadType, audio[0]?.ssrc, audio[0]?.payloadType],
      [videoSsrc, player.videoPt, audioSsrc, player.audioPt],
    );
    assert.ok(video.every((p) => p.ssrc === videoSsrc && p.payloadType === player.videoPt));
    assert.ok(audio.every((p) => p.ssrc === audioSsrc && p.payloadType === player.audioPt));
    assert.equal(player.foreign, 0);
    // The player's copies left through the media workers (encrypted and sent off the main thread).
    const workerSent = (h.server.sfu?.rtc.workerStats()?.sent ?? 0) - workerSentBefore;
    assert.ok(workerSent >= VIDEO + AUDIO, `media workers sent ${workerSent} packets`);

    // DELETE the player; the publisher just goes away: its transport dies (consent freshness),
    // it leaves the room, its resource is gone, and nothing stays in the SFU.
    assert.equal((await fetch(played.location, { method: 'DELETE' })).status, 200);
    pub.close();
    await until(() => (h.server.signal.core.getRoom(room)?.participants.length ?? 0) === 0, 20_000, 'publisher gone');
    assert.equal((await fetch(published.location, { method: 'DELETE' })).status, 404);
    assert.equal(h.server.sfu?.service.routerFor(room), undefined);
  } finally {
    player.close();
    pub.close();
    // libdatachannel's threads must stop before the process exits.
    ndcCleanup();
  }
});

/**
 * Page helpers (plain browser JavaScript, installed with `installHelpers`): `whip(url)`
 * publishes the fake camera and microphone with WHIP; `whep(url)` plays a stream into
 * recvonly transceivers; `whepReading()` counts what the WHEP connection decoded.
 */
const PAGE_HELPERS = `${WHIP_EXCHANGE_JS}
  window.whip = async (url) => {
    const media = await navigator.mediaDevices.getUserMedia({ audio: true, video: { width: 320, height: 240 } });
    const pc = new RTCPeerConnection();
    for (const track of media.getTracks()) pc.addTransceiver(track, { direction: 'sendonly', streams: [media] });
    window.whipPc = pc;
    return exchange(pc, url);
  };
  window.whep = async (url) => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('audio', { direction: 'recvonly' });
    pc.addTransceiver('video', { direction: 'recvonly' });
    window.whepPc = pc;
    return exchange(pc, url);
  };
  window.whepReading = async () => {
    let frames = 0;
    let audioPackets = 0;
    (await window.whepPc.getStats()).forEach((e) => {
      if (e.type !== 'inbound-rtp') return;
      if (e.kind === 'video') frames += e.framesDecoded ?? 0;
      if (e.kind === 'audio') audioPackets += e.packetsReceived ?? 0;
    });
    return { frames, audioPackets };
  };
  window.whepCipher = async () => {
    let cipher = '';
    (await window.whepPc.getStats()).forEach((e) => {
      if (e.type === 'transport' && e.srtpCipher) cipher = e.srtpCipher;
    });
    return cipher;
  };
  true`;

interface Exchanged {
  location: string;
  participantId: string;
}

async function installHelpers(page: Page, origin: string): Promise<void> {
  await page.goto(origin);
  await page.evaluate(PAGE_HELPERS);
}

const whipFromPage = (page: Page, url: string): Promise<Exchanged> =>
  page.evaluate(`window.whip(${JSON.stringify(url)})`) as Promise<Exchanged>;
const whepFromPage = (page: Page, url: string): Promise<Exchanged> =>
  page.evaluate(`window.whep(${JSON.stringify(url)})`) as Promise<Exchanged>;
const whepReading = (page: Page): Promise<{ frames: number; audioPackets: number }> =>
  page.evaluate('window.whepReading()') as Promise<{ frames: number; audioPackets: number }>;

/** In the web app: frames decoded and audio packets received from the participant named `name`. */
function appReading(
  page: Page,
  name: string,
): Promise<{ id: string; frames: number; audioPackets: number } | undefined> {
  return page.evaluate(async (who) => {
    type StreamLike = { getTracks(): { id: string }[] };
    type RemoteLike = { id: string; name: string; cameraStream: StreamLike | null };
    type PcLike = { getStats(): Promise<{ forEach(cb: (e: Record<string, unknown>) => void): void }> };
    type RoomLike = { peerConnections: PcLike[]; participants: Map<string, RemoteLike> };
    const room = (globalThis as unknown as { itda?: { room?: RoomLike } }).itda?.room;
    const remote = [...(room?.participants.values() ?? [])].find((p) => p.name === who);
    if (room === undefined || remote === undefined) return undefined;
    const tracks = new Set((remote.cameraStream?.getTracks() ?? []).map((t) => t.id));
    let frames = 0;
    let audioPackets = 0;
    for (const pc of room.peerConnections) {
      (await pc.getStats()).forEach((e) => {
        if (e.type !== 'inbound-rtp' || !tracks.has(String(e.trackIdentifier ?? ''))) return;
        if (e.kind === 'video') frames += Number(e.framesDecoded ?? 0);
        if (e.kind === 'audio') audioPackets += Number(e.packetsReceived ?? 0);
      });
    }
    return { id: remote.id, frames, audioPackets };
  }, name);
}

test('Chromium: a page publishes through WHIP; a person in the web app sees and decodes it; another page plays it through WHEP', async () => {
  const room = uniqueRoom('whip-web');
  const viewer = await h.person('Viewer');
  await join(viewer.page, h.url, room, 'Viewer');
  const camera = await h.person('Camera');
  await installHelpers(camera.page, h.url);
  const published = await whipFromPage(camera.page, `${h.url}/whip/${room}?name=${encodeURIComponent('WHIP Cam')}`);
  assert.match(published.location, /^\/whip\//);

  const seen = await waitFor(
    async () => {
      const r = await appReading(viewer.page, 'WHIP Cam');
      return r !== undefined && r.frames > 0 && r.audioPackets > 0 ? r : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 250, what: 'the WHIP participant’s audio and decoded video in the web app' },
  );
  assert.equal(seen.id, published.participantId);
  await tile(viewer.page, seen.id).waitFor();

  const player = await h.person('Player');
  await installHelpers(player.page, h.url);
  const played = await whepFromPage(player.page, `${h.url}/whep/${room}?participant=${published.participantId}`);
  assert.match(played.location, /^\/whep\//);
  assert.equal(played.participantId, published.participantId);
  await waitFor(
    async () => {
      const r = await whepReading(player.page);
      return r.frames > 0 && r.audioPackets > 0;
    },
    { timeoutMs: 30_000, intervalMs: 250, what: 'decoded video through WHEP' },
  );
  // The SRTP profile the SFU picked from Chromium's offer: AES-CM first (docs/sfu/dtls.md).
  assert.equal(await player.page.evaluate('window.whepCipher()'), 'SRTP_AES128_CM_HMAC_SHA1_80');

  // DELETE from the publishing page: the tile goes away in the web app.
  const status = await camera.page.evaluate(
    async (location) => (await fetch(location, { method: 'DELETE' })).status,
    published.location,
  );
  assert.equal(status, 200);
  await tile(viewer.page, seen.id).waitFor({ state: 'detached' });
});
