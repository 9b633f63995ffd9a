/**
 * The forwarding suite, run without media workers (forwarding.test.ts) and with two
 * (forwarding-workers.test.ts, docs/sfu/workers.md). Media through the whole SFU on 127.0.0.1 with test peers made of our own modules:
 * one publisher, three subscribers (two over UDP, one over ICE-TCP), negotiated through
 * SfuService exactly as signaling would drive it. The server runs on a ManualClock so
 * keyframe throttling and sender reports happen when the test moves time.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ManualClock } from '@itda/common';
import { isRtcp, type RtcpPacket } from '../rtp/index.ts';
import { type PublishTrackSpec, SfuHarness, type TestParticipant, type TestPeer } from '../testing/index.ts';

/** Registers the suite's tests; `mediaWorkers` as `RtcServerOptions.mediaWorkers`. */
export function forwardingSuite(options: { mediaWorkers: number; host?: '127.0.0.1' | '0.0.0.0' }): void {
  const clock = new ManualClock(1_000_000);
  let h: SfuHarness;
  let alice: TestParticipant;
  let subs: TestParticipant[];
  let audio: PublishTrackSpec;
  let video: PublishTrackSpec;

  before(async () => {
    h = await SfuHarness.start({ clock, mediaWorkers: options.mediaWorkers, host: options.host ?? '127.0.0.1' });
    alice = h.join('alice', { canSubscribe: false });
    subs = [h.join('bob'), h.join('carol'), h.join('dave', { protocol: 'tcp' })];
    const tracks = await alice.publish();
    audio = tracks.find((t) => t.kind === 'audio') as PublishTrackSpec;
    video = tracks.find((t) => t.kind === 'video') as PublishTrackSpec;
    for (const s of subs) await s.idle();
    for (const s of subs) assert.deepEqual(s.failures, []);
  });

  after(async () => {
    await h.close();
  });

  function pub(): TestPeer {
    assert.ok(alice.publisher);
    return alice.publisher;
  }

  function sub(p: TestParticipant): TestPeer {
    assert.ok(p.subscriber, `${p.id} has a subscribe peer`);
    return p.subscriber;
  }

  /** Sends `count` packets of a track, 20 at a time, sequence numbers from `firstSeq` (wrapping). */
  async function send(track: PublishTrackSpec, firstSeq: number, count: number, tag: number): Promise<Buffer[]> {
    const payloads: Buffer[] = [];
    const pt = track.kind === 'audio' ? 111 : 96;
    const step = track.kind === 'audio' ? 960 : 3000;
    for (let i = 0; i < count; i++) {
      const payload = Buffer.alloc(track.kind === 'audio' ? 80 : 900, i & 0xff);
      payload.writeUInt32BE(tag, 0);
      payload.writeUInt16BE(i, 4);
      payloads.push(payload);
      pub().sendRtp({
        ssrc: track.ssrc,
        payloadType: pt,
        sequenceNumber: (firstSeq + i) & 0xffff,
        timestamp: (0x1234_0000 + i * step) >>> 0,
        marker: i % 5 === 4,
        payload,
      });
      if (i % 20 === 19) await new Promise<void>((r) => setTimeout(r, 2));
    }
    return payloads;
  }

  function tagged(peer: TestPeer, ssrc: number, tag: number) {
    return peer.rtpOf(ssrc).filter((p) => p.payload.length >= 4 && p.payload.readUInt32BE(0) === tag);
  }

  test('negotiation: each subscriber has both tracks with its own SSRCs, msid = publisher / producer', () => {
    const seen = new Set<number>([audio.ssrc, video.ssrc, video.rtxSsrc ?? 0]);
    for (const s of subs) {
      const a = s.trackFrom('alice', 'audio');
      const v = s.trackFrom('alice', 'video');
      assert.ok(a && v, `${s.id} got audio and video`);
      assert.equal(a.payloadType, 111);
      assert.equal(v.payloadType, 96);
      assert.equal(v.rtxPayloadType, 97);
      assert.ok(v.rtxSsrc !== undefined);
      for (const ssrc of [a.ssrc, v.ssrc, v.rtxSsrc]) {
        assert.ok(!seen.has(ssrc), 'consumer SSRCs differ from the publisher and from each other');
        seen.add(ssrc);
      }
      assert.ok(sub(s).connected);
    }
    assert.equal(sub(subs[2] as TestParticipant).protocol, 'tcp');
  });

  test('every packet reaches every subscriber in order, decryptable, rewritten SSRC, continuous sequence, same payload', async () => {
    const vPayloads = await send(video, 65_500, 120, 0xa1); // the publisher's sequence wraps at 65,535
    const aPayloads = await send(audio, 10, 60, 0xa2);
    for (const s of subs) {
      const peer = sub(s);
      const v = s.trackFrom('alice', 'video');
      const a = s.trackFrom('alice', 'audio');
      assert.ok(v && a);
      await peer.waitFor(
        () => tagged(peer, v.ssrc, 0xa1).length === 120 && tagged(peer, a.ssrc, 0xa2).length === 60,
        5000,
        `${s.id}: all packets`,
      );
      for (const [ssrc, payloads, pt] of [
        [v.ssrc, vPayloads, 96],
        [a.ssrc, aPayloads, 111],
      ] as const) {
        const got = tagged(peer, ssrc, ssrc === v.ssrc ? 0xa1 : 0xa2);
        for (let i = 0; i < got.length; i++) {
          const p = got[i];
          assert.ok(p);
          assert.equal(p.ssrc, ssrc);
          assert.equal(p.payloadType, pt);
          assert.deepEqual(p.payload, payloads[i], `${s.id} packet ${i} payload`);
          assert.equal(p.timestamp, (0x1234_0000 + i * (pt === 96 ? 3000 : 960)) >>> 0, 'timestamps pass through');
          assert.equal(p.marker, i % 5 === 4);
          if (i > 0) assert.equal(p.sequenceNumber, ((got[i - 1]?.sequenceNumber ?? 0) + 1) & 0xffff, 'continuous');
        }
      }
      assert.equal(peer.drops.size, 0, `${s.id} dropped nothing: ${[...peer.drops.keys()]}`);
    }
    assert.equal(h.server.stats.drops.size, 0, `server drops: ${[...h.server.stats.drops]}`);
  });

  test('a NACK from one subscriber is answered from the ring as RTX (RFC 4588: OSN first) to that subscriber only', async () => {
    await send(video, (65_500 + 120) & 0xffff, 30, 0xb1); // continues the stream: no upstream gap
    const [bob, carol] = subs as [TestParticipant, TestParticipant];
    const v = bob.trackFrom('alice', 'video');
    assert.ok(v?.rtxSsrc !== undefined);
    const peer = sub(bob);
    await peer.waitFor(() => tagged(peer, v.ssrc, 0xb1).length === 30, 3000, 'originals');
    const originals = tagged(peer, v.ssrc, 0xb1);
    const wanted = [originals[3], originals[4], originals[17]].map((p) => p?.sequenceNumber ?? -1);
    const carolRtx = sub(carol).rtpOf(carol.trackFrom('alice', 'video')?.rtxSsrc ?? -1).length;
    const before = h.server.stats.retransmitted;
    peer.sendRtcp([{ type: 'nack', senderSsrc: 1, mediaSsrc: v.ssrc, sequences: wanted }]);
    await peer.waitFor(() => peer.rtpOf(v.rtxSsrc ?? -1).length >= 3, 3000, 'RTX packets');
    const rtx = peer.rtpOf(v.rtxSsrc);
    assert.equal(rtx.length, 3);
    for (let i = 0; i < 3; i++) {
      const r = rtx[i];
      const original = originals.find((p) => p.sequenceNumber === wanted[i]);
      assert.ok(r && original);
      assert.equal(r.payloadType, 97, 'RTX payload type');
      assert.equal(r.timestamp, original.timestamp);
      assert.equal(r.payload.readUInt16BE(0), wanted[i], 'OSN');
      assert.deepEqual(r.payload.subarray(2), original.payload);
      if (i > 0) assert.equal(r.sequenceNumber, ((rtx[i - 1]?.sequenceNumber ?? 0) + 1) & 0xffff, 'RTX sequence');
    }
    assert.equal(h.server.stats.retransmitted - before, 3);
    await new Promise<void>((r) => setTimeout(r, 50));
    assert.equal(sub(carol).rtpOf(carol.trackFrom('alice', 'video')?.rtxSsrc ?? -1).length, carolRtx, 'carol got none');
  });

  test('a NACK for packets the ring no longer has, or for audio, sends nothing', async () => {
    const bob = subs[0] as TestParticipant;
    const v = bob.trackFrom('alice', 'video');
    const a = bob.trackFrom('alice', 'audio');
    assert.ok(v?.rtxSsrc !== undefined && a);
    const peer = sub(bob);
    const rtxBefore = peer.rtpOf(v.rtxSsrc).length;
    const audioBefore = peer.rtpOf(a.ssrc).length;
    const latest = peer.rtpOf(v.ssrc).at(-1)?.sequenceNumber ?? 0;
    peer.sendRtcp([
      { type: 'nack', senderSsrc: 1, mediaSsrc: v.ssrc, sequences: [(latest + 1000) & 0xffff] },
      { type: 'nack', senderSsrc: 1, mediaSsrc: a.ssrc, sequences: [peer.rtpOf(a.ssrc).at(-1)?.sequenceNumber ?? 0] },
    ]);
    await new Promise<void>((r) => setTimeout(r, 80));
    assert.equal(peer.rtpOf(v.rtxSsrc).length, rtxBefore);
    assert.equal(peer.rtpOf(a.ssrc).length, audioBefore);
  });

  test('without RTX negotiated, a NACK for a lost packet is answered with the original: same SSRC, sequence, payload', async () => {
    const zoe = h.join('zoe', { room: 'nortx', canSubscribe: false });
    const yan = h.join('yan', { room: 'nortx', canPublish: false });
    const tracks = await zoe.publish({ audio: false, rtx: false });
    await yan.idle();
    const v = yan.trackFrom('zoe', 'video');
    assert.ok(v && tracks[0]);
    assert.equal(v.rtxSsrc, undefined);
    assert.equal(v.rtxPayloadType, undefined);
    const zp = zoe.publisher;
    const yp = yan.subscriber;
    assert.ok(zp && yp);
    // Lose the 7th packet on the way to yan (an original retransmitted would fail SRTP replay protection otherwise).
    let seen = 0;
    yp.lose = (d) => !isRtcp(d) && d.readUInt32BE(8) === v.ssrc && ++seen === 7;
    const payloads: Buffer[] = [];
    for (let i = 0; i < 10; i++) {
      payloads.push(Buffer.alloc(300, i));
      zp.sendRtp({
        ssrc: tracks[0].ssrc,
        payloadType: 96,
        sequenceNumber: 500 + i,
        timestamp: i * 3000,
        payload: payloads[i] as Buffer,
      });
    }
    await yp.waitFor(() => yp.rtpOf(v.ssrc).length === 9, 3000, 'nine of ten');
    yp.lose = undefined;
    const got = yp.rtpOf(v.ssrc);
    const before = got[5];
    assert.ok(before);
    const missing = (before.sequenceNumber + 1) & 0xffff;
    yp.sendRtcp([{ type: 'nack', senderSsrc: 1, mediaSsrc: v.ssrc, sequences: [missing] }]);
    await yp.waitFor(() => yp.rtpOf(v.ssrc).length === 10, 3000, 'the retransmission');
    const again = yp.rtpOf(v.ssrc)[9];
    assert.ok(again);
    assert.equal(again.sequenceNumber, missing);
    assert.equal(again.payloadType, 96);
    assert.equal(again.timestamp, 6 * 3000);
    assert.deepEqual(again.payload, payloads[6]);
    assert.equal(yp.drops.size, 0);
  });

  function plisAt(peer: TestPeer, ssrc: number): number {
    return peer.rtcp.filter((p: RtcpPacket) => p.type === 'pli' && p.mediaSsrc === ssrc).length;
  }

  test('PLIs from every subscriber reach the publisher as one PLI per 500 ms throttle interval', async () => {
    const p = pub();
    // Whatever the resumes asked for: let the throttle flush, then let a whole quiet interval pass.
    clock.advance(1000);
    await new Promise<void>((r) => setTimeout(r, 80));
    clock.advance(1000);
    await new Promise<void>((r) => setTimeout(r, 80));
    const start = plisAt(p, video.ssrc);
    for (let round = 0; round < 3; round++) {
      for (const s of subs) {
        const v = s.trackFrom('alice', 'video');
        assert.ok(v);
        sub(s).sendRtcp([{ type: 'pli', senderSsrc: 7, mediaSsrc: v.ssrc }]);
        sub(s).sendRtcp([{ type: 'fir', senderSsrc: 7, mediaSsrc: 0, entries: [{ ssrc: v.ssrc, sequence: round }] }]);
      }
    }
    // The first request in a fresh interval goes out at once; the other 17 wait for the interval.
    await p.waitFor(() => plisAt(p, video.ssrc) === start + 1, 2000, 'the first PLI');
    await new Promise<void>((r) => setTimeout(r, 80));
    assert.equal(plisAt(p, video.ssrc), start + 1, 'nothing more inside the interval');
    clock.advance(499);
    await new Promise<void>((r) => setTimeout(r, 80));
    assert.equal(plisAt(p, video.ssrc), start + 1, 'still nothing at 499 ms');
    clock.advance(1);
    await p.waitFor(() => plisAt(p, video.ssrc) === start + 2, 2000, 'the collapsed PLI');
    clock.advance(2000);
    await new Promise<void>((r) => setTimeout(r, 80));
    assert.equal(plisAt(p, video.ssrc), start + 2, 'no request pending, no PLI');
    // PLI for the audio consumer: not forwarded (audio has no keyframes).
    const bob = subs[0] as TestParticipant;
    sub(bob).sendRtcp([{ type: 'pli', senderSsrc: 7, mediaSsrc: bob.trackFrom('alice', 'audio')?.ssrc ?? 0 }]);
    await new Promise<void>((r) => setTimeout(r, 80));
    assert.equal(plisAt(p, audio.ssrc), 0);
  });

  test('sender reports are translated: consumer SSRC, NTP/RTP moved to now, the consumer’s own counts', async () => {
    const p = pub();
    p.sendRtcp([
      {
        type: 'sr',
        ssrc: video.ssrc,
        ntpSeconds: 3_900_000_000,
        ntpFraction: 0x8000_0000,
        rtpTimestamp: 1_000_000,
        packetCount: 99,
        octetCount: 9999,
        reports: [],
      },
    ]);
    await new Promise<void>((r) => setTimeout(r, 60));
    for (const s of subs) sub(s).rtcp.length = 0;
    clock.advance(1000);
    for (const s of subs) {
      const v = s.trackFrom('alice', 'video');
      assert.ok(v);
      const peer = sub(s);
      await peer.waitFor(() => peer.rtcp.some((x) => x.type === 'sr' && x.ssrc === v.ssrc), 2000, `${s.id}: SR`);
      const sr = peer.rtcp.find((x) => x.type === 'sr' && x.ssrc === v.ssrc);
      assert.ok(sr?.type === 'sr');
      assert.equal(sr.ntpSeconds, 3_900_000_001, 'NTP moved by the 1 s since the SR');
      assert.ok(Math.abs(sr.ntpFraction - 0x8000_0000) < 2 ** 12);
      assert.equal(sr.rtpTimestamp, 1_000_000 + 90_000, 'RTP moved by 1 s of the 90 kHz clock');
      assert.equal(sr.packetCount, peer.rtpOf(v.ssrc).length, 'the consumer’s packet count');
    }
  });

  if (options.mediaWorkers > 0) {
    test('media workers sent every UDP subscriber’s RTP (one slot each); publishers and ICE-TCP never used one', () => {
      const ws = h.server.workerStats();
      assert.ok(ws);
      assert.equal(ws.workers, options.mediaWorkers);
      const udpSubscribers = [...h.transports].filter((t) => t.consumers.size > 0 && t.tuple?.protocol === 'udp');
      assert.equal(ws.transports, udpSubscribers.length);
      assert.ok(
        ws.sent > 0 && ws.sent < h.server.stats.forwarded,
        'the ICE-TCP subscriber’s packets were sent locally',
      );
      // Bound to 127.0.0.1, or to 0.0.0.0 with the main thread also on 127.0.0.1: every datagram
      // to 127.0.0.1 reaches the main socket; the workers' sockets only send.
      assert.equal(ws.received, 0, 'every datagram reached the main thread’s socket directly');
      assert.equal(h.server.stats.drops.get('wrong_local_address'), undefined);
      assert.equal(ws.dropped, 0);
      assert.equal(ws.backpressureDrops, 0);
      assert.equal(ws.crashes, 0);
    });

    test('when the media workers end, every subscriber’s stream goes on from the main thread: all packets, in order, decryptable', async () => {
      for (let i = 0; i < options.mediaWorkers; i++) await h.server.restartMediaWorker(i);
      assert.equal(h.server.workerStats()?.crashes, options.mediaWorkers);
      const vPayloads = await send(video, 2000, 60, 0xc1);
      for (const s of subs) {
        const peer = sub(s);
        const v = s.trackFrom('alice', 'video');
        assert.ok(v);
        await peer.waitFor(
          () => tagged(peer, v.ssrc, 0xc1).length === 60,
          5000,
          `${s.id}: all packets after the restart`,
        );
        const got = tagged(peer, v.ssrc, 0xc1);
        for (let i = 0; i < got.length; i++) {
          assert.deepEqual(got[i]?.payload, vPayloads[i]);
          if (i > 0) assert.equal(got[i]?.sequenceNumber, ((got[i - 1]?.sequenceNumber ?? 0) + 1) & 0xffff);
        }
        assert.equal(peer.drops.size, 0, `${s.id} dropped nothing: ${[...peer.drops.keys()]}`);
      }
      assert.equal(h.server.workerStats()?.transports, 0, 'the new workers took no old transport');
    });
  }
}
