/**
 * Handshake fragment reassembly (RFC 6347 §4.2.3): in order, reversed, duplicated,
 * overlapping, several pieces; malformed fragments throw RangeError; and whole handshakes
 * whose ClientHello or Certificate arrive fragmented and reordered.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { HandshakeReassembler, MAX_HANDSHAKE_LENGTH } from './reassembly.ts';
import { splitRecords } from './record.ts';
import { pair } from './test-pair.ts';

/** A record (epoch 0, type 22) holding one fragment [from, to) of a message with `body`. */
function fragmentRecord(type: number, seq: number, body: Buffer, from: number, to: number): Buffer {
  const f = Buffer.alloc(12 + (to - from));
  f[0] = type;
  f.writeUIntBE(body.length, 1, 3);
  f.writeUInt16BE(seq, 4);
  f.writeUIntBE(from, 6, 3);
  f.writeUIntBE(to - from, 9, 3);
  body.copy(f, 12, from, to);
  const r = Buffer.alloc(13 + f.length);
  r.set([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, seq]);
  r.writeUInt16BE(f.length, 11);
  f.copy(r, 13);
  return r;
}

/** The whole message a reassembled record carries: header with offset 0, full length. */
function wholeOf(record: Uint8Array | undefined): { type: number; length: number; offset: number; body: Buffer } {
  assert.ok(record);
  const b = Buffer.from(record);
  return { type: b[13] ?? 0, length: b.readUIntBE(14, 3), offset: b.readUIntBE(19, 3), body: b.subarray(25) };
}

const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i & 0xff));

test('in order, reversed, with duplicates and overlaps: one whole message, exactly once', () => {
  const orders: [number, number][][] = [
    [
      [0, 500],
      [500, 1000],
    ],
    [
      [500, 1000],
      [0, 500],
    ],
    [
      [0, 400],
      [0, 400],
      [300, 700],
      [600, 1000],
    ],
    [
      [900, 1000],
      [0, 100],
      [100, 900],
    ],
  ];
  for (const order of orders) {
    const r = new HandshakeReassembler();
    const outs = order.map(([a, b]) => r.push(fragmentRecord(1, 3, body, a, b)));
    assert.deepEqual(outs.slice(0, -1), Array(order.length - 1).fill(undefined));
    const m = wholeOf(outs.at(-1));
    assert.deepEqual([m.type, m.length, m.offset], [1, 1000, 0]);
    assert.deepEqual(m.body, body);
  }
});

test('a whole message passes through; a record with a whole message and a fragment keeps the whole one', () => {
  const r = new HandshakeReassembler();
  const whole = fragmentRecord(11, 2, body, 0, 1000);
  assert.deepEqual(r.push(whole), whole);
  const small = Buffer.from([1, 2, 3]);
  const a = fragmentRecord(14, 5, small, 0, 3).subarray(13);
  const b = fragmentRecord(11, 6, body, 0, 10).subarray(13);
  const both = Buffer.concat([Buffer.from([22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, a.length + b.length]), a, b]);
  const out = wholeOf(r.push(both));
  assert.deepEqual([out.type, out.length], [14, 3]);
  assert.equal(out.body.length, 3);
});

test('malformed fragments throw RangeError', () => {
  const r = new HandshakeReassembler();
  const bad = fragmentRecord(1, 1, body, 0, 500);
  bad.writeUIntBE(800, 19, 3); // offset 800 + 500 > 1000
  assert.throws(() => r.push(bad), RangeError);
  assert.throws(() => r.push(fragmentRecord(1, 1, body, 0, 500).subarray(0, 20)), RangeError);
  const huge = Buffer.alloc(MAX_HANDSHAKE_LENGTH + 1);
  assert.throws(() => r.push(fragmentRecord(1, 1, huge, 0, 10)), RangeError);
  r.push(fragmentRecord(1, 7, body, 0, 10));
  assert.throws(
    () => r.push(fragmentRecord(2, 7, body, 10, 20)),
    RangeError,
    'type changed under the same message_seq',
  );
});

test('at most four messages pending; the oldest goes first', () => {
  const r = new HandshakeReassembler();
  for (let seq = 0; seq < 5; seq++) r.push(fragmentRecord(1, seq, body, 0, 500));
  assert.equal(r.push(fragmentRecord(1, 0, body, 500, 1000)), undefined, 'seq 0 was evicted');
  assert.ok(r.push(fragmentRecord(1, 4, body, 500, 1000)));
});

/** Splits every epoch-0 handshake message of `msgType` in `d` into `n` fragments, one datagram each, reversed. */
function fragmentReversed(d: Uint8Array, msgType: number, n: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const r of splitRecords(d).records) {
    const b = Buffer.from(r.bytes);
    if (r.type !== 22 || r.epoch !== 0 || b[13] !== msgType) {
      out.push(b);
      continue;
    }
    const msgBody = b.subarray(25);
    const seq = b.readUInt16BE(17);
    const step = Math.ceil(msgBody.length / n);
    const parts: Buffer[] = [];
    for (let from = 0; from < msgBody.length; from += step) {
      parts.push(fragmentRecord(msgType, seq, msgBody, from, Math.min(from + step, msgBody.length)));
    }
    out.push(...parts.reverse());
  }
  return out;
}

for (const [name, msgType] of [
  ['ClientHello', 1],
  ['client Certificate', 11],
] as const) {
  test(`a ${name} in three fragments arriving in reverse order: the handshake completes`, async () => {
    const p = pair({ tamper: (d, from) => (from === 'client' ? fragmentReversed(d, msgType, 3) : [d]) });
    await p.pump();
    assert.ok(p.server.keys && p.client.keys, `${p.server.failed?.code} ${p.client.failed?.code}`);
    assert.deepEqual(p.server.keys.remoteKey, p.client.keys.localKey);
    p.server.session.close();
    p.client.session.close();
  });
}
