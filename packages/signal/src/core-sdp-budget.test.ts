/**
 * The SDP budget (issue 10, hole 3): messages carrying SDP take their frame's bytes from
 * a token bucket of their own, on top of the message rate — so SDP, which costs the
 * server far more than a `ping`, is budgeted by work, not by count.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import type { ServerMessage } from '@itda/protocol';
import { resolveSignalConfig } from './config.ts';
import { coreHarness, FakeSfuBackend } from './testing.ts';

function errorsOf(sent: ServerMessage[]): string[] {
  return sent.flatMap((m) => (m.type === 'error' ? [`${m.code}/${m.ref}`] : []));
}

/** SDP-ish text of `bytes` characters that JSON does not escape (a frame is then `bytes` + ~40). */
const sdpOf = (bytes: number): string => `v=0${'x'.repeat(bytes - 3)}`;

test('publish and subscribed past the SDP budget are dropped with rate_limited naming the message, each one', () => {
  const sfu = new FakeSfuBackend();
  const h = coreHarness({ sfu, sdpBytesPerSecond: 10_000, sdpBurstBytes: 200_000 });
  h.join('c1', 'r');
  const big = sdpOf(60_000);
  for (let i = 0; i < 5; i++) h.send('c1', { type: 'publish', sdp: big, tracks: [] });
  h.send('c1', { type: 'subscribed', sdp: big, version: 1 });
  // 200,000 bytes of burst: three 60 KB messages pass; every later one is answered (once a
  // second would leave a client waiting for its `published`).
  assert.equal(sfu.callsOf('publish').length, 3);
  assert.deepEqual(errorsOf(h.out.take('c1')), [
    'rate_limited/publish',
    'rate_limited/publish',
    'rate_limited/subscribed',
  ]);
  // Cheap messages are not charged: pings still pass.
  h.send('c1', { type: 'ping' });
  assert.deepEqual(
    h.out.take('c1').map((m) => m.type),
    ['pong'],
  );
  // The budget refills at sdpBytesPerSecond: after 6 s another 60 KB fits.
  h.clock.advance(6_000);
  h.send('c1', { type: 'publish', sdp: big, tracks: [] });
  assert.equal(sfu.callsOf('publish').length, 4);
  h.core.shutdown();
});

test('frames over maxMessageBytes that the budget cannot take are dropped before decoding', () => {
  const sfu = new FakeSfuBackend();
  const h = coreHarness({ sfu, sdpBytesPerSecond: 1024, sdpBurstBytes: 200_000 });
  h.join('c1', 'r');
  const big = sdpOf(100_000); // over 64 KiB: only a publish or subscribed may be this large
  h.send('c1', { type: 'publish', sdp: big, tracks: [] });
  h.send('c1', { type: 'publish', sdp: big, tracks: [] });
  // Not JSON after its first 64 characters: had it been decoded, it would be bad_json.
  h.send('c1', `{"type":"subscribed","sdp":"${'y'.repeat(100_000)}`);
  assert.equal(sfu.callsOf('publish').length, 1);
  assert.deepEqual(errorsOf(h.out.take('c1')), ['rate_limited/publish', 'rate_limited/subscribed']);
  h.core.shutdown();
});

test('offer and answer (P2P) take from the same budget; the other participant sees nothing of the dropped ones', () => {
  const h = coreHarness({ sdpBytesPerSecond: 1024, sdpBurstBytes: 200_000 });
  h.join('c1', 'r');
  const b = h.join('c2', 'r');
  h.out.take('c1');
  const sdp = sdpOf(45_000);
  for (let i = 0; i < 5; i++) h.send('c1', { type: i % 2 === 0 ? 'offer' : 'answer', to: b.participantId, sdp });
  assert.equal(h.out.take('c2').length, 4);
  assert.deepEqual(errorsOf(h.out.take('c1')), ['rate_limited/offer']);
  h.core.shutdown();
});

test('SDP budget settings: defaults, ranges, and a burst below the largest SDP message is invalid_config', () => {
  const d = resolveSignalConfig();
  assert.equal(d.sdpBytesPerSecond, 256 * 1024);
  assert.equal(d.sdpBurstBytes, 1024 * 1024);
  // Unset, the burst grows with maxMessageBytes so the largest SDP message always fits.
  assert.equal(resolveSignalConfig({ maxMessageBytes: 1024 * 1024 }).sdpBurstBytes, 3 * 1024 * 1024);
  for (const bad of [
    { sdpBytesPerSecond: 10 },
    { sdpBurstBytes: 2 * 1024 * 1024 * 1024 },
    { sdpBurstBytes: 100_000 }, // under 3 × 64 KiB
    { sdpBurstBytes: 1024 * 1024, maxMessageBytes: 1024 * 1024 },
  ]) {
    assert.throws(
      () => resolveSignalConfig(bad),
      (err: unknown) => isItdaError(err, 'invalid_config'),
      JSON.stringify(bad),
    );
  }
});
