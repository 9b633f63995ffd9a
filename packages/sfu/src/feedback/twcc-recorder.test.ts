import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import { encodeRtcp, parseRtcp, type TransportCc } from '../rtp/index.ts';
import { TwccRecorder } from './twcc-recorder.ts';

/** Encodes then parses, as a publisher would see the feedback. */
function wire(messages: TransportCc[]): TransportCc[] {
  return messages.length === 0 ? [] : (parseRtcp(encodeRtcp(messages)) as TransportCc[]);
}

interface Report {
  received: boolean;
  /** Reconstructed arrival, µs (reference time × 64 ms + deltas). */
  atUs: number;
}

/** Sequence number → what the (last) feedback said about it, in message order. */
function describe(messages: TransportCc[]): Map<number, Report> {
  const out = new Map<number, Report>();
  for (const m of messages) {
    let t = m.referenceTime * 64_000;
    for (let i = 0; i < m.statusCount; i++) out.set((m.baseSequence + i) & 0xffff, { received: false, atUs: 0 });
    let last = -1;
    for (const p of m.received) {
      const index = (p.sequence - m.baseSequence) & 0xffff;
      assert.ok(index > last && index < m.statusCount, 'received packets in order, within the range');
      last = index;
      t += p.deltaUs;
      out.set(p.sequence, { received: true, atUs: t });
    }
  }
  return out;
}

function rng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

test('property: parseTransportCc(build(x)) describes exactly x (loss, reordering, duplicates, wrap)', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const rand = rng(seed);
    const rec = new TwccRecorder({ maxStatusesPerFeedback: 1 + Math.floor(rand() * 120), maxReportAgeMs: 10_000 });
    const first = seed % 3 === 0 ? 0xffff - Math.floor(rand() * 300) : Math.floor(rand() * 0x10000); // a third wrap
    const n = 1 + Math.floor(rand() * 600);
    // Send times 0–3 ms apart; arrival = send + jitter (reordering); some lost, some duplicated.
    const arrivals: { seq: number; at: number }[] = [];
    let sendUs = 1e9 + Math.floor(rand() * 1e6);
    for (let i = 0; i < n; i++) {
      sendUs += Math.floor(rand() * 3000);
      if (rand() < 0.15) continue;
      const at = sendUs + Math.floor(rand() * (rand() < 0.1 ? 80_000 : 2000));
      arrivals.push({ seq: (first + i) & 0xffff, at });
      if (rand() < 0.03) arrivals.push({ seq: (first + i) & 0xffff, at: at + 5000 });
    }
    arrivals.sort((a, b) => a.at - b.at);
    const truth = new Map<number, number>();
    for (const a of arrivals) {
      rec.record(a.seq, a.at);
      if (!truth.has(a.seq)) truth.set(a.seq, a.at);
    }
    const nowMs = (arrivals.at(-1)?.at ?? 0) / 1000;
    let messages: TransportCc[] = [];
    for (let i = 0; i < 1000; i++) {
      const batch = wire(rec.buildFeedback(1, 2, nowMs));
      if (batch.length === 0) break;
      messages = messages.concat(batch);
    }
    if (truth.size === 0) {
      assert.deepEqual(messages, []);
      continue;
    }
    // The messages are consecutive, numbered 0, 1, ... and cover [lowest, highest] received exactly.
    messages.forEach((m, i) => {
      assert.equal(m.feedbackCount, i & 0xff);
      assert.ok(m.statusCount >= 1);
      const next = messages[i + 1];
      if (next) assert.equal(next.baseSequence, (m.baseSequence + m.statusCount) & 0xffff);
    });
    const described = describe(messages);
    const unwrapped = [...truth.keys()].map((s) => (s - first) & 0xffff);
    const lo = Math.min(...unwrapped);
    const hi = Math.max(...unwrapped);
    assert.equal(messages[0]?.baseSequence, (first + lo) & 0xffff, `seed ${seed}`);
    assert.equal(described.size, hi - lo + 1, `seed ${seed}`);
    for (let k = lo; k <= hi; k++) {
      const seq = (first + k) & 0xffff;
      const at = truth.get(seq);
      const r = described.get(seq);
      assert.ok(r, `seed ${seed}: seq ${seq} described`);
      assert.equal(r.received, at !== undefined, `seed ${seed}: seq ${seq} status`);
      if (at !== undefined) assert.ok(Math.abs(r.atUs - at) <= 125, `seed ${seed}: seq ${seq} ${r.atUs} vs ${at}`);
    }
    assert.equal(rec.received, truth.size);
    // Nothing new: no feedback.
    assert.deepEqual(rec.buildFeedback(1, 2, 0), []);
  }
});

