/** TransportBwe's probing on the transport tick: what a cluster owes, media counted in, bounded per tick. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TwccRecorder } from '../feedback/index.ts';
import { CALM_BEFORE_PROBE_MS, MIN_CLUSTER_MS, TransportBwe } from './transport-bwe.ts';

test('the first cluster (3× the start rate) is padded at its rate, minus the media sent meanwhile, for 60 ms', () => {
  const bwe = new TransportBwe({ startBps: 500_000 });
  const padded: { bytes: number; cluster: number }[] = [];
  const pad = (bytes: number, cluster: number): number => {
    const sent = Math.min(bytes, 275);
    padded.push({ bytes: sent, cluster });
    return sent;
  };
  bwe.probeTick(1000, pad);
  assert.equal(bwe.probeClusters, 1);
  const tick = (from: number): number => padded.slice(from).reduce((s, p) => s + p.bytes, 0);
  // 1.5 Mbit/s for 20 ms = 3,750 bytes.
  assert.ok(Math.abs(tick(0) - 3750) <= 275, String(tick(0)));
  const mark = padded.length;
  bwe.stamp(1200, 1010); // media during the cluster belongs to it, and is owed less padding
  bwe.probeTick(1020, pad);
  assert.ok(Math.abs(tick(mark) - (3750 - 1200)) <= 275, String(tick(mark)));
  assert.ok(padded.every((p) => p.cluster === padded[0]?.cluster));
  bwe.probeTick(1000 + MIN_CLUSTER_MS, pad);
  const ended = padded.length;
  bwe.probeTick(1000 + MIN_CLUSTER_MS + 20, pad);
  assert.equal(padded.length, ended, 'the cluster ended; the next waits for a result');
});

test('a transport that cannot pad sends nothing, and a tick never sends more than 64 packets', () => {
  const bwe = new TransportBwe({ startBps: 5_000_000 });
  let calls = 0;
  bwe.probeTick(0, () => {
    calls++;
    return 0;
  });
  assert.equal(calls, 1);
  const big = new TransportBwe({ startBps: 5_000_000 });
  let packets = 0;
  big.probeTick(0, () => {
    packets++;
    return 1;
  });
  assert.equal(packets, 64);
});

test('no probe while the estimate fell in the last 5 s: a link at its limit is not probed', () => {
  const bwe = new TransportBwe({ startBps: 1_000_000 });
  let padded = 0;
  const pad = (bytes: number): number => {
    padded++;
    return Math.min(bytes, 275);
  };
  // Packets sent every 10 ms arrive every 15 ms: a queue growing fast, the estimate falls.
  const receiver = new TwccRecorder();
  let n = 0;
  for (let f = 0; f < 30; f++) {
    for (let i = 0; i < 10; i++, n++) receiver.record(bwe.stamp(1200, n * 10), (50 + n * 15) * 1000);
    for (const fb of receiver.buildFeedback(1, 2, 50 + n * 15)) bwe.onFeedback(fb, n * 10);
  }
  assert.ok(bwe.estimateBps < 1_000_000, `the estimate fell: ${bwe.estimateBps}`);
  bwe.probeTick(n * 10 + 100, pad);
  assert.equal(padded, 0, 'no probe right after a fall');
  bwe.probeTick(n * 10 + CALM_BEFORE_PROBE_MS + 200, pad);
  assert.ok(padded > 0, 'a probe once the estimate has been calm');
});
