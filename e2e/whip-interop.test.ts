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
import { parseSdp } from '@itda/sfu';
import { Harness, join, tile, uniqueRoom, waitFor } from './harness/index.ts';
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
  h = await Harness.start({ server: { sfu: true } });
});
after(async () => {
  await h?.close();
  ndcCleanup();
});

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

    // DELETE both: the publisher leaves the room, nothing stays in the SFU.
    assert.equal((await fetch(played.location, { method: 'DELETE' })).status, 200);
    assert.equal((await fetch(published.location, { method: 'DELETE' })).status, 200);
    assert.equal(h.server.signal.core.getRoom(room)?.participants.length ?? 0, 0);
    assert.equal(h.server.sfu?.service.routerFor(room), undefined);
  } finally {
    player.close();
    pub.close();
  }
});
