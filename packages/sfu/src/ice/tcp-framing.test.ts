import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IceErrorCode } from './errors.ts';
import { frameTcp, TCP_FRAME_MAX, TcpFrameDecoder } from './tcp-framing.ts';

function packet(length: number, seed: number): Uint8Array {
  const p = new Uint8Array(length);
  for (let i = 0; i < length; i++) p[i] = (seed + i * 7) & 0xff;
  return p;
}

function concat(parts: Uint8Array[]): Uint8Array {
  return Buffer.concat(parts);
}

test('frameTcp: 16-bit length then the packet', () => {
  assert.deepEqual([...frameTcp(new Uint8Array([9, 8, 7]))], [0, 3, 9, 8, 7]);
  assert.equal(frameTcp(new Uint8Array(TCP_FRAME_MAX)).length, TCP_FRAME_MAX + 2);
  assert.deepEqual([...frameTcp(new Uint8Array(TCP_FRAME_MAX)).subarray(0, 2)], [0xff, 0xff]);
  assert.throws(() => frameTcp(new Uint8Array(TCP_FRAME_MAX + 1)), { code: IceErrorCode.TcpFrameTooLarge });
});

test('coalesced frames in one chunk come out as views, in order', () => {
  const packets = [packet(100, 1), packet(1, 2), packet(1200, 3)];
  const chunk = concat(packets.map(frameTcp));
  const frames = new TcpFrameDecoder().push(chunk);
  assert.deepEqual(
    frames.map((f) => [...f]),
    packets.map((p) => [...p]),
  );
  assert.equal(frames[0]?.buffer, chunk.buffer); // no copy
});

test('every split point of a stream gives the same frames', () => {
  const packets = [packet(20, 1), packet(300, 2), packet(3, 3), packet(0, 4), packet(70, 5)];
  const stream = concat(packets.map(frameTcp));
  const expected = packets.filter((p) => p.length > 0).map((p) => [...p]);
  for (let a = 0; a <= stream.length; a++) {
    for (const b of [a, Math.min(stream.length, a + 1), Math.min(stream.length, a + 2), stream.length]) {
      const decoder = new TcpFrameDecoder();
      const frames = [
        ...decoder.push(stream.subarray(0, a)),
        ...decoder.push(stream.subarray(a, b)),
        ...decoder.push(stream.subarray(b)),
      ];
      assert.deepEqual(
        frames.map((f) => [...f]),
        expected,
        `split at ${a}/${b}`,
      );
      assert.equal(decoder.bufferedBytes, 0);
    }
  }
});

test('one byte at a time', () => {
  const packets = [packet(5, 1), packet(600, 2)];
  const stream = concat(packets.map(frameTcp));
  const decoder = new TcpFrameDecoder();
  const frames: Uint8Array[] = [];
  for (let i = 0; i < stream.length; i++) frames.push(...decoder.push(stream.subarray(i, i + 1)));
  assert.deepEqual(
    frames.map((f) => [...f]),
    packets.map((p) => [...p]),
  );
});

test('a 65,535-byte frame is fine by default; a lower maxFrameBytes fails at the header', () => {
  const big = packet(TCP_FRAME_MAX, 9);
  const framed = frameTcp(big);
  const decoder = new TcpFrameDecoder();
  assert.deepEqual(decoder.push(framed.subarray(0, 1000)), []);
  assert.equal(decoder.bufferedBytes, 1000);
  const [frame] = decoder.push(framed.subarray(1000));
  assert.deepEqual(frame, Buffer.from(big));

  const strict = new TcpFrameDecoder({ maxFrameBytes: 1500 });
  assert.equal(strict.push(frameTcp(packet(1500, 1))).length, 1);
  assert.throws(() => strict.push(new Uint8Array([0x05, 0xdd])), { code: IceErrorCode.TcpFrameTooLarge });
  // Failed for good.
  assert.throws(() => strict.push(frameTcp(packet(10, 1))), { code: IceErrorCode.TcpFrameTooLarge });
});

test('maxBufferedBytes caps what one connection may hold', () => {
  const decoder = new TcpFrameDecoder({ maxBufferedBytes: 1002 });
  // Complete frames in one chunk are never held, whatever their size.
  assert.equal(decoder.push(frameTcp(packet(5000, 1))).length, 1);
  // A 1,000-byte frame split over chunks fits.
  const ok = frameTcp(packet(1000, 2));
  assert.deepEqual(decoder.push(ok.subarray(0, 10)), []);
  assert.equal(decoder.push(ok.subarray(10)).length, 1);
  // A 1,001-byte frame split over chunks does not.
  assert.throws(() => decoder.push(frameTcp(packet(1001, 3)).subarray(0, 10)), {
    code: IceErrorCode.TcpBufferOverflow,
  });
});

test('options are validated', () => {
  assert.throws(() => new TcpFrameDecoder({ maxFrameBytes: 0 }), { code: IceErrorCode.BadOption });
  assert.throws(() => new TcpFrameDecoder({ maxFrameBytes: 65_536 }), { code: IceErrorCode.BadOption });
  assert.throws(() => new TcpFrameDecoder({ maxBufferedBytes: 1 }), { code: IceErrorCode.BadOption });
});