test('periodic feedback: each covers what arrived since the last; a late packet is reported again', () => {
  const rec = new TwccRecorder();
  const t0 = 5_000_000;
  rec.record(10, t0);
  rec.record(11, t0 + 1000);
  rec.record(13, t0 + 3000); // 12 is late
  const [a] = wire(rec.buildFeedback(7, 0x1234, t0 / 1000 + 100)) as [TransportCc];
  assert.equal(a.senderSsrc, 7);
  assert.equal(a.mediaSsrc, 0x1234);
  assert.equal(a.baseSequence, 10);
  assert.equal(a.referenceTime, Math.floor(t0 / 64_000));
  assert.equal(a.statusCount, 4);
  assert.deepEqual(
    a.received.map((p) => [p.sequence, p.status, p.deltaUs]),
    [
      [10, 1, t0 - Math.floor(t0 / 64_000) * 64_000],
      [11, 1, 1000],
      [13, 1, 2000],
    ],
  );
  rec.record(12, t0 + 90_000); // arrives 87 ms after 13: a large negative-then-positive pair
  rec.record(14, t0 + 4000);
  const [b] = wire(rec.buildFeedback(7, 0x1234, t0 / 1000 + 200)) as [TransportCc];
  assert.equal(b.feedbackCount, 1);
  assert.equal(b.baseSequence, 12);
  assert.deepEqual(
    b.received.map((p) => [p.sequence, p.status]),
    [
      [12, 1],
      [13, 2],
      [14, 1],
    ],
  );
  assert.equal(b.received[1]?.deltaUs, -87_000); // 13 arrived before 12: negative, two bytes
  assert.equal(rec.late, 1);
  assert.deepEqual(rec.buildFeedback(7, 0x1234, t0 / 1000 + 300), []);
});

test('sequence wrap-around 65535 → 0 and the feedback packet count wrap 255 → 0', () => {
  const rec = new TwccRecorder({ maxStatusesPerFeedback: 1 });
  for (let i = 0; i < 300; i++) rec.record((0xff00 + i) & 0xffff, 1_000_000 + i * 100);
  const messages = wire(rec.buildFeedback(1, 2, 1000));
  assert.equal(messages.length, 8); // maxMessagesPerBuild
  let all: TransportCc[] = messages;
  for (let i = 0; i < 60; i++) all = all.concat(wire(rec.buildFeedback(1, 2, 1000)));
  assert.equal(all.length, 300);
  assert.deepEqual(all.map((m) => m.baseSequence).slice(254, 258), [0xfffe, 0xffff, 0, 1]);
  assert.deepEqual(all.map((m) => m.feedbackCount).slice(254, 258), [254, 255, 0, 1]);
  assert.equal(rec.messages, 300);
});

test('a gap over 8.19 s starts a new message with its own reference time; old arrivals are not re-reported', () => {
  const rec = new TwccRecorder();
  rec.record(1, 1_000_000);
  rec.record(2, 11_000_000); // 10 s later: does not fit a 16-bit delta
  const messages = wire(rec.buildFeedback(1, 2, 11_000));
  // The first packet is older than maxReportAgeMs (500 ms) at now = 11 s: only packet 2 is reported.
  assert.equal(messages.length, 1);
  assert.equal(messages[0]?.baseSequence, 2);
  const rec2 = new TwccRecorder({ maxReportAgeMs: 10_000 });
  rec2.record(1, 1_000_000);
  rec2.record(2, 11_000_000);
  const both = wire(rec2.buildFeedback(1, 2, 11_000));
  assert.equal(both.length, 2);
  assert.equal(both[0]?.referenceTime, Math.floor(1_000_000 / 64_000));
  assert.equal(both[1]?.referenceTime, Math.floor(11_000_000 / 64_000));
  assert.deepEqual(
    both.map((m) => m.statusCount),
    [1, 1],
  );
});

test('duplicates keep the first arrival; packets behind the history are counted, not recorded', () => {
  const rec = new TwccRecorder({ historySlots: 256 });
  rec.record(1000, 2_000_000);
  rec.record(1000, 2_050_000);
  assert.equal(rec.duplicates, 1);
  rec.record(1000 + 300, 2_001_000);
  rec.record(1000 + 300 - 256, 2_002_000); // exactly one history behind: too old
  assert.equal(rec.tooOld, 1);
  const messages = wire(rec.buildFeedback(1, 2, 2_002));
  const d = describe(messages);
  assert.equal(d.size, 256); // the history window, not 301 statuses
  assert.equal(d.get(1300)?.received, true);
  assert.equal(d.get(1000), undefined);
});

test('a long loss run is encoded as run length chunks and the message stays small', () => {
  const rec = new TwccRecorder();
  rec.record(0, 3_000_000);
  rec.record(400, 3_100_000);
  const [m] = rec.buildFeedback(1, 2, 3_100);
  assert.ok(m);
  assert.equal(m.statusCount, 401);
  assert.equal(m.received.length, 2);
  assert.ok(encodeRtcp([m]).length <= 32);
});

test('options are validated', () => {
  assert.throws(
    () => new TwccRecorder({ historySlots: 1000 }),
    (e) => isItdaError(e, 'feedback_bad_option'),
  );
  assert.throws(
    () => new TwccRecorder({ maxStatusesPerFeedback: 0 }),
    (e) => isItdaError(e, 'feedback_bad_option'),
  );
  assert.throws(
    () => new TwccRecorder({ maxStatusesPerFeedback: 9000 }),
    (e) => isItdaError(e, 'feedback_bad_option'),
  );
});
