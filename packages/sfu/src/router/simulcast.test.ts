/**
 * Simulcast (RFC 8853) in the router, sans-IO: a producer with three rid layers ranks
 * its active layers by bitrate; a consumer starts at a keyframe of the best layer, moves
 * down when that layer stops and back up when it returns — each time only at a keyframe
 * of the new layer, asking the publisher for one (a PLI on that layer's SSRC) — and its
 * subscriber sees one SSRC with continuous sequence numbers. `preferredRank` picks a
 * lower layer; NACKs are answered from the layer being forwarded.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '@itda/common';
import { type PictureLossIndication, RtpPacketView } from '../rtp/index.ts';
import { Consumer } from './consumer.ts';
import { Producer } from './producer.ts';
import { type Rid, SIZE, SSRC, simulcastProducer, vp8 } from './test-simulcast.ts';

function setup(preferredRank?: number) {
  const clock = new ManualClock();
  const producer = simulcastProducer(clock, { rtxPayloadType: 97, keyframeRequestIntervalMs: 100 });
  const plis: number[] = [];
  producer.on('keyframeRequest', (r) => plis.push((r as PictureLossIndication).mediaSsrc));
  const sent: Buffer[] = [];
  const consumer = new Consumer({
    id: 'c1',
    producer,
    mid: '0',
    ssrc: 0x2222,
    ...(preferredRank === undefined ? {} : { preferredRank }),
    transport: {
      connected: true,
      sendRtp: (p: Uint8Array) => void sent.push(Buffer.from(p)),
      transportSequence: () => 0,
    },
  });
  const view = new RtpPacketView();
  const seqs: Record<Rid, number> = { q: 100, h: 2000, f: 30000 };
  /** One 20 ms step: a packet on each listed layer (keyframes where asked), then the producer's tick. */
  const step = (layers: Rid[], keys: Rid[] = []): void => {
    clock.advance(20);
    for (const rid of layers) {
      const layer = producer.layerByRid(rid);
      const b = vp8(rid, seqs[rid]++, keys.includes(rid));
      producer.receive(b, view.parse(b), clock.now(), false, layer);
    }
    producer.tick(clock.now());
  };
  const forwardedFrom = (): Rid[] =>
    sent.map((p) => (['q', 'h', 'f'] as Rid[]).find((r) => p.length === 12 + SIZE[r]) as Rid);
  return { producer, consumer, sent, plis, step, forwardedFrom, clock };
}

function assertContinuous(sent: Buffer[]): void {
  for (let i = 1; i < sent.length; i++) {
    assert.equal(sent[i]?.readUInt32BE(8), 0x2222);
    assert.equal(sent[i]?.readUInt16BE(2), ((sent[i - 1]?.readUInt16BE(2) ?? 0) + 1) & 0xffff, `packet ${i}`);
  }
}

test('a consumer starts at a keyframe of the best layer, steps down when it stops and back up at its keyframes', () => {
  const { producer, consumer, sent, plis, step, forwardedFrom } = setup();
  const layerChanges: number[] = [];
  consumer.on('layerChange', (layer) => layerChanges.push(layer));
  // All three layers flow, no keyframe yet: nothing is forwarded; once ranked, the best
  // layer (f, the highest bitrate) is the target and gets a PLI.
  for (let i = 0; i < 30; i++) step(['q', 'h', 'f']);
  assert.equal(sent.length, 0);
  assert.equal(producer.targetLayer(), 2);
  assert.ok(plis.includes(SSRC.f));
  // A keyframe on q or h does not start it; one on f does.
  step(['q', 'h', 'f'], ['q', 'h']);
  assert.equal(sent.length, 0);
  step(['q', 'h', 'f'], ['f']);
  for (let i = 0; i < 10; i++) step(['q', 'h', 'f']);
  assert.deepEqual(forwardedFrom(), Array(11).fill('f'));
  assert.equal(consumer.layer, 2);

  // f stops (the publisher's bandwidth fell): after 1.5 s it is inactive, h is the best.
  plis.length = 0;
  for (let i = 0; i < 90; i++) step(['q', 'h']);
  assert.equal(producer.targetLayer(), 1);
  assert.ok(plis.includes(SSRC.h), 'a PLI for the new target layer');
  assert.equal(consumer.layer, 2, 'still on f until a keyframe of h');
  step(['q', 'h'], ['h']);
  step(['q', 'h']);
  assert.equal(consumer.layer, 1);
  assert.deepEqual(forwardedFrom().slice(-2), ['h', 'h']);

  // f comes back: after it is ranked again the consumer moves up at f's next keyframe.
  for (let i = 0; i < 60; i++) step(['q', 'h', 'f']);
  assert.equal(producer.targetLayer(), 2);
  assert.equal(consumer.layer, 1);
  step(['q', 'h', 'f'], ['f']);
  assert.equal(consumer.layer, 2);
  assert.equal(consumer.layerSwitches, 2);
  assert.deepEqual(layerChanges, [2, 1, 2], 'layerChange at the start and at each switch');
  assertContinuous(sent);
});

