import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RtpError } from './errors.ts';
import { RtpPacketView } from './rtp-packet.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

// Real Chrome captures (headers of video packets, payload cut off), as dissected by Wireshark:
// one-byte extensions 2 (abs-send-time f34350), 4 (transport-wide-cc 009b), 13 (810045).
const CHROME_ONE_BYTE = hex('902d1a5f d4090549 f7b16e83 bede0003 22f34350 41009b d2810045 00');
// Two-byte form (profile 0x1000): 2, 4, 9, 3, 6, 7 (13 bytes), 13 (33 bytes).
const CHROME_TWO_BYTE = hex(
  '902d61c5 950a0fee 8d3814e5 10000011 020303f7ae 04020002 090130 030100 060102' +
    ' 070d01000100070007000a00000000' +
    ' 0d21c000018003187aaaf130a0a014d1413823046008642222265009f0077013f00ef0',
);

function expectCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof RtpError && err.code === code);
}

test('parses a Chrome packet with one-byte header extensions', () => {
  const v = new RtpPacketView().parse(CHROME_ONE_BYTE);
  assert.equal(v.version, 2);
  assert.equal(v.padding, false);
  assert.equal(v.extension, true);
  assert.equal(v.csrcCount, 0);
  assert.equal(v.marker, false);
  assert.equal(v.payloadType, 45);
  assert.equal(v.sequenceNumber, 6751);
  assert.equal(v.timestamp, 3557360969);
  assert.equal(v.ssrc, 0xf7b16e83);
  assert.equal(v.extensionProfile, 0xbede);
  assert.equal(v.extensionLength, 12);
  assert.equal(v.payloadOffset, 28);
  assert.equal(v.payloadLength, 0);
  assert.equal(v.extensionUint(2), 0xf34350);
  assert.equal(v.extensionUint(4), 0x009b);
  assert.equal(v.extensionUint(13), 0x810045);
  assert.equal(v.extensionUint(5), -1);
  assert.equal(v.findExtension(4), true);
  assert.equal(v.foundOffset, 21);
  assert.equal(v.foundLength, 2);
});

test('parses a Chrome packet with two-byte header extensions', () => {
  const v = new RtpPacketView().parse(CHROME_TWO_BYTE);
  assert.equal(v.sequenceNumber, 25029);
  assert.equal(v.timestamp, 2500464622);
  assert.equal(v.ssrc, 0x8d3814e5);
  assert.equal(v.extensionProfile, 0x1000);
  assert.equal(v.extensionUint(2), 0x03f7ae);
  assert.equal(v.extensionUint(4), 2);
  assert.equal(v.extensionUint(9), 0x30);
  assert.equal(v.findExtension(7), true);
  assert.equal(v.foundLength, 13);
  assert.equal(v.findExtension(13), true);
  assert.equal(v.foundLength, 33);
  assert.equal(v.extensionUint(13), -1, 'longer than 4 bytes');
  assert.equal(v.payloadOffset, CHROME_TWO_BYTE.length);
});

test('CSRCs, padding, payload and marker', () => {
  // V=2 P=1 X=0 CC=2, M=1 PT=111, seq 0xffff, ts 0xfffffffe, ssrc 0x01020304, CSRCs 5 and 6,
  // payload aa bb cc, 3 bytes of padding (00 00 03).
  const pkt = hex('a2 ef ffff fffffffe 01020304 00000005 00000006 aabbcc 000003');
  const v = new RtpPacketView().parse(pkt);
  assert.equal(v.csrcCount, 2);
  assert.equal(v.csrc(0), 5);
  assert.equal(v.csrc(1), 6);
  assert.equal(v.marker, true);
  assert.equal(v.payloadType, 111);
  assert.equal(v.sequenceNumber, 0xffff);
  assert.equal(v.timestamp, 0xfffffffe);
  assert.equal(v.paddingLength, 3);
  assert.equal(v.payloadOffset, 20);
  assert.equal(v.payloadLength, 3);
  assert.deepEqual([...pkt.subarray(v.payloadOffset, v.payloadOffset + v.payloadLength)], [0xaa, 0xbb, 0xcc]);
});

test('parses at an offset inside a larger buffer', () => {
  const big = new Uint8Array(100);
  big.set(CHROME_ONE_BYTE, 40);
  const v = new RtpPacketView().parse(big, 40, CHROME_ONE_BYTE.length);
  assert.equal(v.sequenceNumber, 6751);
  assert.equal(v.extensionUint(4), 0x9b);
  assert.equal(v.payloadOffset, 68);
});

