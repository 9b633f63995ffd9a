import assert from 'node:assert/strict';
import { test } from 'node:test';
import { backoffDelay } from './backoff.ts';
import { isPolite } from './polite.ts';

test('backoff grows exponentially, is capped, and jitter only shortens it', () => {
  const none = () => 0;
  assert.deepEqual(
    [0, 1, 2, 3, 4, 5, 6, 100].map((n) => backoffDelay(n, {}, none)),
    [250, 500, 1000, 2000, 4000, 5000, 5000, 5000],
  );
  const almostOne = () => 0.999;
  assert.equal(backoffDelay(0, { jitter: 0.5 }, almostOne), 125);
  for (let n = 0; n < 20; n++) {
    const d = backoffDelay(n, { initialMs: 100, maxMs: 1000 });
    assert.ok(d >= 0 && d <= 1000);
  }
});

test('exactly one side of a link is polite, and both sides agree', () => {
  const ids = ['a', 'b', 'p1', 'p10', 'p2', 'Z'];
  for (const x of ids) {
    for (const y of ids) {
      if (x === y) continue;
      assert.notEqual(isPolite(x, y), isPolite(y, x), `${x} vs ${y}`);
    }
  }
  assert.equal(isPolite('aaa', 'bbb'), true);
  assert.equal(isPolite('bbb', 'aaa'), false);
});
