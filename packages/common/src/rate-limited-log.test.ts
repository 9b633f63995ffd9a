import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from './clock.ts';
import { isItdaError } from './errors.ts';
import { createLogger, type LogFields } from './logger.ts';
import { RateLimitedLog } from './rate-limited-log.ts';

function setup(options: { windowMs?: number; maxKeys?: number } = {}) {
  const records: LogFields[] = [];
  const logger = createLogger({ level: 'debug', sink: (r) => records.push(r), now: () => 0 });
  const clock = new ManualClock();
  return { records, clock, rl: new RateLimitedLog({ logger, clock, ...options }) };
}

test('one line per key per window; the next line carries the count held back', () => {
  const { records, clock, rl } = setup({ windowMs: 1000 });
  for (let i = 0; i < 184; i++) rl.warn('producer rejected:p1', 'producer rejected', { i });
  assert.equal(records.length, 1);
  assert.equal(records[0]?.i, 0);
  assert.equal(records[0]?.suppressed, undefined);
  clock.advance(999);
  rl.warn('producer rejected:p1', 'producer rejected', { i: 184 });
  assert.equal(records.length, 1, 'still inside the window');
  clock.advance(1);
  rl.warn('producer rejected:p1', 'producer rejected', { i: 185 });
  assert.equal(records.length, 2);
  assert.equal(records[1]?.suppressed, 184);
  assert.equal(records[1]?.i, 185);
  assert.equal(records[1]?.level, 'warn');
  assert.equal(rl.suppressedTotal, 184);
  assert.equal(rl.written, 2);
});

test('keys are independent: another key in the same window is written', () => {
  const { records, rl } = setup();
  rl.warn('a', 'a happened');
  rl.warn('b', 'b happened');
  rl.info('a', 'a happened');
  assert.deepEqual(
    records.map((r) => r.msg),
    ['a happened', 'b happened'],
  );
});

test('maxKeys bounds memory: the oldest key is pushed out with its count written', () => {
  const { records, rl } = setup({ maxKeys: 2 });
  rl.warn('a', 'line a');
  rl.warn('a', 'line a');
  rl.warn('a', 'line a');
  rl.warn('b', 'line b');
  rl.warn('c', 'line c'); // pushes out a, which held back 2
  assert.equal(rl.size, 2);
  assert.deepEqual(
    records.map((r) => [r.msg, r.suppressed]),
    [
      ['line a', undefined],
      ['line b', undefined],
      ['line a', 2],
      ['line c', undefined],
    ],
  );
  // A flood of distinct keys writes one line each, never more, and memory stays at maxKeys.
  for (let i = 0; i < 1000; i++) rl.warn(`k${i}`, 'line k');
  assert.equal(rl.size, 2);
});

test('flush writes what is held back and forgets every key', () => {
  const { records, rl } = setup();
  rl.error('x', 'x failed', { code: 'e1' });
  rl.error('x', 'x failed', { code: 'e2' });
  rl.debug('y', 'y seen');
  rl.flush();
  assert.equal(rl.size, 0);
  assert.deepEqual(records.at(-1), {
    t: '1970-01-01T00:00:00.000Z',
    level: 'error',
    name: 'itda',
    msg: 'x failed',
    code: 'e2',
    suppressed: 1,
  });
  assert.equal(records.length, 3);
});

test('options are validated once: invalid_config for a window or key count out of range', () => {
  const logger = createLogger();
  const clock = new ManualClock();
  for (const bad of [
    { windowMs: 0 },
    { windowMs: 3_600_001 },
    { windowMs: 1.5 },
    { maxKeys: 0 },
    { maxKeys: 100_001 },
  ]) {
    assert.throws(
      () => new RateLimitedLog({ logger, clock, ...bad }),
      (err: unknown) => isItdaError(err, 'invalid_config'),
    );
  }
  const rl = new RateLimitedLog({ logger, clock });
  assert.equal(rl.windowMs, 10_000);
  assert.equal(rl.maxKeys, 1000);
});
