/**
 * Simulcast through the whole SFU on 127.0.0.1 with test peers (our own ICE, DTLS and
 * SRTP on real sockets): a publisher offers three rids with no SSRC lines, as Chromium
 * does, and sends each layer on its own SSRC with the mid and rid extensions. The SFU
 * learns the layers' SSRCs from the rid extension and an RTX SSRC from repaired-rid
 * (RFC 8852); the subscriber gets the best layer from its first keyframe on, on one SSRC
 * with continuous sequence numbers; its PLI reaches the publisher for that layer's SSRC;
 * a lost packet of a layer is repaired from that layer's RTX stream. The server runs on
 * a ManualClock so layer ranking happens when the test moves time.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ManualClock } from '@itda/common';
import type { Producer } from '../router/index.ts';
import { type PublishTrackSpec, SfuHarness, type TestParticipant, type TestPeer } from '../testing/index.ts';

const MID_EXT = 4;
const RID_EXT = 10;
const REPAIRED_RID_EXT = 11;
const SIZE = { q: 200, h: 500, f: 1000 } as Record<string, number> & { f: number };

const clock = new ManualClock(2_000_000);
let h: SfuHarness;
let alice: TestParticipant;
let bob: TestParticipant;
let video: PublishTrackSpec;
const seqs: Record<string, number> = { q: 100, h: 5000, f: 60_000 };

before(async () => {
  h = await SfuHarness.start({ clock, mediaWorkers: 0, host: '127.0.0.1' });
  alice = h.join('alice', { canSubscribe: false });
  bob = h.join('bob');
  const tracks = await alice.publish({ audio: false, simulcast: ['q', 'h', 'f'] });
  video = tracks.find((t) => t.kind === 'video') as PublishTrackSpec;
  await bob.idle();
  assert.deepEqual(bob.failures, []);
});

after(async () => {
  await h.close();
});

const pub = (): TestPeer => alice.publisher as TestPeer;
const sub = (): TestPeer => bob.subscriber as TestPeer;
const text = (s: string): Uint8Array => Buffer.from(s, 'ascii');
const settle = (): Promise<void> => new Promise((r) => setTimeout(r, 60));

function producer(): Producer {
  const p = [...h.transports].flatMap((t) => [...t.producers.values()]).find((x) => x.kind === 'video');
  assert.ok(p);
  return p;
}

function layer(rid: string): { rid: string; ssrc: number; rtxSsrc: number } {
  const l = video.layers?.find((x) => x.rid === rid);
  assert.ok(l);
  return l;
}

/** One VP8 packet of layer `rid` (descriptor S=1 PID=0; P bit = !key), with mid and rid extensions. */
function sendLayer(rid: string, key = false, skip = false): number {
  const seq = seqs[rid] as number;
  seqs[rid] = (seq + 1) & 0xffff;
  if (skip) return seq;
  const payload = Buffer.alloc(SIZE[rid] as number, 0x33);
  payload[0] = 0x10;
  payload[1] = key ? 0x10 : 0x11;
  pub().sendRtp({
    ssrc: layer(rid).ssrc,
    payloadType: 96,
    sequenceNumber: seq,
    timestamp: (seq * 3000) >>> 0,
    payload,
    extensions: [
      { id: MID_EXT, value: text(video.mid) },
      { id: RID_EXT, value: text(rid) },
    ],
  });
  return seq;
}

async function round(count: number, keys: string[] = []): Promise<void> {
  for (let i = 0; i < count; i++) {
    for (const rid of ['q', 'h', 'f']) sendLayer(rid, i === 0 && keys.includes(rid));
    clock.advance(20);
    if (i % 10 === 9) await settle();
  }
  await settle();
}

function bobVideo() {
  const t = bob.trackFrom('alice', 'video');
  assert.ok(t);
  return sub().rtpOf(t.ssrc);
}

test('the SFU learns each layer from the rid extension and forwards the best from its keyframe, on one SSRC', async () => {
  await round(40);
  const p = producer();
  assert.ok(p.simulcast);
  assert.deepEqual(
    p.layers.map((l) => [l.rid, l.ssrc]),
    ['q', 'h', 'f'].map((rid) => [rid, layer(rid).ssrc]),
  );
  assert.equal(p.targetLayer(), 2, 'f has the highest bitrate');
  assert.equal(bobVideo().length, 0, 'nothing before a keyframe of the target layer');
  await round(30, ['f']);
  const got = bobVideo();
  assert.equal(got.length, 30);
  assert.ok(got.every((r) => r.payload.length === SIZE.f));
  for (let i = 1; i < got.length; i++) {
    assert.equal(got[i]?.sequenceNumber, ((got[i - 1]?.sequenceNumber ?? 0) + 1) & 0xffff);
  }
});

