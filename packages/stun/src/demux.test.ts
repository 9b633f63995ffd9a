import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import { encodeChannelData } from './channel-data.ts';
import { AttrType, StunClass, StunMethod } from './constants.ts';
import { classifyPacket, isChannelData, isStunMessage, streamFrameLength } from './demux.ts';
import { encodeMessage } from './encode.ts';
import { attr, createTransactionId } from './message.ts';

const stun = encodeMessage({
  class: StunClass.Request,
  method: StunMethod.Binding,
  transactionId: createTransactionId(),
  attributes: [attr(AttrType.Software, 'abc')],
});
const channel = encodeChannelData(0x4001, Uint8Array.of(1, 2, 3, 4, 5), true);

test('packets are classified by their first byte (RFC 7983 §7)', () => {
  const first = (b: number): Uint8Array => Uint8Array.of(b, 0, 0, 0);
  assert.equal(classifyPacket(stun), 'stun');
  assert.equal(classifyPacket(first(3)), 'stun');
  assert.equal(classifyPacket(first(4)), 'unknown');
  assert.equal(classifyPacket(first(16)), 'zrtp');
  assert.equal(classifyPacket(first(22)), 'dtls');
  assert.equal(classifyPacket(first(63)), 'dtls');
  assert.equal(classifyPacket(channel), 'channel-data');
  assert.equal(classifyPacket(first(80)), 'unknown');
  assert.equal(classifyPacket(first(0x80)), 'rtp');
  assert.equal(classifyPacket(first(191)), 'rtp');
  assert.equal(classifyPacket(first(192)), 'unknown');
  assert.equal(classifyPacket(new Uint8Array(0)), 'unknown');
});

test('isStunMessage and isChannelData check just enough', () => {
  assert.ok(isStunMessage(stun));
  assert.ok(!isStunMessage(stun.subarray(0, stun.length - 4)));
  assert.ok(!isStunMessage(channel));
  const cookie = stun.slice();
  cookie[4] = 0;
  assert.ok(!isStunMessage(cookie));
  assert.ok(isChannelData(channel));
  assert.ok(isChannelData(channel.subarray(0, 9)));
  assert.ok(!isChannelData(channel.subarray(0, 8)));
  assert.ok(!isChannelData(stun));
  assert.ok(!isChannelData(Uint8Array.of(0x40)));
});

test('streamFrameLength cuts STUN and padded ChannelData frames out of a TCP stream', () => {
  const stream = new Uint8Array(stun.length + channel.length + stun.length);
  stream.set(stun, 0);
  stream.set(channel, stun.length);
  stream.set(stun, stun.length + channel.length);
  const frames: number[] = [];
  for (let at = 0, guard = 0; at < stream.length && guard < 10; guard++) {
    const n = streamFrameLength(stream.subarray(at));
    assert.ok(n !== undefined);
    frames.push(n);
    at += n;
  }
  assert.deepEqual(frames, [stun.length, 12, stun.length]);
  assert.equal(streamFrameLength(stun.subarray(0, 3)), undefined);
  assert.equal(streamFrameLength(stun.subarray(0, 4)), stun.length, 'known from the first 4 bytes');
  assert.throws(
    () => streamFrameLength(Uint8Array.of(0x80, 0, 0, 0)),
    (err) => isItdaError(err, 'stun_unknown_frame'),
  );
  assert.throws(
    () => streamFrameLength(Uint8Array.of(0x50, 0, 0, 0)),
    (err) => isItdaError(err, 'stun_unknown_frame'),
  );
  assert.throws(
    () => streamFrameLength(Uint8Array.of(0, 1, 0, 2)),
    (err) => isItdaError(err, 'stun_bad_length'),
  );
});
