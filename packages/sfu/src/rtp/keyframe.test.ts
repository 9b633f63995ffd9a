/**
 * Keyframe detection per payload format, on payloads built byte by byte from the RFCs'
 * descriptor layouts, plus every truncation of each (never throws, never reads past).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isKeyframeStart, type KeyframeCodec, keyframeCodec } from './keyframe.ts';

const b = (...bytes: number[]): Uint8Array => Uint8Array.from(bytes);

const cases: [KeyframeCodec, string, Uint8Array, boolean][] = [
  // VP8: descriptor S=1 PID=0, then payload header P bit.
  ['vp8', 'key, no extension', b(0x10, 0x10, 0x02, 0x00), true],
  ['vp8', 'inter frame', b(0x10, 0x11, 0x02, 0x00), false],
  ['vp8', 'not the start of a partition', b(0x00, 0x10), false],
  ['vp8', 'partition 1', b(0x11, 0x10), false],
  ['vp8', 'key with X, 15-bit PictureID, TL0PICIDX, TID/KEYIDX', b(0x90, 0xe0, 0x81, 0x23, 0x05, 0x40, 0x10), true],
  ['vp8', 'inter with X and 7-bit PictureID', b(0x90, 0x80, 0x23, 0x11), false],
  // VP9: I|P|L|F|B|E|V|Z.
  ['vp9', 'key frame start (B=1, P=0)', b(0x08, 0x00), true],
  ['vp9', 'inter frame (P=1)', b(0x48, 0x00), false],
  ['vp9', 'not a frame start (B=0)', b(0x04, 0x00), false],
  ['vp9', 'key, picture id and layer indices, spatial layer 0', b(0xa8, 0x81, 0x02, 0x00, 0x00), true],
  ['vp9', 'key, layer indices, spatial layer 1', b(0x28, 0x02, 0x00), false],
  // H.264: NAL unit types.
  ['h264', 'IDR slice', b(0x65, 0x88), true],
  ['h264', 'SPS', b(0x67, 0x42), true],
  ['h264', 'non-IDR slice', b(0x41, 0x9a), false],
  ['h264', 'STAP-A with SPS and PPS', b(0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce), true],
  ['h264', 'STAP-A with SEI only', b(0x78, 0x00, 0x02, 0x06, 0x05), false],
  ['h264', 'FU-A start of an IDR', b(0x7c, 0x85, 0x88), true],
  ['h264', 'FU-A middle of an IDR', b(0x7c, 0x05, 0x88), false],
  ['h264', 'FU-A start of a non-IDR', b(0x7c, 0x81, 0x9a), false],
  // AV1: aggregation header Z|Y|W|W|N|-|-|-.
  ['av1', 'new coded video sequence (N=1)', b(0x18, 0x0a), true],
  ['av1', 'continuation (N=0)', b(0x10, 0x0a), false],
];

for (const [codec, what, payload, key] of cases) {
  test(`${codec}: ${what} → ${key ? 'keyframe' : 'not a keyframe'}`, () => {
    // At an offset inside a larger buffer, as in a real RTP packet.
    const buf = new Uint8Array(payload.length + 20);
    buf.set(payload, 12);
    assert.equal(isKeyframeStart(codec, buf, 12, payload.length), key);
  });
}

test('every truncation of every payload is answered without throwing', () => {
  for (const [codec, , payload] of cases) {
    for (let n = 0; n <= payload.length; n++) isKeyframeStart(codec, payload.subarray(0, n), 0, n);
  }
});

test('keyframeCodec maps MIME types, case-insensitively, and knows no audio', () => {
  assert.deepEqual(
    ['video/VP8', 'VIDEO/vp9', 'video/H264', 'video/AV1', 'audio/opus', 'video/H265'].map(keyframeCodec),
    ['vp8', 'vp9', 'h264', 'av1', undefined, undefined],
  );
});
