import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError, ManualClock } from '@itda/common';
import { RtpPacketView } from '../rtp/index.ts';
import { NackResponder } from './nack-responder.ts';
import { RetransmissionBuffer, writeRtx } from './retransmission-buffer.ts';

/** An RTP packet: PT 96, SSRC 0x11223344, timestamp 0xabcdef01, `payload` bytes of `seq & 0xff`. */
function rtp(
  seq: number,
  payload = 20,
  extras: { padding?: number; csrcs?: number; marker?: boolean } = {},
): Uint8Array {
  const csrcs = extras.csrcs ?? 0;
  const padding = extras.padding ?? 0;
  const header = 12 + 4 * csrcs;
  const p = new Uint8Array(header + payload + padding);
  p[0] = 0x80 | (padding ? 0x20 : 0) | csrcs;
  p[1] = (extras.marker ? 0x80 : 0) | 96;
  p[2] = (seq >> 8) & 0xff;
  p[3] = seq & 0xff;
  p.set([0xab, 0xcd, 0xef, 0x01, 0x11, 0x22, 0x33, 0x44], 4);
  for (let i = 0; i < csrcs; i++) p[12 + 4 * i + 3] = i + 1;
  p.fill(seq & 0xff, header, header + payload);
  if (padding) p[p.length - 1] = padding;
  return p;
}

test('stores copies by sequence number and returns them until overwritten or too old', () => {
  const clock = new ManualClock(1000);
  const buf = new RetransmissionBuffer({ slots: 16, clock });
  const a = rtp(5);
  assert.equal(buf.store(a), true);
  a.fill(0); // the buffer kept a copy
  assert.deepEqual(buf.get(5, clock.now()), rtp(5));
  assert.equal(buf.get(6, clock.now()), undefined);
  buf.store(rtp(5 + 16)); // same slot
  assert.equal(buf.get(5, clock.now()), undefined);
  assert.deepEqual(buf.get(21, clock.now()), rtp(21));
  assert.deepEqual(buf.get(21, clock.now() + 1000), rtp(21)); // exactly maxAgeMs old: still answered
  assert.equal(buf.get(21, clock.now() + 1001), undefined);
  assert.equal(buf.misses, 2);
  assert.equal(buf.expired, 1);
  assert.equal(buf.stored, 2);
});

test('sequence wrap-around: 65535 and 0 live in different slots; old packets beyond the ring are gone', () => {
  const clock = new ManualClock(0);
  const buf = new RetransmissionBuffer({ slots: 1024, clock });
  for (let i = 0; i < 2000; i++) buf.store(rtp((64_000 + i) & 0xffff, 10));
  assert.deepEqual(buf.get(0xffff, 0), rtp(0xffff, 10));
  assert.deepEqual(buf.get(0, 0), rtp(0, 10));
  assert.deepEqual(buf.get((64_000 + 1999) & 0xffff, 0), rtp((64_000 + 1999) & 0xffff, 10));
  assert.equal(buf.get((64_000 + 975) & 0xffff, 0), undefined); // 1024 behind: overwritten
  assert.deepEqual(buf.get((64_000 + 976) & 0xffff, 0), rtp((64_000 + 976) & 0xffff, 10));
  buf.clear();
  assert.equal(buf.get(0, 0), undefined);
});

test('packets over maxPacketSize or under an RTP header are not stored, and counted', () => {
  const buf = new RetransmissionBuffer({ clock: new ManualClock() });
  assert.equal(buf.store(new Uint8Array(1501)), false);
  assert.equal(buf.store(new Uint8Array(11)), false);
  assert.equal(buf.store(rtp(1, 1500 - 12)), true);
  assert.equal(buf.oversize, 2);
  assert.throws(
    () => new RetransmissionBuffer({ slots: 1000 }),
    (e) => isItdaError(e, 'feedback_bad_option'),
  );
  assert.throws(
    () => new RetransmissionBuffer({ maxPacketSize: 1501 }),
    (e) => isItdaError(e, 'feedback_bad_option'),
  );
});

test('writeRtx: RFC 4588 §4 — RTX SSRC, PT and sequence, OSN first, payload without padding', () => {
  const original = rtp(0x1234, 30, { csrcs: 2, padding: 4, marker: true });
  const out = new Uint8Array(1500);
  const n = writeRtx(original, 0xdeadbeef, 97, 7, out);
  assert.equal(n, original.length - 4 + 2);
  const v = new RtpPacketView().parse(out, 0, n);
  assert.equal(v.ssrc, 0xdeadbeef);
  assert.equal(v.payloadType, 97);
  assert.equal(v.sequenceNumber, 7);
  assert.equal(v.timestamp, 0xabcdef01);
  assert.equal(v.marker, true);
  assert.equal(v.padding, false);
  assert.equal(v.csrcCount, 2);
  assert.equal(v.csrc(1), 2);
  assert.equal(v.payloadLength, 32);
  assert.deepEqual([...out.subarray(v.payloadOffset, v.payloadOffset + 2)], [0x12, 0x34]);
  assert.ok(out.subarray(v.payloadOffset + 2, n).every((b) => b === 0x34));
  assert.throws(
    () => writeRtx(original, 1, 97, 7, new Uint8Array(20)),
    (e) => isItdaError(e, 'feedback_bad_option'),
  );
  assert.throws(
    () => writeRtx(new Uint8Array(5), 1, 97, 7, out),
    (e) => isItdaError(e, 'rtp_too_short'),
  );
});

test('NackResponder: resends what the buffer has, once per interval per packet, capped per NACK', () => {
  const clock = new ManualClock(0);
  const buf = new RetransmissionBuffer({ clock });
  for (let s = 0xfff0; s <= 0x1000f; s++) buf.store(rtp(s & 0xffff));
  const nack = new NackResponder(buf, { maxPacketsPerNack: 4 });
  const sent: number[] = [];
  const send = (p: Uint8Array, seq: number): void => {
    assert.equal(((p[2] as number) << 8) | (p[3] as number), seq);
    sent.push(seq);
  };
  assert.equal(nack.respond([0xfffe, 0xffff, 0, 0x20], 10, send), 3);
  assert.deepEqual(sent, [0xfffe, 0xffff, 0]);
  assert.equal(nack.missing, 1);
  // The same packets within 100 ms: throttled.
  assert.equal(nack.respond([0xffff, 0], 60, send), 0);
  assert.equal(nack.throttled, 2);
  // After the interval they go again.
  assert.equal(nack.respond([0xffff, 0], 110, send), 2);
  // Cap: 4 per NACK, the rest counted.
  assert.equal(nack.respond([1, 2, 3, 4, 5, 6, 7], 120, send), 4);
  assert.equal(nack.overLimit, 3);
  assert.equal(nack.resent, 9);
  assert.equal(nack.requested, 15);
  // Packets older than the buffer's maxAgeMs (1 s) are not resent.
  assert.equal(nack.respond([8], 2000, send), 0);
  assert.equal(buf.expired, 1);
});

test('NackResponder: a hostile NACK of 65,536 sequence numbers does bounded work', () => {
  const buf = new RetransmissionBuffer({ clock: new ManualClock() });
  for (let s = 0; s < 1024; s++) buf.store(rtp(s));
  const nack = new NackResponder(buf);
  let sent = 0;
  const all = Array.from({ length: 0x10000 }, (_, i) => i);
  assert.equal(
    nack.respond(all, 0, () => sent++),
    64,
  );
  assert.equal(sent, 64);
  assert.equal(nack.overLimit, 0x10000 - 64);
});