test("a subscriber's PLI reaches the publisher for the forwarded layer's SSRC", async () => {
  clock.advance(1000);
  await settle();
  const before = pub().rtcp.filter((r) => r.type === 'pli' && r.mediaSsrc === layer('f').ssrc).length;
  const t = bob.trackFrom('alice', 'video');
  assert.ok(t);
  sub().sendRtcp([{ type: 'pli', senderSsrc: 7, mediaSsrc: t.ssrc }]);
  await pub().waitFor(
    () => pub().rtcp.filter((r) => r.type === 'pli' && r.mediaSsrc === layer('f').ssrc).length === before + 1,
    2000,
    'a PLI for layer f',
  );
});

test('a lost packet of a layer is repaired from its RTX stream, learnt by repaired-rid', async () => {
  const p = producer();
  const repairedBefore = p.repaired;
  const received = bobVideo().length;
  const lost = sendLayer('f', false, true);
  sendLayer('f');
  clock.advance(20);
  await settle();
  // RTX (RFC 4588): payload type 97, the RTX SSRC, OSN first, with mid and repaired-rid.
  const original = Buffer.alloc(2 + SIZE.f, 0x33);
  original.writeUInt16BE(lost, 0);
  original[2] = 0x10;
  original[3] = 0x11;
  pub().sendRtp({
    ssrc: layer('f').rtxSsrc,
    payloadType: 97,
    sequenceNumber: 1,
    timestamp: (lost * 3000) >>> 0,
    payload: original,
    extensions: [
      { id: MID_EXT, value: text(video.mid) },
      { id: REPAIRED_RID_EXT, value: text('f') },
    ],
  });
  await sub().waitFor(() => bobVideo().length === received + 2, 2000, 'the repaired packet at the subscriber');
  assert.equal(p.layers[2]?.rtxSsrc, layer('f').rtxSsrc);
  assert.equal(p.repaired, repairedBefore + 1);
});

test("`quality` moves one subscriber to the lowest layer and back, each at that layer's keyframe", async () => {
  h.service.setQuality(bob.room, 'bob', { type: 'quality', participantId: 'alice', quality: 'low' });
  const before = bobVideo().length;
  await round(5);
  assert.ok(
    bobVideo()
      .slice(before)
      .every((r) => r.payload.length === SIZE.f),
    'f until a keyframe of q',
  );
  await round(5, ['q']);
  assert.ok(
    bobVideo()
      .slice(-5)
      .every((r) => r.payload.length === SIZE.q),
    'q from its keyframe',
  );
  h.service.setQuality(bob.room, 'bob', { type: 'quality', participantId: 'alice', quality: 'high' });
  await round(5, ['f']);
  assert.ok(
    bobVideo()
      .slice(-5)
      .every((r) => r.payload.length === SIZE.f),
    'f again',
  );
  // This test's packets (the one before is the previous test's retransmission, out of order by design).
  const got = bobVideo().slice(before);
  for (let i = 1; i < got.length; i++) {
    assert.equal(got[i]?.sequenceNumber, ((got[i - 1]?.sequenceNumber ?? 0) + 1) & 0xffff, `continuous at ${i}`);
  }
});

test('`quality` is remembered for at most 1,000 participants per subscriber; past that sfu_limit_reached', async () => {
  const carol = h.join('carol');
  await carol.idle();
  for (let i = 0; i < 1000; i++) {
    h.service.setQuality(carol.room, 'carol', { type: 'quality', participantId: `ghost-${i}`, quality: 'low' });
  }
  assert.throws(
    () => h.service.setQuality(carol.room, 'carol', { type: 'quality', participantId: 'alice', quality: 'low' }),
    { code: 'sfu_limit_reached' },
  );
  // One already remembered can still change.
  h.service.setQuality(carol.room, 'carol', { type: 'quality', participantId: 'ghost-7', quality: 'high' });
  const ranks = [...producer().consumers].map((c) => c.preferredRank);
  assert.equal(ranks.length, 2, "bob's and carol's consumers of alice's video");
  assert.deepEqual(ranks, [0, 0], 'the 1,001st participant asked for is not taken');
});

test('a packet with an unknown rid, or a second SSRC claiming a bound rid, is dropped as unknown_ssrc and binds nothing', async () => {
  const drops = (): number => h.server.stats.drops.get('unknown_ssrc') ?? 0;
  const before = drops();
  const layersBefore = producer().layers.map((l) => [l.ssrc, l.rtxSsrc]);
  for (const [ssrc, rid] of [
    [0x7e57_0001, 'x'],
    [0x7e57_0002, 'f'],
  ] as const) {
    pub().sendRtp({
      ssrc,
      payloadType: 96,
      sequenceNumber: 1,
      timestamp: 1,
      payload: Buffer.alloc(100, 0x10),
      extensions: [
        { id: MID_EXT, value: text(video.mid) },
        { id: RID_EXT, value: text(rid) },
      ],
    });
  }
  await pub().waitFor(() => drops() === before + 2, 2000, 'two unknown_ssrc drops');
  assert.deepEqual(
    producer().layers.map((l) => [l.ssrc, l.rtxSsrc]),
    layersBefore,
  );
});
