/** Dynacast's decisions over time: on at once, off after holding 5 s, flaps absorbed. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DYNACAST_DOWN_DELAY_MS, Dynacast } from './dynacast.ts';

test('a higher need turns layers on at once; a lower one turns them off only after 5 s', () => {
  const d = new Dynacast();
  assert.deepEqual(d.update('t', 0, 0), { top: 0, changed: true });
  assert.deepEqual(d.update('t', 2, 100), { top: 2, changed: true });
  assert.deepEqual(d.update('t', 0, 200), { top: 2, changed: false });
  assert.deepEqual(d.update('t', 0, 200 + DYNACAST_DOWN_DELAY_MS - 1), { top: 2, changed: false });
  assert.deepEqual(d.update('t', 0, 200 + DYNACAST_DOWN_DELAY_MS), { top: 0, changed: true });
});

test('a need that comes back within the delay cancels the downgrade; the highest need while waiting is kept', () => {
  const d = new Dynacast();
  d.update('t', 2, 0);
  d.update('t', 0, 1000);
  assert.deepEqual(d.update('t', 2, 3000), { top: 2, changed: false });
  assert.deepEqual(d.update('t', 0, 3100 + DYNACAST_DOWN_DELAY_MS), { top: 2, changed: false }, 'the wait restarted');
  d.update('t', 1, 4000 + DYNACAST_DOWN_DELAY_MS);
  assert.deepEqual(d.update('t', 0, 3100 + 2 * DYNACAST_DOWN_DELAY_MS), { top: 1, changed: true });
});

test('nobody watching: every layer off after the delay; a viewer turns them on at once', () => {
  const d = new Dynacast();
  d.update('t', 1, 0);
  d.update('t', null, 10);
  assert.deepEqual(d.update('t', null, 10 + DYNACAST_DOWN_DELAY_MS), { top: null, changed: true });
  assert.deepEqual(d.update('t', 0, 20 + DYNACAST_DOWN_DELAY_MS), { top: 0, changed: true });
  d.remove('t');
  assert.deepEqual(d.update('t', 1, 0), { top: 1, changed: true }, 'a removed track starts afresh');
});

test('tracks are independent', () => {
  const d = new Dynacast();
  d.update('a', 2, 0);
  d.update('b', 2, 0);
  d.update('a', 0, 100);
  assert.deepEqual(d.update('b', 2, 100 + DYNACAST_DOWN_DELAY_MS), { top: 2, changed: false });
  assert.deepEqual(d.update('a', 0, 100 + DYNACAST_DOWN_DELAY_MS), { top: 0, changed: true });
});
