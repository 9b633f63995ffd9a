import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyDatagram, isRtcp } from './demux.ts';

test('first-byte ranges of RFC 7983 and RTP vs RTCP by packet type (RFC 5761 §4)', () => {
  assert.equal(classifyDatagram(Uint8Array.of(0x00, 0x01)), 'stun');
  assert.equal(classifyDatagram(Uint8Array.of(0x03)), 'stun');
  assert.equal(classifyDatagram(Uint8Array.of(22, 0xfe)), 'dtls');
  assert.equal(classifyDatagram(Uint8Array.of(20)), 'dtls');
  assert.equal(classifyDatagram(Uint8Array.of(63)), 'dtls');
  assert.equal(classifyDatagram(Uint8Array.of(0x80, 96)), 'rtp');
  assert.equal(classifyDatagram(Uint8Array.of(0x90, 0xe0)), 'rtp', 'marker + PT 96');
  assert.equal(classifyDatagram(Uint8Array.of(0x80, 0xc8)), 'rtcp', 'SR 200');
  assert.equal(classifyDatagram(Uint8Array.of(0x81, 0xcd)), 'rtcp', 'RTPFB 205');
  assert.equal(classifyDatagram(Uint8Array.of(0x80, 192)), 'rtcp');
  assert.equal(classifyDatagram(Uint8Array.of(0x80, 223)), 'rtcp');
  assert.equal(classifyDatagram(Uint8Array.of(0x80, 224)), 'rtp');
  assert.equal(classifyDatagram(Uint8Array.of(0x80, 191)), 'rtp');
  assert.equal(classifyDatagram(Uint8Array.of(0x80)), 'unknown', 'too short to tell');
  assert.equal(classifyDatagram(new Uint8Array(0)), 'unknown');
  assert.equal(classifyDatagram(Uint8Array.of(64)), 'unknown');
  assert.equal(classifyDatagram(Uint8Array.of(16)), 'unknown', 'ZRTP is not ours');
  assert.equal(classifyDatagram(Uint8Array.of(0xc0, 0)), 'unknown');
  assert.equal(classifyDatagram(Uint8Array.of(0xff, 0x80, 0xc8), 1), 'rtcp', 'at an offset');
  assert.equal(isRtcp(Uint8Array.of(0x80)), false);
});