test('close events name their cause: producer_closed, transport_closed, closed', () => {
  const a = setup();
  const reasons: string[] = [];
  a.consumer.on('closed', (reason) => reasons.push(`consumer:${reason}`));
  a.producer.on('closed', (reason) => reasons.push(`producer:${reason}`));
  a.producer.close('transport_closed');
  const b = setup();
  b.consumer.on('closed', (reason) => reasons.push(`consumer:${reason}`));
  b.consumer.close();
  b.consumer.close('rejected'); // idempotent: the first reason stands
  assert.deepEqual(reasons, ['consumer:producer_closed', 'producer:transport_closed', 'consumer:closed']);
});

test('preferredRank picks a lower layer, and changing it moves the consumer at the next keyframe', () => {
  const { consumer, step, forwardedFrom, plis } = setup(2);
  for (let i = 0; i < 30; i++) step(['q', 'h', 'f']);
  step(['q', 'h', 'f'], ['q', 'h', 'f']);
  step(['q', 'h', 'f']);
  assert.deepEqual(forwardedFrom(), ['q', 'q']);
  // A rank past the lowest layer is the lowest.
  consumer.preferredRank = 9;
  step(['q', 'h', 'f'], ['h', 'f']);
  assert.equal(consumer.layer, 0);
  plis.length = 0;
  consumer.preferredRank = 1;
  assert.deepEqual(plis, [SSRC.h]);
  step(['q', 'h', 'f'], ['h']);
  assert.equal(consumer.layer, 1);
  assert.equal(forwardedFrom().at(-1), 'h');
});

test("NACKs are answered from the forwarded layer's history, in the consumer's numbering", () => {
  const { consumer, sent, step, clock } = setup();
  for (let i = 0; i < 30; i++) step(['q', 'h', 'f']);
  step(['q', 'h', 'f'], ['f']);
  for (let i = 0; i < 5; i++) step(['q', 'h', 'f']);
  const wanted = sent[2]?.readUInt16BE(2) ?? -1;
  const before = sent.length;
  consumer.retransmit([wanted], clock.now());
  // Without an RTX SSRC on the consumer the packet goes out again as is, from layer f.
  assert.equal(sent.length, before + 1);
  assert.deepEqual(sent.at(-1), sent[2]);
});

test('a plain (non-simulcast) producer forwards every packet from the first, as before', () => {
  const clock = new ManualClock();
  const producer = new Producer({
    id: 'p2',
    participantId: 'bea',
    kind: 'video',
    source: 'camera',
    mid: '0',
    ssrc: 0x5555,
    codec: { payloadType: 96, name: 'VP8', clockRate: 90000, parameters: {}, feedback: [] },
    extensions: [],
    clock,
    rtcpSsrc: 1,
  });
  assert.equal(producer.simulcast, false);
  const sent: Buffer[] = [];
  new Consumer({
    id: 'c2',
    producer,
    mid: '0',
    ssrc: 0x6666,
    transport: {
      connected: true,
      sendRtp: (p: Uint8Array) => void sent.push(Buffer.from(p)),
      transportSequence: () => 0,
    },
  });
  const view = new RtpPacketView();
  for (let seq = 1; seq <= 3; seq++) {
    const b = vp8('f', seq, false);
    b.writeUInt32BE(0x5555, 8);
    producer.receive(b, view.parse(b), clock.now());
  }
  assert.equal(sent.length, 3);
});
