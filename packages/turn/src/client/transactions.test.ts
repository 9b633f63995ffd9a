import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError, ManualClock } from '@itda/common';
import { createTransactionId, decodeMessage, encodeMessage, StunClass, StunMethod } from '@itda/stun';
import { Transactions } from './transactions.ts';

function responseTo(transactionId: Uint8Array) {
  return decodeMessage(
    encodeMessage({ class: StunClass.SuccessResponse, method: StunMethod.Binding, transactionId, attributes: [] }),
  );
}

test('UDP: sends at 0, 0.5, 1.5, 3.5, 7.5, 15.5, 31.5 s and fails at 39.5 s (RFC 8489 §6.2.1 defaults)', async () => {
  const clock = new ManualClock(0);
  const t = new Transactions(clock);
  const times: number[] = [];
  const tid = createTransactionId();
  const p = t.start(tid, new Uint8Array(20), false, () => times.push(clock.now()));
  let failed: unknown;
  p.catch((err: unknown) => {
    failed = err;
  });
  clock.advance(39_499);
  await Promise.resolve();
  assert.deepEqual(times, [0, 500, 1500, 3500, 7500, 15500, 31500]);
  assert.equal(failed, undefined);
  clock.advance(1);
  await Promise.resolve();
  assert.ok(isItdaError(failed, 'turn_client_timeout'));
  assert.equal(t.size, 0);
  assert.equal(t.retransmissions, 6);
  assert.equal(clock.pending, 0);
});

test('UDP: a response stops the retransmissions; a duplicate response is not matched', async () => {
  const clock = new ManualClock(0);
  const t = new Transactions(clock, { rto: 100, rc: 3, rm: 4 });
  let sends = 0;
  const tid = createTransactionId();
  const p = t.start(tid, new Uint8Array(20), false, () => sends++);
  clock.advance(150);
  assert.equal(sends, 2);
  assert.equal(t.handleResponse(responseTo(tid)), true);
  assert.equal((await p).class, StunClass.SuccessResponse);
  assert.equal(t.handleResponse(responseTo(tid)), false);
  clock.advance(10_000);
  assert.equal(sends, 2);
  assert.equal(clock.pending, 0);
});

test('TCP/TLS: one send, then Ti (default 39.5 s, RFC 8489 §6.2.2)', async () => {
  const clock = new ManualClock(0);
  const t = new Transactions(clock);
  let sends = 0;
  const p = t.start(createTransactionId(), new Uint8Array(20), true, () => sends++);
  const outcome = p.then(
    () => 'ok',
    (err: unknown) => (isItdaError(err) ? err.code : 'other'),
  );
  clock.advance(39_499);
  assert.equal(sends, 1);
  clock.advance(1);
  assert.equal(await outcome, 'turn_client_timeout');
});

test('cancelAll rejects every pending request and cancels its timers; a throwing send fails the request', async () => {
  const clock = new ManualClock(0);
  const t = new Transactions(clock);
  const a = t.start(createTransactionId(), new Uint8Array(20), false, () => {});
  const b = t.start(createTransactionId(), new Uint8Array(20), true, () => {});
  t.cancelAll(new Error('closed'));
  await assert.rejects(a, /closed/);
  await assert.rejects(b, /closed/);
  assert.equal(clock.pending, 0);
  const c = t.start(createTransactionId(), new Uint8Array(20), false, () => {
    throw new Error('EBADF');
  });
  await assert.rejects(c, (err) => isItdaError(err, 'turn_client_transport'));
  assert.equal(t.size, 0);
});

test('options out of range are refused', () => {
  assert.throws(
    () => new Transactions(new ManualClock(), { rto: 0 }),
    (err) => isItdaError(err, 'turn_client_bad_argument'),
  );
  assert.throws(
    () => new Transactions(new ManualClock(), { rc: 21 }),
    (err) => isItdaError(err, 'turn_client_bad_argument'),
  );
});
