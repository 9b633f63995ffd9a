/**
 * Every codec the SFU forwards (issue #4: Opus, VP8, VP9, H.264, AV1), through itda's SFU
 * in Chromium. For each video codec two people join an sfu room with `?codec=<name>` (the
 * web app passes it as `RoomOptions.videoCodec`, which offers only that codec on the
 * publish connection): each decodes the other's video (`framesDecoded > 0`) and receives
 * the other's audio, and the receiver's `inbound-rtp.codecId` names that codec's
 * `mimeType` (audio: `audio/opus`).
 *
 * A codec this Chromium cannot encode (absent from `RTCRtpSender.getCapabilities('video')`,
 * e.g. H.264 in a build without OpenH264) is not skipped: its case asserts the absence,
 * then that asking for it falls back to a codec that exists and media still flows through
 * the SFU. The test prints which case ran.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { button, Harness, type Person, unexpectedErrors, uniqueRoom } from './harness/index.ts';
import { joinWithQuery, readSfuPage, sendableVideoCodecs, waitForSfuCounts, waitForSfuRemotes } from './harness/sfu.ts';

const CODECS = ['vp8', 'vp9', 'h264', 'av1'] as const;

let h: Harness;
let sendable: string[] = [];

before(async () => {
  h = await Harness.start({ server: { sfu: true } });
  const probe = await h.person('Probe');
  await probe.page.goto(h.url);
  sendable = await sendableVideoCodecs(probe.page);
  await h.dismiss(probe);
});
after(() => h?.close());

test('Chromium here can send VP8 and VP9 (the codecs every case can fall back to)', (t) => {
  t.diagnostic(`RTCRtpSender.getCapabilities('video'): ${sendable.join(', ')}`);
  assert.ok(sendable.includes('video/vp8'));
  assert.ok(sendable.includes('video/vp9'));
});

for (const codec of CODECS) {
  test(`${codec}: two people in an sfu room each decode the other's video in ${codec}, and hear Opus`, async (t) => {
    const mime = `video/${codec}`;
    const canSend = sendable.includes(mime);
    if (!canSend) {
      // Not a silent skip: the browser provably cannot encode it, so the SFU path is checked
      // with what the browser falls back to.
      t.diagnostic(`${codec}: NOT in RTCRtpSender.getCapabilities('video') of this Chromium; checking the fallback`);
      assert.ok(!sendable.includes(mime));
    }
    const room = uniqueRoom(`sfu-${codec}`);
    const pair: Person[] = [await h.person('Ada'), await h.person('Bea')];
    try {
      for (const p of pair) await joinWithQuery(p.page, h.url, room, p.name, `codec=${codec}`);
      for (const [i, p] of pair.entries()) {
        const other = pair[1 - i];
        assert.ok(other);
        const r = await waitForSfuRemotes(p.page, [other.name], { timeoutMs: 40_000 });
        assert.equal(r.mode, 'sfu');
        assert.equal(r.peerConnections, 2);
        const got = r.remotes[0];
        assert.ok(got);
        t.diagnostic(
          `${p.name} receives ${other.name}: ${got.videoFrames} frames in ${got.videoCodec}, ${got.audioPackets} audio packets in ${got.audioCodec}; sends ${r.sentVideoCodec}`,
        );
        assert.equal(got.audioCodec.toLowerCase(), 'audio/opus');
        if (canSend) {
          assert.equal(got.videoCodec.toLowerCase(), mime, `${p.name} decodes ${other.name}'s video in ${codec}`);
          assert.equal(r.sentVideoCodec.toLowerCase(), mime, `${p.name} sends ${codec}`);
        } else {
          assert.notEqual(got.videoCodec, '', 'some video codec decoded');
          assert.ok(sendable.includes(got.videoCodec.toLowerCase()), 'the fallback is a codec this browser sends');
        }
      }
      // More frames keep coming (not just one keyframe).
      const ada = pair[0];
      assert.ok(ada);
      const before = (await readSfuPage(ada.page)).remotes[0];
      assert.ok(before);
      await waitForSfuRemotes(ada.page, ['Bea'], {
        above: new Map([['Bea', { audioPackets: before.audioPackets, videoFrames: before.videoFrames + 10 }]]),
      });
      for (const p of pair) assert.deepEqual(unexpectedErrors(p), [], `${p.name}'s page errors`);
      for (const p of pair) await button(p.page, 'Leave').click();
      await waitForSfuCounts(h.server, { rtcTransports: 0, serviceTransports: 0, rooms: 0 }, 15_000, 'after both left');
    } finally {
      for (const p of pair) await h.dismiss(p);
    }
  });
}
