/** Connection quality words from loss, delay and the estimate; worse at once, better after holding. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { BETTER_AFTER_MS, LOST_AFTER_MS, opinionScore, QualityTracker, qualityOf } from './quality.ts';

test('the opinion score falls with loss and with delay', () => {
  assert.ok(opinionScore(0, 40) > 4.3);
  assert.ok(opinionScore(0.05, 40) < opinionScore(0, 40));
  assert.ok(opinionScore(0, 600) < opinionScore(0, 40));
  assert.ok(opinionScore(0.3, 40) < 2.5);
  assert.equal(opinionScore(1, 40), 1);
});

test('words: a clean link is good; heavy loss, long delay or a starved estimate poor; silence lost', () => {
  assert.equal(qualityOf({ loss: 0, rttMs: 40, silentMs: 100 }), 'good');
  assert.equal(qualityOf({ loss: 0.02, rttMs: 80, jitterMs: 10, silentMs: 100 }), 'good');
  assert.equal(qualityOf({ loss: 0.15, rttMs: 40, silentMs: 100 }), 'poor');
  assert.equal(qualityOf({ loss: 0, rttMs: 900, silentMs: 100 }), 'poor');
  assert.equal(qualityOf({ loss: 0, rttMs: 40, estimateBps: 200_000, wantBps: 1_000_000, silentMs: 100 }), 'poor');
  assert.equal(qualityOf({ loss: 0, rttMs: 40, estimateBps: 900_000, wantBps: 1_000_000, silentMs: 100 }), 'good');
  assert.equal(qualityOf({ loss: 0, silentMs: LOST_AFTER_MS }), 'lost');
});

test('worse at once, better only after holding 3 s', () => {
  const t = new QualityTracker();
  assert.equal(t.update({ loss: 0.2, silentMs: 0 }, 0), 'poor');
  assert.equal(t.update({ loss: 0, silentMs: 0 }, 100), undefined);
  assert.equal(t.update({ loss: 0, silentMs: 0 }, 100 + BETTER_AFTER_MS - 1), undefined);
  assert.equal(t.update({ loss: 0, silentMs: 0 }, 100 + BETTER_AFTER_MS), 'good');
  assert.equal(t.quality, 'good');
  // A relapse during the wait restarts it.
  t.update({ loss: 0.2, silentMs: 0 }, 10_000);
  t.update({ loss: 0, silentMs: 0 }, 10_100);
  t.update({ loss: 0.2, silentMs: 0 }, 11_000);
  assert.equal(t.update({ loss: 0, silentMs: 0 }, 13_200), undefined);
  assert.equal(t.quality, 'poor');
  assert.equal(t.update({ loss: 0, silentMs: LOST_AFTER_MS }, 14_000), 'lost');
});
