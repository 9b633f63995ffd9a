import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '@itda/common';
import { TokenBucket } from './rate-limiter.ts';

test('token bucket allows a burst, then the refill rate', () => {
  const clock = new ManualClock();
  const bucket = new TokenBucket(clock, 10, 5);
  for (let i = 0; i < 5; i++) assert.equal(bucket.take(), true);
  assert.equal(bucket.take(), false);
  clock.advance(100); // 1 token
  assert.equal(bucket.take(), true);
  assert.equal(bucket.take(), false);
  assert.equal(bucket.wasFull, false);
  clock.advance(10_000);
  assert.equal(bucket.available, 5);
  assert.equal(bucket.take(), true);
  assert.equal(bucket.wasFull, true);
});
