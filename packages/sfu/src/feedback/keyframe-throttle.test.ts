import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError, ManualClock } from '@itda/common';
import { encodeRtcp, type FullIntraRequest, type PictureLossIndication, parseRtcp } from '../rtp/index.ts';
import { KeyframeThrottle } from './keyframe-throttle.ts';

function setup(mode: 'pli' | 'fir' = 'pli', minIntervalMs?: number) {
  const clock = new ManualClock(10_000);
  const sent: (PictureLossIndication | FullIntraRequest)[] = [];
  const sentAt: number[] = [];
  const throttle = new KeyframeThrottle({
    clock,
    mode,
    ...(minIntervalMs === undefined ? {} : { minIntervalMs }),
    senderSsrc: 1,
    mediaSsrc: 0xcafe,
    send: (r) => {
      sent.push(r);
      sentAt.push(clock.now());
    },
  });
  return { clock, sent, sentAt, throttle };
}

test('many subscribers asking at once: one PLI now, one more when 500 ms are up', () => {
  const { clock, sent, sentAt, throttle } = setup();
  for (let i = 0; i < 50; i++) throttle.request();
  assert.equal(sent.length, 1);
  assert.deepEqual(sent[0], { type: 'pli', senderSsrc: 1, mediaSsrc: 0xcafe });
  clock.advance(499);
  assert.equal(sent.length, 1);
  clock.advance(1);
  assert.equal(sent.length, 2);
  assert.deepEqual(sentAt, [10_000, 10_500]);
  assert.equal(throttle.requested, 50);
  assert.equal(throttle.forwarded, 2);
  assert.equal(throttle.suppressed, 49);
  assert.equal(clock.pending, 0);
  // Quiet for a while: the next request goes straight through.
  clock.advance(2000);
  throttle.request();
  assert.equal(sent.length, 3);
  assert.equal(sentAt[2], 12_500);
});

test('a keyframe arriving inside the interval answers the waiting request', () => {
  const { clock, sent, throttle } = setup();
  throttle.request();
  clock.advance(100);
  throttle.request();
  throttle.keyframeReceived();
  clock.advance(1000);
  assert.equal(sent.length, 1);
  assert.equal(clock.pending, 0);
});

test('FIR: the sequence number increments per new request and repeats when no keyframe came (RFC 5104 §4.3.1.1)', () => {
  const { clock, sent, throttle } = setup('fir');
  throttle.request();
  clock.advance(600);
  throttle.request(); // no keyframe since the first: a repetition
  throttle.keyframeReceived();
  clock.advance(600);
  throttle.request(); // new
  const firs = sent as FullIntraRequest[];
  assert.deepEqual(
    firs.map((f) => f.entries[0]?.sequence),
    [0, 0, 1],
  );
  assert.equal(firs[0]?.mediaSsrc, 0);
  assert.equal(firs[0]?.entries[0]?.ssrc, 0xcafe);
  assert.deepEqual(parseRtcp(encodeRtcp([firs[2] as FullIntraRequest])), [firs[2]]);
  // 256 new requests wrap the 8-bit sequence number.
  for (let i = 0; i < 256; i++) {
    throttle.keyframeReceived();
    clock.advance(600);
    throttle.request();
  }
  assert.equal(throttle.firSequence, 1);
});

test('close cancels the waiting request; minIntervalMs is validated', () => {
  const { clock, sent, throttle } = setup('pli', 200);
  throttle.request();
  throttle.request();
  throttle.close();
  clock.advance(1000);
  throttle.request();
  assert.equal(sent.length, 1);
  assert.equal(clock.pending, 0);
  assert.throws(
    () => new KeyframeThrottle({ clock, minIntervalMs: -1, senderSsrc: 1, mediaSsrc: 2, send: () => {} }),
    (e) => isItdaError(e, 'feedback_bad_option'),
  );
});
