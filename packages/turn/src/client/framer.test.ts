import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import { createTransactionId, encodeChannelData, encodeMessage, StunClass, StunMethod } from '@itda/stun';
import { StreamFramer } from './framer.ts';

const stun = encodeMessage({
  class: StunClass.Request,
  method: StunMethod.Binding,
  transactionId: createTransactionId(),
  attributes: [],
});
const channel = encodeChannelData(0x4001, new Uint8Array([1, 2, 3, 4, 5]), true); // padded to 12

test('cuts STUN and padded ChannelData frames out of chunks split anywhere', () => {
  const stream = Buffer.concat([stun, channel, stun, channel]);
  for (const size of [1, 3, 7, 13, stream.length]) {
    const framer = new StreamFramer();
    const frames: Uint8Array[] = [];
    for (let at = 0; at < stream.length; at += size) {
      framer.push(stream.subarray(at, at + size), (f) => frames.push(f));
    }
    assert.deepEqual(
      frames.map((f) => f.length),
      [20, 12, 20, 12],
      `chunks of ${size}`,
    );
    assert.deepEqual(Buffer.from(frames[1] as Uint8Array), Buffer.from(channel));
    assert.equal(framer.buffered, 0);
  }
});

test('frames stay valid after later pushes', () => {
  const framer = new StreamFramer();
  const frames: Uint8Array[] = [];
  framer.push(Buffer.concat([stun, channel.subarray(0, 6)]), (f) => frames.push(f));
  framer.push(channel.subarray(6), (f) => frames.push(f));
  framer.push(Buffer.from(stun), (f) => frames.push(f));
  assert.deepEqual(Buffer.from(frames[0] as Uint8Array), Buffer.from(stun));
  assert.deepEqual(Buffer.from(frames[1] as Uint8Array), Buffer.from(channel));
});

test('bytes that are not TURN framing throw stun_unknown_frame', () => {
  const framer = new StreamFramer();
  assert.throws(
    () => framer.push(new Uint8Array([0x80, 0, 0, 4, 0, 0, 0, 0]), () => {}),
    (err) => isItdaError(err, 'stun_unknown_frame'),
  );
});
