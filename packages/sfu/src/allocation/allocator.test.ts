/** The per-subscriber allocator's choices: order, caps, pauses, and its hysteresis over time. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@itda/common/testing';
import { Allocator, type AllocTrack, MIN_LAYER_MS, UPGRADE_HOLD_MS } from './allocator.ts';

const LAYERS = [
  { index: 0, width: 320, bps: 150_000 },
  { index: 1, width: 640, bps: 500_000 },
  { index: 2, width: 1280, bps: 1_500_000 },
];
const audio = (id: string): AllocTrack => ({ id, kind: 'audio', source: 'audio', bps: 40_000 });
const camera = (id: string, more: Partial<AllocTrack> = {}): AllocTrack => ({
  id,
  kind: 'video',
  source: 'camera',
  layers: LAYERS,
  ...more,
});
const layerOf = (a: ReturnType<Allocator['allocate']>, id: string): number | null | undefined =>
  a.tracks.find((t) => t.id === id)?.layer;

test('audio comes first; a video whose lowest layer does not fit is paused for bandwidth', () => {
  const a = new Allocator().allocate(120_000, [audio('a'), camera('v')], 0);
  assert.equal(layerOf(a, 'a'), 0);
  assert.equal(layerOf(a, 'v'), null);
  assert.equal(a.tracks.find((t) => t.id === 'v')?.reason, 'bandwidth');
  assert.equal(a.usedBps, 40_000);
});

test('priority: a screen share before a pinned camera before the active speaker before the rest', () => {
  const tracks = [
    camera('rest'),
    camera('speaker', { activeSpeaker: true }),
    camera('pinned', { pinned: true }),
    { ...camera('screen'), source: 'screen' as const },
  ];
  // Everyone's lowest (600 k), then the screen as far as it goes (+1.35 M), the rest stay low.
  const a = new Allocator().allocate(2_000_000, tracks, 0);
  assert.deepEqual(
    ['screen', 'pinned', 'speaker', 'rest'].map((id) => layerOf(a, id)),
    [2, 0, 0, 0],
  );
  // Less: the screen one step, then the pinned camera one step.
  const c = new Allocator().allocate(1_300_000, tracks, 0);
  assert.deepEqual(
    ['screen', 'pinned', 'speaker', 'rest'].map((id) => layerOf(c, id)),
    [1, 1, 0, 0],
  );
  // Everyone gets a picture before anyone gets a better one.
  const b = new Allocator().allocate(700_000, tracks, 0);
  assert.deepEqual(
    ['screen', 'pinned', 'speaker', 'rest'].map((id) => layerOf(b, id)),
    [0, 0, 0, 0],
  );
});

test('a small tile gets the smallest layer wide enough; a hidden one none, and is not wanted', () => {
  const a = new Allocator().allocate(
    10_000_000,
    [camera('small', { renderWidth: 300 }), camera('mid', { renderWidth: 600 }), camera('off', { visible: false })],
    0,
  );
  assert.deepEqual([layerOf(a, 'small'), layerOf(a, 'mid'), layerOf(a, 'off')], [0, 1, null]);
  assert.equal(a.tracks.find((t) => t.id === 'off')?.reason, 'hidden');
  assert.equal(a.wantBps, 650_000);
});

test('down at once on a drop; up only after the budget held with headroom for 3 s', () => {
  const al = new Allocator();
  const tracks = [camera('v')];
  assert.equal(layerOf(al.allocate(2_000_000, tracks, 0), 'v'), 2);
  const down = al.allocate(600_000, tracks, 100);
  assert.equal(layerOf(down, 'v'), 1);
  assert.deepEqual(down.changed, ['v']);
  // The budget comes back: held for 3 s (and 2 s after the last change) before going up.
  let t = 200;
  for (; t < 200 + UPGRADE_HOLD_MS; t += 100)
    assert.equal(layerOf(al.allocate(2_000_000, tracks, t), 'v'), 1, `at ${t}`);
  assert.equal(layerOf(al.allocate(2_000_000, tracks, t), 'v'), 2);
});

test('no upgrade without 15 % headroom, however long it holds; a break in the hold restarts it', () => {
  const al = new Allocator();
  const tracks = [camera('v')];
  al.allocate(600_000, tracks, 0);
  for (let t = 100; t < 20_000; t += 100) assert.equal(layerOf(al.allocate(1_600_000, tracks, t), 'v'), 1);
  const t0 = 20_000;
  al.allocate(2_000_000, tracks, t0);
  al.allocate(2_000_000, tracks, t0 + 2000);
  al.allocate(1_600_000, tracks, t0 + 2500); // not enough headroom: the hold breaks
  assert.equal(layerOf(al.allocate(2_000_000, tracks, t0 + 3500), 'v'), 1);
  assert.equal(layerOf(al.allocate(2_000_000, tracks, t0 + 3400 + UPGRADE_HOLD_MS), 'v'), 1);
  assert.equal(layerOf(al.allocate(2_000_000, tracks, t0 + 3500 + UPGRADE_HOLD_MS), 'v'), 2);
});

test('a paused video starts again at once when its lowest layer fits', () => {
  const al = new Allocator();
  const tracks = [audio('a'), camera('v')];
  assert.equal(layerOf(al.allocate(100_000, tracks, 0), 'v'), null);
  assert.equal(layerOf(al.allocate(300_000, tracks, 100), 'v'), 0);
});

test('a tile enlarged or shown applies at once, without waiting for the hold', () => {
  const al = new Allocator();
  assert.equal(layerOf(al.allocate(5_000_000, [camera('v', { renderWidth: 300 })], 0), 'v'), 0);
  assert.equal(layerOf(al.allocate(5_000_000, [camera('v', { renderWidth: 1200 })], 50), 'v'), 2);
  assert.equal(layerOf(al.allocate(5_000_000, [camera('v', { visible: false })], 100), 'v'), null);
  assert.equal(layerOf(al.allocate(5_000_000, [camera('v')], 150), 'v'), 2);
});

test('a steady but noisy estimate (±25 % every 100 ms for 60 s) changes layers fewer than 20 times', () => {
  const random = seededRandom(11);
  const al = new Allocator();
  const tracks = [audio('a'), camera('v1'), camera('v2', { activeSpeaker: true })];
  let changes = 0;
  for (let t = 0; t < 60_000; t += 100) {
    const budget = 1_400_000 * (0.75 + random() * 0.5);
    changes += al.allocate(budget, tracks, t).changed.length;
  }
  assert.ok(changes < 20, `${changes} changes`);
});

test('never over budget after a drop, even when the hysteresis held a layer', () => {
  const random = seededRandom(12);
  const al = new Allocator();
  const tracks = [audio('a'), camera('v1'), camera('v2'), { ...camera('s'), source: 'screen' as const }];
  for (let t = 0; t < 30_000; t += 100) {
    const budget = random() < 0.1 ? 300_000 + random() * 400_000 : 1_000_000 + random() * 3_000_000;
    const a = al.allocate(budget, tracks, t);
    const video = a.usedBps - 40_000;
    assert.ok(video <= Math.max(budget - 40_000, 0) + 1, `${video} over ${budget} at ${t}`);
  }
  assert.ok(MIN_LAYER_MS <= UPGRADE_HOLD_MS);
});
