import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from './clock.ts';

test('ManualClock runs due timers in time order and skips cancelled ones', () => {
  const clock = new ManualClock(100);
  const seen: string[] = [];
  clock.setTimeout(() => seen.push('b@20'), 20);
  const cancelled = clock.setTimeout(() => seen.push('x'), 5);
  clock.setTimeout(() => {
    seen.push('a@10');
    clock.setTimeout(() => seen.push('c@15'), 5);
  }, 10);
  cancelled.cancel();
  clock.advance(9);
  assert.deepEqual(seen, []);
  clock.advance(11);
  assert.deepEqual(seen, ['a@10', 'c@15', 'b@20']);
  assert.equal(clock.now(), 120);
  assert.equal(clock.pending, 0);
});
