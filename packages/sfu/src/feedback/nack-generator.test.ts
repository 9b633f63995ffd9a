import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError, ManualClock } from '@itda/common';
import { encodeRtcp, type GenericNack, parseRtcp } from '../rtp/index.ts';
import { NackGenerator } from './nack-generator.ts';

test('a gap is NACKed at once, again every RTT, and given up after maxRetries', () => {
  const clock = new ManualClock(0);
  const gen = new NackGenerator({ maxRetries: 3 });
  const out: number[] = [];
  gen.onPacket(10, clock.now());
  gen.onPacket(11, clock.now());
  gen.onPacket(14, clock.now()); // 12, 13 missing
  assert.equal(gen.missing, 2);
  assert.equal(gen.poll(clock.now(), out), 2);
  assert.deepEqual(out, [12, 13]);
  clock.advance(50);
  assert.equal(gen.poll(clock.now(), out), 0); // within one RTT
  clock.advance(50);
  gen.poll(clock.now(), out);
  assert.deepEqual(out, [12, 13]);
  gen.onPacket(12, clock.now()); // recovered
  assert.equal(gen.recovered, 1);
  clock.advance(100);
  gen.poll(clock.now(), out);
  assert.deepEqual(out, [13]); // third NACK of 13: given up
  clock.advance(100);
  assert.equal(gen.poll(clock.now(), out), 0);
  assert.equal(gen.missing, 0);
  assert.equal(gen.givenUp, 1);
  assert.equal(gen.nacked, 5);
  // The list becomes a NACK packet.
  const nack: GenericNack = { type: 'nack', senderSsrc: 1, mediaSsrc: 2, sequences: [12, 13] };
  assert.deepEqual(parseRtcp(encodeRtcp([nack])), [nack]);
});

test('wrap-around 65535 → 0: the missing numbers around the wrap', () => {
  const gen = new NackGenerator();
  const out: number[] = [];
  gen.onPacket(0xfffd, 0);
  gen.onPacket(1, 0);
  gen.poll(0, out);
  assert.deepEqual(out, [0xfffe, 0xffff, 0]);
  gen.onPacket(0xffff, 0); // late, across the wrap
  gen.onPacket(0xfffd, 0); // an old duplicate: nothing
  assert.equal(gen.missing, 2);
  assert.equal(gen.recovered, 1);
});

test('missing for longer than maxAgeMs: given up', () => {
  const gen = new NackGenerator({ maxAgeMs: 300 });
  const out: number[] = [];
  gen.onPacket(1, 0);
  gen.onPacket(3, 0);
  gen.poll(0, out);
  gen.poll(301, out);
  assert.deepEqual(out, []);
  assert.equal(gen.missing, 0);
  assert.equal(gen.givenUp, 1);
});

test('overflow: entries before the last keyframe go first; else the list clears and a keyframe is needed', () => {
  const gen = new NackGenerator({ maxNackPackets: 10 });
  const out: number[] = [];
  gen.onPacket(100, 0);
  assert.equal(gen.onPacket(106, 0), false); // 5 missing
  assert.equal(gen.onPacket(107, 0, true), false); // keyframe
  assert.equal(gen.onPacket(113, 0), false); // 5 more: 10
  assert.equal(gen.onPacket(115, 0), false); // 1 more: 11 > 10 → the 5 before the keyframe go
  gen.poll(0, out);
  assert.deepEqual(out, [108, 109, 110, 111, 112, 114]);
  assert.equal(gen.onPacket(130, 0), true); // 15 more: clear, ask for a keyframe
  assert.equal(gen.missing, 0);
  assert.equal(gen.keyframesNeeded, 1);
  // A jump beyond maxPacketAge too.
  const far = new NackGenerator({ maxPacketAge: 100 });
  far.onPacket(0, 0);
  assert.equal(far.onPacket(500, 0), true);
});

test('a hostile stream (random sequence numbers) keeps the list and each poll bounded', () => {
  const gen = new NackGenerator();
  const out: number[] = [];
  let s = 12345;
  for (let i = 0; i < 20_000; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    gen.onPacket(s >>> 16, i);
    assert.ok(gen.missing <= 1000);
    if (i % 50 === 0) assert.ok(gen.poll(i, out) <= 256);
  }
  assert.throws(
    () => new NackGenerator({ maxRetries: 0 }),
    (e) => isItdaError(e, 'feedback_bad_option'),
  );
});

test('reset forgets the stream', () => {
  const gen = new NackGenerator();
  gen.onPacket(1, 0);
  gen.onPacket(5, 0);
  gen.reset();
  gen.onPacket(900, 0);
  assert.equal(gen.missing, 0);
});
