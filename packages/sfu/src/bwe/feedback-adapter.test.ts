/**
 * Sent history + feedback adapter against the SFU's own transport-cc writer (TwccRecorder,
 * the receive side): what a receiver reports comes back as the packets that were sent,
 * with their arrival times and losses, across 16-bit sequence and 24-bit reference wraps.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TwccRecorder } from '../feedback/index.ts';
import { encodeRtcp, parseRtcp, type TransportCc } from '../rtp/index.ts';
import { FeedbackAdapter } from './feedback-adapter.ts';
import { SENT_HISTORY_SLOTS, SentHistory } from './sent-history.ts';

/** Through the wire format, as a subscriber's feedback would come. */
const viaWire = (fb: TransportCc): TransportCc => parseRtcp(encodeRtcp([fb]))[0] as TransportCc;

test('sent packets come back with their send times, sizes, arrivals (to 250 µs) and losses', () => {
  const history = new SentHistory();
  const adapter = new FeedbackAdapter(history);
  const recorder = new TwccRecorder();
  const arrivals = new Map<number, number>();
  for (let i = 0; i < 50; i++) {
    const seq = history.record(1000 + i, 10_000 + i * 5);
    if (i % 10 === 3) continue; // lost
    const arrivalMs = 20_000 + i * 5 + (i % 4) * 0.5;
    arrivals.set(seq, arrivalMs);
    recorder.record(seq, Math.round(arrivalMs * 1000));
  }
  const results = recorder.buildFeedback(1, 2, 20_300).flatMap((fb) => adapter.results(viaWire(fb)));
  assert.equal(results.length, 50);
  const first = results.find((r) => r.arrivalMs !== undefined);
  for (const r of results) {
    assert.equal(r.sendMs, 10_000 + r.seq * 5);
    assert.equal(r.size, 1000 + r.seq);
    if (r.seq % 10 === 3) {
      assert.equal(r.arrivalMs, undefined, `${r.seq} lost`);
      continue;
    }
    // Arrival times are on the receiver's clock: compare differences.
    const want = (arrivals.get(r.seq) as number) - (arrivals.get(first?.seq as number) as number);
    const got = (r.arrivalMs as number) - (first?.arrivalMs as number);
    assert.ok(Math.abs(got - want) <= 0.25, `${r.seq}: ${got} vs ${want}`);
  }
});

test('across the 16-bit wrap of transport sequence numbers', () => {
  const history = new SentHistory();
  for (let i = 0; i < 65_530; i++) history.record(100, i);
  const adapter = new FeedbackAdapter(history);
  const recorder = new TwccRecorder();
  for (let i = 0; i < 12; i++) {
    const seq = history.record(500, 70_000 + i);
    recorder.record(seq, (90_000 + i) * 1000);
  }
  const results = recorder.buildFeedback(1, 2, 90_050).flatMap((fb) => adapter.results(viaWire(fb)));
  assert.deepEqual(
    results.map((r) => r.seq),
    Array.from({ length: 12 }, (_, i) => 65_530 + i),
  );
  assert.ok(results.every((r) => r.size === 500 && r.arrivalMs !== undefined));
});

test('a status for a packet the history no longer holds is skipped and counted', () => {
  const history = new SentHistory();
  const adapter = new FeedbackAdapter(history);
  for (let i = 0; i < SENT_HISTORY_SLOTS + 10; i++) history.record(100, i);
  const fb: TransportCc = {
    type: 'twcc',
    senderSsrc: 1,
    mediaSsrc: 2,
    baseSequence: 0,
    referenceTime: 0,
    feedbackCount: 0,
    statusCount: 20,
    received: Array.from({ length: 20 }, (_, i) => ({ sequence: i, status: 1, deltaUs: 1000 })),
  };
  const results = adapter.results(fb);
  // Packets 0–9 were written over by 2048–2057; 10–19 are still held.
  assert.deepEqual(
    results.map((r) => r.seq),
    Array.from({ length: 10 }, (_, i) => 10 + i),
  );
  assert.equal(adapter.unmatched, 10);
});

test('the 24-bit reference time wraps without arrival times jumping back', () => {
  const history = new SentHistory();
  const adapter = new FeedbackAdapter(history);
  history.record(100, 0);
  history.record(100, 64);
  const fb = (seq: number, ref: number): TransportCc => ({
    type: 'twcc',
    senderSsrc: 1,
    mediaSsrc: 2,
    baseSequence: seq,
    referenceTime: ref,
    feedbackCount: seq,
    statusCount: 1,
    received: [{ sequence: seq, status: 1, deltaUs: 0 }],
  });
  const [a] = adapter.results(fb(0, (1 << 24) - 1));
  const [b] = adapter.results(fb(1, 0));
  assert.equal((b?.arrivalMs as number) - (a?.arrivalMs as number), 64);
});

test('a message claiming 8,192 statuses costs at most the history, whatever its range', () => {
  const history = new SentHistory();
  for (let i = 0; i < 5000; i++) history.record(100, i);
  const adapter = new FeedbackAdapter(history);
  const claim = (baseSequence: number): TransportCc => ({
    type: 'twcc',
    senderSsrc: 1,
    mediaSsrc: 2,
    baseSequence,
    referenceTime: 0,
    feedbackCount: 0,
    statusCount: 8192,
    received: [],
  });
  // From the last packet sent on: one status is real, the rest are packets never sent.
  assert.equal(adapter.results(claim(4999)).length, 1);
  // From long ago: only the 2,048 the history holds are visited.
  assert.equal(adapter.results(claim(0)).length, SENT_HISTORY_SLOTS);
  assert.equal(adapter.unmatched, 8191 + (8192 - SENT_HISTORY_SLOTS));
});
