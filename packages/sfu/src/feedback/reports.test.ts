import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import { encodeRtcp, parseRtcp, type ReceiverReport, type SenderReport } from '../rtp/index.ts';
import { ReceiveStats } from './receive-stats.ts';
import { buildConsumerSenderReport } from './sender-report.ts';

test('RFC 3550 A.1: probation — the first packet is not counted; the base is the second', () => {
  const s = new ReceiveStats({ ssrc: 7, clockRate: 90_000 });
  assert.equal(s.reportBlock(0), undefined);
  assert.equal(s.update(100, 0, 0), false);
  assert.equal(s.update(101, 3000, 33), true);
  assert.equal(s.received, 1);
  assert.equal(s.expected, 1);
  assert.equal(s.extendedHighest, 101);
  // Out-of-sequence packet during probation restarts it.
  const t = new ReceiveStats({ ssrc: 7, clockRate: 90_000 });
  t.update(100, 0, 0);
  assert.equal(t.update(105, 0, 0), false);
  assert.equal(t.update(106, 0, 0), true);
  assert.equal(t.extendedHighest, 106);
});

test('RFC 3550 A.1/A.3: wrap at 65535 counts a cycle; loss, fraction lost per interval', () => {
  const s = new ReceiveStats({ ssrc: 7, clockRate: 90_000 });
  let seq = 65_500;
  let received = 0;
  for (let i = 0; i < 200; i++, seq = (seq + 1) & 0xffff) {
    if (i >= 2 && i % 10 === 0) continue; // lose one in ten (after probation)
    s.update(seq, i * 3000, i * 33);
    received++;
  }
  assert.equal(s.cycles, 65_536);
  assert.equal(s.extendedHighest, 65_536 + ((65_500 + 199) & 0xffff));
  assert.equal(s.expected, 199); // base is the second packet
  assert.equal(s.received, received - 1);
  assert.equal(s.lost, 19);
  const first = s.reportBlock(10_000);
  assert.ok(first);
  assert.equal(first.cumulativeLost, 19);
  assert.equal(first.fractionLost, Math.floor((19 * 256) / 199));
  assert.equal(first.highestSequence, 65_536 + 163);
  // Next interval: 10 expected, 5 lost.
  for (let i = 0; i < 10; i++, seq = (seq + 1) & 0xffff) if (i % 2 === 1) s.update(seq, 0, 0);
  const second = s.reportBlock(11_000);
  assert.equal(second?.fractionLost, 128);
  assert.equal(second?.cumulativeLost, 24);
  // Nothing since: fraction 0.
  assert.equal(s.reportBlock(12_000)?.fractionLost, 0);
});

test('RFC 3550 A.1: duplicates count as received (lost goes negative); a jump restarts only when confirmed', () => {
  const s = new ReceiveStats({ ssrc: 7, clockRate: 48_000 });
  for (let q = 10; q < 20; q++) s.update(q, 0, 0);
  s.update(15, 0, 0); // duplicate, within MAX_MISORDER
  assert.equal(s.lost, -1);
  assert.equal(s.reportBlock(0)?.cumulativeLost, -1);
  assert.equal(s.update(40_000, 0, 0), false); // jump: not counted
  assert.equal(s.extendedHighest, 19);
  assert.equal(s.update(40_001, 0, 0), true); // confirmed: the source restarted
  assert.equal(s.extendedHighest, 40_001);
  assert.equal(s.expected, 1);
  assert.equal(s.received, 1);
});

test('RFC 3550 A.8: interarrival jitter in timestamp units; zero for a steady stream; 32-bit timestamp wrap', () => {
  const steady = new ReceiveStats({ ssrc: 1, clockRate: 90_000 });
  for (let i = 0; i < 100; i++) steady.update(i, (0xffff0000 + i * 3000) >>> 0, 1000 + (i * 100) / 3);
  assert.ok(steady.jitter < 1e-6, `jitter ${steady.jitter}`);
  // Alternating 0 / 10 ms late: |D| = 900 units every packet after the first pair.
  const bumpy = new ReceiveStats({ ssrc: 1, clockRate: 90_000 });
  let j = 0;
  for (let i = 0; i < 200; i++) {
    bumpy.update(i, i * 3000, i * 33.333_333_333_333_336 + (i % 2) * 10);
    if (i >= 2) j += (900 - j) / 16;
  }
  assert.ok(Math.abs(bumpy.jitter - j) < 0.01, `${bumpy.jitter} vs ${j}`);
  assert.equal(bumpy.reportBlock(0)?.jitter, Math.floor(j));
});

test('LSR is the middle 32 bits of the SR NTP timestamp; DLSR in 1/65536 s; the block encodes', () => {
  const s = new ReceiveStats({ ssrc: 0x1234, clockRate: 90_000 });
  s.update(1, 0, 0);
  s.update(2, 0, 0);
  const sr: SenderReport = {
    type: 'sr',
    ssrc: 0x1234,
    ntpSeconds: 0x12345678,
    ntpFraction: 0x9abcdef0,
    rtpTimestamp: 5,
    packetCount: 1,
    octetCount: 2,
    reports: [],
  };
  s.onSenderReport(sr, 10_000);
  const block = s.reportBlock(11_500);
  assert.ok(block);
  assert.equal(block.lastSr, 0x56789abc);
  assert.equal(block.delaySinceLastSr, 98_304); // 1.5 s
  const rr: ReceiverReport = { type: 'rr', ssrc: 99, reports: [block] };
  assert.deepEqual(parseRtcp(encodeRtcp([rr])), [rr]);
  assert.throws(
    () => new ReceiveStats({ ssrc: 1, clockRate: 0 }),
    (e) => isItdaError(e, 'feedback_bad_option'),
  );
});

test('consumer SR: the producer mapping moved to now and through the timestamp offset; own counts', () => {
  const producerSr = {
    ntpSeconds: 0xe0000000,
    ntpFraction: 0xc0000000, // .75 s
    rtpTimestamp: 0xffffff00,
    packetCount: 999,
    octetCount: 999,
    receivedAtMs: 50_000,
  };
  assert.equal(
    buildConsumerSenderReport({
      ssrc: 1,
      producerSr: undefined,
      clockRate: 90_000,
      packetCount: 0,
      octetCount: 0,
      nowMs: 0,
    }),
    undefined,
  );
  const sr = buildConsumerSenderReport({
    ssrc: 0xabcdef01,
    producerSr,
    clockRate: 90_000,
    timestampOffset: 1000,
    packetCount: 42,
    octetCount: 4200,
    nowMs: 50_500, // 0.5 s later: NTP .75 + .5 = 1.25 → carry one second
  });
  assert.ok(sr);
  assert.equal(sr.ssrc, 0xabcdef01);
  assert.equal(sr.ntpSeconds, 0xe0000001);
  assert.equal(sr.ntpFraction, 0x40000000);
  assert.equal(sr.rtpTimestamp, (0xffffff00 + 45_000 + 1000) % 2 ** 32);
  assert.equal(sr.packetCount, 42);
  assert.equal(sr.octetCount, 4200);
  assert.deepEqual(parseRtcp(encodeRtcp([sr])), [sr]);
  // A negative offset and a clock before the SR's arrival.
  const back = buildConsumerSenderReport({
    ssrc: 1,
    producerSr,
    clockRate: 48_000,
    timestampOffset: -0x100,
    packetCount: 0,
    octetCount: 0,
    nowMs: 49_000,
  });
  assert.equal(back?.rtpTimestamp, 0xfffffe00);
  assert.equal(back?.ntpSeconds, 0xe0000000);
});
