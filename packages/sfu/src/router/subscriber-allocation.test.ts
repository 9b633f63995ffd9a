/**
 * SubscriberAllocation with a real simulcast producer and consumer (sans-IO, as in
 * simulcast.test.ts) and a given estimate: the consumer's layer follows the budget — down
 * at once, a stopped video after 2 s without even the lowest layer fitting, back at the
 * next allocation when it fits — and the probe controller is asked for what an upgrade needs.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '@itda/common';
import { UPGRADE_HEADROOM, UPGRADE_HOLD_MS } from '../allocation/index.ts';
import { RtpPacketView } from '../rtp/index.ts';
import { Consumer } from './consumer.ts';
import { ALLOCATE_EVERY_MS, BUDGET_SHARE, STARVE_AFTER_MS, SubscriberAllocation } from './subscriber-allocation.ts';
import { RIDS, type Rid, simulcastProducer, vp8 } from './test-simulcast.ts';

function setup() {
  const clock = new ManualClock();
  const producer = simulcastProducer(clock);
  const sent: Buffer[] = [];
  const consumer = new Consumer({
    id: 'c1',
    producer,
    mid: '0',
    ssrc: 0x2222,
    transport: { connected: true, sendRtp: (p) => void sent.push(Buffer.from(p)), transportSequence: () => 0 },
  });
  const estimate = {
    feedbacks: 1,
    estimateBps: 1_000_000,
    wanted: 0,
    want(bps: number): void {
      estimate.wanted = bps;
    },
  };
  const allocation = new SubscriberAllocation(new Map([[consumer.id, consumer]]), estimate);
  const view = new RtpPacketView();
  const seqs: Record<Rid, number> = { q: 100, h: 2000, f: 30000 };
  /** 20 ms: a keyframe packet on each layer (so switches happen at once), the producer's and the allocation's tick. */
  const step = (): void => {
    clock.advance(20);
    for (const rid of RIDS) {
      const b = vp8(rid, seqs[rid]++, true); // keyframes, so switches happen at once
      producer.receive(b, view.parse(b), clock.now(), false, producer.layerByRid(rid));
    }
    producer.tick(clock.now());
    allocation.tick(clock.now());
  };
  const run = (ms: number): void => {
    for (let t = 0; t < ms; t += 20) step();
  };
  const width = (): Rid | undefined => RIDS[consumer.layer];
  return { consumer, estimate, run, width, sent };
}

test('the layer follows the estimate: down at once, up after the hold, stopped only after 2 s without a fit', () => {
  const { consumer, estimate, run, width, sent } = setup();
  run(2000);
  assert.equal(width(), 'f', 'a good estimate: the best layer');
  // The want: the best layer's rate, with the budget share and the upgrade headroom on top.
  const f = estimate.wanted / (UPGRADE_HEADROOM / BUDGET_SHARE);
  assert.ok(f > 400_000 && f < 500_000, `want ${estimate.wanted}`);

  estimate.estimateBps = 250_000; // h (≈ 170 kbit/s) fits 90 % of it, f does not
  run(100);
  assert.equal(width(), 'h');
  estimate.estimateBps = 60_000;
  run(100);
  assert.equal(width(), 'q');

  estimate.estimateBps = 20_000; // not even q
  run(STARVE_AFTER_MS - 200);
  assert.equal(consumer.starved, false, 'the lowest layer meanwhile');
  assert.equal(width(), 'q');
  run(600);
  assert.equal(consumer.starved, true);
  const before = sent.length;
  run(200);
  assert.equal(sent.length, before, 'nothing forwarded while stopped');

  estimate.estimateBps = 1_000_000;
  run(ALLOCATE_EVERY_MS + 100);
  assert.equal(consumer.starved, false, 'back at the next allocation when the lowest fits');
  assert.ok(sent.length > before);
  run(UPGRADE_HOLD_MS + 1000);
  assert.equal(width(), 'f', 'and up after the hold');
});

test('nothing is decided before the first feedback, and the subscriber’s quality caps the layer', () => {
  const { consumer, estimate, run, width } = setup();
  estimate.feedbacks = 0;
  estimate.estimateBps = 10_000;
  run(1000);
  assert.equal(width(), 'f', 'no feedback: the estimate is not known, the layer stays');
  estimate.feedbacks = 1;
  estimate.estimateBps = 5_000_000;
  consumer.preferredRank = 1; // quality "medium"
  run(1000);
  assert.equal(width(), 'h');
});
