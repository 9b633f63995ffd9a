/** The estimator's parts alone: packet groups, the trendline detector, probe results, loss, the probe controller. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InterArrival } from './inter-arrival.ts';
import { LossBased } from './loss-based.ts';
import { ProbeController } from './probe-controller.ts';
import { ProbeResults } from './probe-result.ts';
import { Trendline } from './trendline.ts';
import type { PacketResult } from './types.ts';

test('packets sent within 5 ms form one group; the delta compares the last packets of two groups', () => {
  const ia = new InterArrival();
  // Frames every 33 ms of three packets 1 ms apart; each frame arrives 2 ms later than the last.
  const deltas = [];
  for (let f = 0; f < 4; f++) {
    for (let i = 0; i < 3; i++) {
      const d = ia.add(f * 33 + i, 50 + f * 35 + i, 1000);
      if (d !== undefined) deltas.push(d);
    }
  }
  assert.equal(deltas.length, 2, 'a delta once a third group starts');
  assert.deepEqual(
    deltas.map((d) => [d.sendDeltaMs, d.arrivalDeltaMs, d.size]),
    [
      [33, 35, 3000],
      [33, 35, 3000],
    ],
  );
});

test('a packet that queued behind the previous one joins its group (a burst)', () => {
  const ia = new InterArrival();
  ia.add(0, 100, 1000);
  // Sent 20 ms later, but arrives 1 ms after: it waited in the same queue.
  assert.equal(ia.add(20, 101, 1000), undefined);
  assert.equal(ia.add(60, 160, 1000), undefined);
  const d = ia.add(100, 200, 1000);
  assert.deepEqual([d?.sendDeltaMs, d?.arrivalDeltaMs], [40, 59]);
});

test('the trendline: a growing queue is overuse, a draining one underuse, a steady one normal', () => {
  const run = (growth: number): string[] => {
    const t = new Trendline();
    const states: string[] = [];
    for (let i = 1; i <= 60; i++) states.push(t.update(20, 20 + growth, i * 20));
    return states;
  };
  assert.ok(
    run(3)
      .slice(-20)
      .every((s) => s === 'overusing'),
  );
  assert.ok(
    run(-3)
      .slice(-20)
      .every((s) => s === 'underusing'),
  );
  assert.ok(run(0).every((s) => s === 'normal'));
});

test('the adaptive threshold follows the trend: down to 6 ms on a quiet link, up under a steady moderate one', () => {
  const quiet = new Trendline();
  const moderate = new Trendline();
  for (let i = 1; i <= 300; i++) {
    quiet.update(20, 20, i * 20);
    moderate.update(20, 21.5, i * 20);
  }
  assert.equal(quiet.threshold, 6);
  assert.ok(moderate.threshold > 12.5 && moderate.threshold < 600, String(moderate.threshold));
});

const cluster = (id: number, bps: number, recvBps: number, n = 6): PacketResult[] =>
  Array.from({ length: n }, (_, i) => ({
    seq: i,
    sendMs: (i * 1200 * 8000) / bps,
    size: 1200,
    arrivalMs: 50 + (i * 1200 * 8000) / recvBps,
    probeCluster: id,
  }));

test('a probe received as fast as sent measures its rate; one that filled the link, 95 % of what got through', () => {
  const r = new ProbeResults();
  for (const p of cluster(1, 2_000_000, 2_000_000)) r.add(p, 0);
  assert.equal(Math.round(r.take(0) ?? 0), 2_000_000);
  assert.equal(r.take(0), undefined, 'a result is taken once');
  for (const p of cluster(2, 2_000_000, 1_000_000)) r.add(p, 0);
  assert.equal(Math.round(r.take(0) ?? 0), 950_000);
});

test('a probe with under 5 packets received, or received over twice as fast as sent, says nothing', () => {
  const r = new ProbeResults();
  for (const p of cluster(1, 2_000_000, 2_000_000, 4)) r.add(p, 0);
  assert.equal(r.take(0), undefined);
  for (const p of cluster(2, 1_000_000, 3_000_000)) r.add(p, 0);
  assert.equal(r.take(0), undefined);
});

test('loss: under 2 % grows 8 % once a second, 2–10 % holds, over 10 % cuts by half the loss', () => {
  const l = new LossBased();
  l.count(99, 1, 0);
  assert.equal(l.adjust(1_000_000, 0, 100), 1_081_000);
  l.count(100, 0, 500);
  assert.equal(l.adjust(1_000_000, 500, 100), 1_000_000, 'not twice within a second');
  l.count(95, 5, 1000);
  assert.equal(l.adjust(1_000_000, 1000, 100), 1_000_000);
  l.count(80, 20, 2000);
  assert.equal(l.adjust(1_000_000, 2000, 100), 900_000);
  l.count(80, 20, 2100);
  assert.equal(l.adjust(900_000, 2100, 100), 900_000, 'not again within 300 ms + RTT');
});

test('probe controller: 3× and 6× the start, then what is wanted in steps of 2×, every 5 s while unmet', () => {
  const p = new ProbeController(500_000, 10_000_000);
  assert.equal(p.next(0, 500_000)?.bps, 1_500_000);
  assert.equal(p.next(10, 500_000), undefined, 'one cluster in flight at a time');
  p.onResult(1_500_000, 1_500_000);
  assert.equal(p.next(20, 1_500_000)?.bps, 3_000_000);
  p.onResult(1_000_000, 1_500_000); // failed: under 70 % of 3 Mbit/s
  p.want(4_000_000);
  assert.equal(p.next(30, 1_500_000), undefined, 'the start-up clusters are done; the next waits its interval');
  const c = p.next(5100, 1_500_000);
  assert.equal(c?.bps, 3_000_000, 'twice the estimate, towards what is wanted');
  assert.ok((c?.durationMs ?? 0) >= 15);
  p.onResult(3_000_000, 3_000_000);
  assert.equal(p.next(5200, 3_000_000)?.bps, 4_000_000, 'it fit: on to what is wanted');
  p.onResult(2_000_000, 3_000_000); // failed
  assert.equal(p.next(10_100, 3_000_000), undefined, 'the next waits its 5 s');
  assert.equal(p.next(10_300, 3_000_000)?.bps, 4_000_000, 'a failure does not space probes further');
});
