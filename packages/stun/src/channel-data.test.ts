import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import {
  CHANNEL_NUMBER_MAX_RFC5766,
  channelDataLength,
  decodeChannelData,
  encodeChannelData,
  encodeChannelDataInto,
  isValidChannelNumber,
} from './channel-data.ts';
import { streamFrameLength } from './demux.ts';

const data = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => i + 1);

test('ChannelData round-trips over UDP (no padding) and TCP (padded to 4), RFC 8656 §12.4–§12.5', () => {
  for (const n of [0, 1, 2, 3, 4, 5, 1200]) {
    const udp = encodeChannelData(0x4001, data(n));
    assert.equal(udp.length, 4 + n);
    assert.deepEqual([...udp.subarray(0, 4)], [0x40, 0x01, n >> 8, n & 0xff]);
    const d = decodeChannelData(udp);
    assert.equal(d.channel, 0x4001);
    assert.deepEqual(d.data, data(n));
    assert.equal(d.frameLength, 4 + n);

    const tcp = encodeChannelData(0x4fff, data(n), true);
    assert.equal(tcp.length % 4, 0);
    assert.equal(tcp.length, channelDataLength(n, true));
    assert.ok(tcp.subarray(4 + n).every((b) => b === 0));
    const s = decodeChannelData(tcp, true);
    assert.equal(s.channel, 0x4fff);
    assert.deepEqual(s.data, data(n));
    assert.equal(s.frameLength, tcp.length);
  }
});

test('a UDP datagram may carry padding; a stream frame must have it', () => {
  const padded = encodeChannelData(0x4000, data(5), true); // 12 bytes
  assert.deepEqual(decodeChannelData(padded).data, data(5));
  assert.throws(
    () => decodeChannelData(encodeChannelData(0x4000, data(5)), true),
    (err) => isItdaError(err, 'stun_truncated'),
  );
});

test('decoded data is a view of the input, not a copy', () => {
  const wire = encodeChannelData(0x4000, data(8));
  const d = decodeChannelData(wire);
  assert.equal(d.data.buffer, wire.buffer);
});

test('channel numbers outside 0x4000–0x4FFF and short input are rejected', () => {
  assert.ok(isValidChannelNumber(0x4000) && isValidChannelNumber(0x4fff));
  assert.ok(!isValidChannelNumber(0x3fff) && !isValidChannelNumber(0x5000) && !isValidChannelNumber(0x4000 + 0.5));
  for (const bad of [0x3fff, 0x5000, 0xffff]) {
    assert.throws(
      () => encodeChannelData(bad, data(1)),
      (err) => isItdaError(err, 'stun_bad_value'),
    );
  }
  assert.throws(
    () => decodeChannelData(Uint8Array.of(0x50, 0, 0, 0)),
    (err) => isItdaError(err, 'stun_bad_channel_number'),
  );
  assert.throws(
    () => decodeChannelData(Uint8Array.of(0x40, 0)),
    (err) => isItdaError(err, 'stun_truncated'),
  );
  assert.throws(
    () => decodeChannelData(Uint8Array.of(0x40, 0, 0, 5, 1, 2, 3, 4)),
    (err) => isItdaError(err, 'stun_truncated'),
  );
  assert.throws(
    () => encodeChannelData(0x4000, new Uint8Array(0x10000)),
    (err) => isItdaError(err, 'stun_bad_value'),
  );
});

test('encodeChannelDataInto writes at an offset and checks room', () => {
  const buf = new Uint8Array(16).fill(0xaa);
  assert.equal(encodeChannelDataInto(0x4002, data(3), buf, 4, true), 8);
  assert.deepEqual([...buf], [0xaa, 0xaa, 0xaa, 0xaa, 0x40, 0x02, 0, 3, 1, 2, 3, 0, 0xaa, 0xaa, 0xaa, 0xaa]);
  assert.throws(
    () => encodeChannelDataInto(0x4002, data(9), buf, 4, true),
    (err) => isItdaError(err, 'stun_buffer_too_small'),
  );
});

test('RFC 5766 channel numbers 0x5000–0x7FFF pass where the caller allows them, and nowhere else', () => {
  assert.ok(isValidChannelNumber(0x7fff, CHANNEL_NUMBER_MAX_RFC5766) && !isValidChannelNumber(0x8000, 0x7fff));
  const wire = encodeChannelData(0x73d7, data(5), true, CHANNEL_NUMBER_MAX_RFC5766);
  assert.equal(wire.length, 12);
  const cd = decodeChannelData(wire, true, CHANNEL_NUMBER_MAX_RFC5766);
  assert.equal(cd.channel, 0x73d7);
  assert.deepEqual(cd.data, data(5));
  assert.equal(streamFrameLength(wire, CHANNEL_NUMBER_MAX_RFC5766), 12);
  assert.throws(
    () => streamFrameLength(wire),
    (err) => isItdaError(err, 'stun_unknown_frame'),
  );
  assert.throws(
    () => decodeChannelData(Uint8Array.of(0x80, 0, 0, 0), false, CHANNEL_NUMBER_MAX_RFC5766),
    (err) => isItdaError(err, 'stun_bad_channel_number'),
  );
});