test('rewrites SSRC, sequence number, timestamp, payload type, marker and extensions in place', () => {
  const pkt = CHROME_ONE_BYTE.slice();
  const v = new RtpPacketView().parse(pkt);
  v.setSsrc(0xdeadbeef);
  v.setSequenceNumber(0x1_0002); // taken mod 2^16
  v.setTimestamp(2 ** 32 + 7);
  v.setPayloadType(96);
  v.setMarker(true);
  assert.equal(v.setExtensionUint(2, 0x123456), true); // abs-send-time, 3 bytes
  assert.equal(v.setExtensionUint(4, 0xbeef), true); // transport-wide-cc sequence, 2 bytes
  assert.equal(v.setExtensionUint(5, 1), false);
  const again = new RtpPacketView().parse(pkt);
  assert.equal(again.ssrc, 0xdeadbeef);
  assert.equal(again.sequenceNumber, 2);
  assert.equal(again.timestamp, 7);
  assert.equal(again.payloadType, 96);
  assert.equal(again.marker, true);
  assert.equal(again.extensionUint(2), 0x123456);
  assert.equal(again.extensionUint(4), 0xbeef);
  assert.equal(again.extensionUint(13), 0x810045, 'other extensions untouched');
  again.setPayloadType(45);
  assert.equal(again.marker, true, 'marker kept when the payload type changes');
  again.setMarker(false);
  assert.equal(new RtpPacketView().parse(pkt).payloadType, 45);
});

test('mid and rid as text (RFC 8843, RFC 8852)', () => {
  // one-byte extensions: id 1 mid "0", id 10 rid "hi", padding
  const pkt = hex('90 60 0001 00000001 00000002 bede0002 1030 a16869 000000 99');
  const v = new RtpPacketView().parse(pkt);
  assert.equal(v.extensionText(1), '0');
  assert.equal(v.extensionText(10), 'hi');
  assert.equal(v.extensionText(11), undefined);
  assert.equal(v.payloadLength, 1);
});

test('one-byte element id 15 stops processing (RFC 8285 §4.2)', () => {
  const pkt = hex('90 60 0001 00000001 00000002 bede0001 f0 1001 00');
  const v = new RtpPacketView().parse(pkt);
  assert.equal(v.findExtension(1), false);
});

test('unknown extension profile: parsed, no elements found', () => {
  const pkt = hex('90 e0 698f d9c293da 1c642782 0001 0001 ffffffff 9836be889e');
  const v = new RtpPacketView().parse(pkt);
  assert.equal(v.extensionProfile, 1);
  assert.equal(v.extensionLength, 4);
  assert.equal(v.findExtension(1), false);
  assert.equal(v.payloadLength, 5);
});

test('every error code', () => {
  const v = new RtpPacketView();
  expectCode(() => v.parse(new Uint8Array(11)), 'rtp_too_short');
  expectCode(() => v.parse(hex('40 60 0001 00000001 00000002')), 'rtp_bad_version');
  expectCode(() => v.parse(hex('81 60 0001 00000001 00000002')), 'rtp_too_short'); // CSRC missing
  expectCode(() => v.parse(hex('90 60 0001 00000001 00000002 bede')), 'rtp_too_short'); // ext header cut
  expectCode(() => v.parse(hex('90 60 0001 00000001 00000002 bede0002 00000000')), 'rtp_too_short');
  expectCode(() => v.parse(hex('a0 60 0001 00000001 00000002 aa00')), 'rtp_bad_padding'); // count 0
  expectCode(() => v.parse(hex('a0 60 0001 00000001 00000002 aa05')), 'rtp_bad_padding'); // past payload
  expectCode(() => v.parse(hex('90 60 0001 00000001 00000002 bede0001 13aabbcc')), 'rtp_bad_extension');
  expectCode(() => v.parse(hex('90 60 0001 00000001 00000002 10000001 0105aabb')), 'rtp_bad_extension');
  expectCode(() => v.parse(hex('90 60 0001 00000001 00000002 10000001 000000 01')), 'rtp_bad_extension');
  expectCode(() => v.parse(new Uint8Array(20), 10, 20), 'rtp_too_short'); // range past the buffer
});

test('a parse that throws leaves earlier views usable and the error an ItdaError with a code', () => {
  const err = (() => {
    try {
      new RtpPacketView().parse(new Uint8Array(3));
    } catch (e) {
      return e;
    }
    return undefined;
  })();
  assert.ok(err instanceof RtpError);
  assert.equal(err.name, 'RtpError');
  assert.equal(err.code, 'rtp_too_short');
});
