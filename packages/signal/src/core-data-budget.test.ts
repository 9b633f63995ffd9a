/**
 * The room's `data` budget (data-budget.ts, issue 10 hole 7), sans-IO with a ManualClock:
 * many senders, each within its own budget, interleaved by seeded random schedules,
 * cannot send any one receiver more than the room's budget; the refused ones get
 * `rate_limited` (ref `data`) and are not closed for flooding; another room is untouched.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@itda/common/testing';
import { ErrorCode, MAX_DATA_PAYLOAD, type ServerMessage } from '@itda/protocol';
import { coreHarness } from './testing.ts';

const dataChars = (messages: ServerMessage[]): number =>
  messages.reduce((n, m) => n + (m.type === 'data' ? m.payload.length : 0), 0);

for (const seed of [1, 2, 3, 42, 1234]) {
  test(`30 senders × 21 broadcasts of 48 KiB (seed ${seed}): each receiver gets at most the room's budget`, () => {
    const rate = 1024 * 1024;
    const burst = 2 * 1024 * 1024;
    const h = coreHarness({ roomCapacity: 40, roomDataBytesPerSecond: rate, roomDataBurstBytes: burst });
    const senders = Array.from({ length: 30 }, (_, i) => `s${i}`);
    for (const s of senders) h.join(s, 'busy');
    h.join('reader', 'busy');
    h.join('calm', 'other');
    h.join('calm2', 'other');
    for (const c of [...senders, 'reader', 'calm', 'calm2']) h.out.take(c);

    const rnd = seededRandom(seed);
    const left = new Map(senders.map((s) => [s, 21]));
    const payload = 'x'.repeat(MAX_DATA_PAYLOAD);
    const start = h.clock.now();
    while (left.size > 0) {
      const pending = [...left.keys()];
      const s = pending[Math.floor(rnd() * pending.length)] as string;
      h.send(s, { type: 'data', payload });
      const n = (left.get(s) ?? 1) - 1;
      if (n === 0) left.delete(s);
      else left.set(s, n);
      h.clock.advance(Math.floor(rnd() * 3)); // 0–2 ms between messages: all within ~1.3 s
      // Another room keeps talking meanwhile.
      if (rnd() < 0.05) h.send('calm', { type: 'data', payload: 'hi' });
    }
    const elapsedS = (h.clock.now() - start) / 1000;
    const got = dataChars(h.out.take('reader'));
    assert.ok(got > 0, 'something was relayed');
    assert.ok(got <= burst + rate * elapsedS, `reader got ${got} characters in ${elapsedS} s`);
    // The refused senders were told, once a second at most, and none was closed.
    const limited = senders.filter((s) =>
      h.out.ofType(s, 'error').some((e) => e.code === ErrorCode.RateLimited && e.ref === 'data'),
    );
    assert.ok(limited.length > 0, 'some senders were refused');
    assert.equal(h.out.closed.size, 0);
    assert.ok((h.core.metrics.errors.get('room_data_limited') ?? 0) > 0);
    // The other room's data all went through.
    assert.ok(h.out.ofType('calm2', 'data').every((m) => m.payload === 'hi'));
    assert.ok(h.out.ofType('calm2', 'data').length > 0);
  });
}

test('the room budget refills with time; data addressed to one member draws from it too', () => {
  const h = coreHarness({ roomDataBytesPerSecond: 100_000, roomDataBurstBytes: MAX_DATA_PAYLOAD });
  const a = h.join('a', 'r');
  const b = h.join('b', 'r');
  const payload = 'y'.repeat(MAX_DATA_PAYLOAD);
  h.send('a', { type: 'data', to: b.participantId, payload });
  assert.equal(h.out.ofType('b', 'data').length, 1);
  h.send('b', { type: 'data', to: a.participantId, payload });
  assert.equal(h.out.ofType('a', 'data').length, 0);
  assert.equal(h.out.ofType('b', 'error').at(-1)?.code, ErrorCode.RateLimited);
  h.clock.advance(Math.ceil((MAX_DATA_PAYLOAD / 100_000) * 1000));
  h.send('b', { type: 'data', to: a.participantId, payload });
  assert.equal(h.out.ofType('a', 'data').length, 1);
});

test('room data budget settings are validated once', () => {
  assert.throws(() => coreHarness({ roomDataBurstBytes: 1000 }), /roomDataBurstBytes/);
  assert.throws(() => coreHarness({ roomDataBytesPerSecond: 0 }), /roomDataBytesPerSecond/);
});
