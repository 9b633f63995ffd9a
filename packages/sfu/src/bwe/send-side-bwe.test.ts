/**
 * The send-side estimator in a closed loop over a simulated bottleneck (link-sim.ts),
 * replaying capacity traces: steady, step down, step up, bursty loss, delay spikes and
 * jitter. The bounds are what the SFU's allocator needs: a step down is followed within
 * 2 s, a step up within 15 s (probing), steady links are used well and without collapse.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@itda/common/testing';
import { type LoopSample, runLoop } from './link-sim.ts';

const at = (samples: LoopSample[], fromMs: number, toMs: number): LoopSample[] =>
  samples.filter((s) => s.tMs >= fromMs && s.tMs < toMs);
const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const kbps = (s: LoopSample[]): string => s.map((x) => Math.round(x.targetBps / 1000)).join(' ');

test('steady 1 Mbit/s: after 5 s the target stays within 60–110 % of capacity, 85 % on average', () => {
  const s = runLoop({ durationMs: 30_000, capacityBps: () => 1_000_000, random: seededRandom(1) });
  const settled = at(s, 5000, 30_000).map((x) => x.targetBps / x.capacityBps);
  assert.ok(Math.min(...settled) >= 0.6 && Math.max(...settled) <= 1.1, kbps(at(s, 5000, 30_000)));
  assert.ok(mean(settled) >= 0.85, `mean ${mean(settled).toFixed(2)}`);
});

test('step down 2 Mbit/s → 300 kbit/s: under 300 kbit/s within 2 s, and stays usable', () => {
  const s = runLoop({
    durationMs: 30_000,
    capacityBps: (t) => (t < 10_000 ? 2_000_000 : 300_000),
    random: seededRandom(2),
  });
  const after = at(s, 12_000, 30_000);
  assert.ok(
    after.every((x) => x.targetBps <= 330_000),
    `after 2 s: ${kbps(after)}`,
  );
  assert.ok(mean(after.map((x) => x.targetBps)) >= 200_000, kbps(after));
});

test('step up 300 kbit/s → 2.5 Mbit/s: over 1.5 Mbit/s within 15 s (probing), not by 8 %-a-second growth alone', () => {
  const trace = (t: number): number => (t < 10_000 ? 300_000 : 2_500_000);
  const s = runLoop({ durationMs: 30_000, capacityBps: trace, random: seededRandom(3) });
  const reached = s.find((x) => x.tMs >= 10_000 && x.targetBps >= 1_500_000);
  assert.ok(reached !== undefined && reached.tMs <= 25_000, `${kbps(at(s, 10_000, 30_000))}`);
  const without = runLoop({ durationMs: 30_000, capacityBps: trace, random: seededRandom(3), probing: false });
  const slow = without.find((x) => x.tMs >= 10_000 && x.targetBps >= 1_500_000);
  assert.ok(slow === undefined || slow.tMs > reached.tMs, 'probing is what makes it fast');
});

test('5 % random loss (what NACK repairs) does not lower the target; 30 % for 2 s does, and it recovers', () => {
  const light = runLoop({
    durationMs: 20_000,
    capacityBps: () => 5_000_000,
    wantBps: 1_000_000,
    loss: () => 0.05,
    random: seededRandom(4),
  });
  assert.ok(
    at(light, 5000, 20_000).every((x) => x.targetBps >= 900_000),
    kbps(at(light, 5000, 20_000)),
  );
  const burst = runLoop({
    durationMs: 30_000,
    capacityBps: () => 5_000_000,
    wantBps: 1_000_000,
    loss: (t) => (t >= 10_000 && t < 12_000 ? 0.3 : 0),
    random: seededRandom(5),
  });
  const during = at(burst, 11_000, 12_500).map((x) => x.targetBps);
  assert.ok(Math.min(...during) < 900_000, `the burst lowers it: ${during.map((b) => Math.round(b / 1000))}`);
  assert.ok(
    at(burst, 25_000, 30_000).every((x) => x.targetBps >= 900_000),
    `recovered: ${kbps(at(burst, 20_000, 30_000))}`,
  );
});

test('a 150 ms delay spike: the target dips, and is back within 10 s', () => {
  const s = runLoop({
    durationMs: 30_000,
    capacityBps: () => 1_500_000,
    spikeMs: (t) => (t >= 10_000 && t < 10_200 ? 150 : 0),
    random: seededRandom(6),
  });
  const before = mean(at(s, 7000, 10_000).map((x) => x.targetBps));
  const back = at(s, 20_000, 30_000).map((x) => x.targetBps);
  assert.ok(Math.min(...back) >= 0.8 * before, `before ${Math.round(before / 1000)}: ${kbps(at(s, 10_000, 30_000))}`);
});

test('0–10 ms random jitter on every packet: the link stays well used', () => {
  const random = seededRandom(8);
  const s = runLoop({ durationMs: 30_000, capacityBps: () => 1_500_000, spikeMs: () => random() * 10, random });
  const settled = at(s, 5000, 30_000).map((x) => x.targetBps / x.capacityBps);
  assert.ok(Math.min(...settled) >= 0.5, kbps(at(s, 5000, 30_000)));
  assert.ok(mean(settled) >= 0.75, `mean ${mean(settled).toFixed(2)}`);
});

test('a feedback without packets, or with only losses, is taken without harm', () => {
  const s = runLoop({ durationMs: 3000, capacityBps: () => 100_000, queueMs: 50, random: seededRandom(7) });
  assert.ok(s.every((x) => Number.isFinite(x.targetBps) && x.targetBps >= 50_000));
});
