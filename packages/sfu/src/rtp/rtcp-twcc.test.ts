import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RtpError } from './errors.ts';
import { encodeRtcp, parseRtcp } from './rtcp.ts';
import { MAX_TRANSPORT_CC_STATUSES, type TransportCc, type TwccPacket } from './rtcp-twcc.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

function expectCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof RtpError && err.code === code);
}

/** A transport-cc packet: header, base 0, `count` statuses, reference 0, then `chunks` (hex). */
function twcc(count: number, chunks: string): Uint8Array {
  const body = hex(`00000001 00000002 0000 ${count.toString(16).padStart(4, '0')} 00000000 ${chunks}`);
  const padded = new Uint8Array(4 + ((body.length + 3) & ~3));
  padded.set(hex(`8fcd${(padded.length / 4 - 1).toString(16).padStart(4, '0')}`), 0);
  padded.set(body, 4);
  return padded;
}

test('hostile transport-cc: 65,535 statuses in 40 bytes are refused before allocation (rtcp_over_limit)', () => {
  // Eight run length chunks of 8,191 "not received" and one of 7: 65,535 statuses in 18 bytes.
  const bytes = twcc(0xffff, `${'1fff'.repeat(8)} 0007`);
  assert.ok(bytes.length <= 40);
  expectCode(() => parseRtcp(bytes), 'rtcp_over_limit');
});

test('transport-cc: a status count the chunks or deltas do not describe is rtcp_bad_length', () => {
  // 8,000 statuses announced, one chunk of 100 "not received", then the packet ends.
  expectCode(() => parseRtcp(twcc(8000, '0064')), 'rtcp_bad_length');
  // 8,000 "small delta" statuses in one run length chunk need 8,000 delta bytes; there are 2.
  expectCode(() => parseRtcp(twcc(8000, '3f40 0000')), 'rtcp_bad_length');
  // Large deltas need two bytes each.
  expectCode(() => parseRtcp(twcc(2, '4002 0001')), 'rtcp_bad_length');
});

test('transport-cc at the limit: MAX_TRANSPORT_CC_STATUSES lost packets in two run length chunks parse', () => {
  const fb = parseRtcp(twcc(MAX_TRANSPORT_CC_STATUSES, '1fff 0001'))[0] as TransportCc;
  assert.equal(fb.statusCount, MAX_TRANSPORT_CC_STATUSES);
  assert.deepEqual(fb.received, []);
  expectCode(() => parseRtcp(twcc(MAX_TRANSPORT_CC_STATUSES + 1, '1fff 0002')), 'rtcp_over_limit');
});

/** The issue 10 bomb: forty 24-byte transport-cc packets of 8,192 "not received" statuses each, 960 bytes. */
function bomb(): Uint8Array {
  const one = twcc(MAX_TRANSPORT_CC_STATUSES, '1fff 0001');
  assert.equal(one.length, 24);
  const out = new Uint8Array(40 * one.length);
  for (let i = 0; i < 40; i++) out.set(one, i * one.length);
  return out;
}

test('hostile transport-cc: 327,680 statuses in 960 bytes parse into no per-status objects', () => {
  const parsed = parseRtcp(bomb()) as TransportCc[];
  assert.equal(parsed.length, 40);
  for (const fb of parsed) {
    assert.equal(fb.statusCount, MAX_TRANSPORT_CC_STATUSES);
    assert.equal(fb.received.length, 0);
  }
});

test('objects made are bounded by bytes: every received packet costs a delta byte, a lost one nothing', () => {
  // 8,192 "small delta" statuses in two run length chunks need 8,192 delta bytes.
  const deltas = '01'.repeat(MAX_TRANSPORT_CC_STATUSES);
  const bytes = twcc(MAX_TRANSPORT_CC_STATUSES, `3fff 2001 ${deltas}`);
  const fb = parseRtcp(bytes)[0] as TransportCc;
  assert.equal(fb.received.length, MAX_TRANSPORT_CC_STATUSES);
  assert.ok(fb.received.length <= bytes.length);
  assert.equal(fb.received.at(-1)?.sequence, MAX_TRANSPORT_CC_STATUSES - 1);
  assert.ok(fb.received.every((p) => p.status === 1 && p.deltaUs === 250));
  // The reserved two-bit symbol 3 is not received and takes no delta byte.
  const reserved = parseRtcp(twcc(3, 'f400 04'))[0] as TransportCc;
  assert.deepEqual(
    reserved.received.map((p) => [p.sequence, p.status, p.deltaUs]),
    [[1, 1, 1000]],
  );
});

test('writer refuses received packets out of order or outside the range (rtcp_bad_value)', () => {
  const base = {
    type: 'twcc',
    senderSsrc: 1,
    mediaSsrc: 2,
    baseSequence: 10,
    referenceTime: 0,
    feedbackCount: 0,
  } as const;
  const p = (sequence: number): TwccPacket => ({ sequence, status: 1, deltaUs: 250 });
  expectCode(() => encodeRtcp([{ ...base, statusCount: 2, received: [p(12)] }]), 'rtcp_bad_value');
  expectCode(() => encodeRtcp([{ ...base, statusCount: 3, received: [p(11), p(10)] }]), 'rtcp_bad_value');
  expectCode(() => encodeRtcp([{ ...base, statusCount: 3, received: [p(11), p(11)] }]), 'rtcp_bad_value');
  expectCode(() => encodeRtcp([{ ...base, statusCount: 0, received: [] }]), 'rtcp_bad_value');
});

/** Feedback describing `packets` (every status; lost ones are left out of `received`). */
function feedback(packets: TwccPacket[], baseSequence = packets[0]?.sequence ?? 0): TransportCc {
  return {
    type: 'twcc',
    senderSsrc: 1,
    mediaSsrc: 2,
    baseSequence,
    referenceTime: 5,
    feedbackCount: 9,
    statusCount: packets.length,
    received: packets.filter((p) => p.status !== 0),
  };
}

function seqs(base: number, statuses: number[], delta = 1000): TwccPacket[] {
  return statuses.map((status, i) => ({
    sequence: (base + i) & 0xffff,
    status,
    deltaUs: status === 0 ? 0 : status === 1 ? delta : 100_000,
  }));
}

test('writer chooses run length chunks for long runs and one-bit vectors for small deltas', () => {
  // 100 received with small deltas, 50 lost: two run length chunks.
  const runs = feedback(seqs(10, [...Array(100).fill(1), ...Array(50).fill(0)]));
  const a = encodeRtcp([runs]);
  assert.equal(a.length, (20 + 2 * 2 + 100 + 3) & ~3);
  assert.equal(Buffer.from(a.subarray(20, 24)).toString('hex'), '2064' + '0032');
  assert.deepEqual(parseRtcp(a), [runs]);
  // Alternating received/lost, small deltas: one-bit vectors of 14.
  const alt = feedback(
    seqs(
      0xfff0,
      Array.from({ length: 28 }, (_, i) => i & 1),
    ),
  );
  const b = encodeRtcp([alt]);
  assert.equal(Buffer.from(b.subarray(20, 24)).toString('hex'), '95559555');
  assert.deepEqual(parseRtcp(b), [alt]);
  // A large delta among them forces two-bit vectors of 7.
  const mixed = feedback(seqs(0, [1, 2, 0, 1, 2, 0, 1, 1]));
  const c = encodeRtcp([mixed]);
  assert.equal(Buffer.from(c.subarray(20, 22)).toString('hex'), 'd861');
  assert.deepEqual(parseRtcp(c), [mixed]);
});

test('seeded round trip: random statuses and deltas survive write → parse exactly', () => {
  let s = 0x2545f491;
  const rand = (): number => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
  for (let round = 0; round < 300; round++) {
    const n = 1 + Math.floor(rand() * (round < 290 ? 200 : MAX_TRANSPORT_CC_STATUSES));
    const base = Math.floor(rand() * 0x10000);
    const runny = rand() < 0.5;
    let last = 1;
    const packets: TwccPacket[] = [];
    for (let i = 0; i < n; i++) {
      const status = runny && rand() < 0.9 ? last : Math.floor(rand() * 3);
      last = status;
      const deltaUs =
        status === 0 ? 0 : status === 1 ? 250 * Math.floor(rand() * 256) : 250 * (Math.floor(rand() * 0xffff) - 0x8000);
      // A "large" delta that fits 0–255 units is written as small; keep statuses consistent.
      const units = deltaUs / 250;
      packets.push({
        sequence: (base + i) & 0xffff,
        status: status === 0 ? 0 : units >= 0 && units <= 255 ? 1 : 2,
        deltaUs,
      });
    }
    const fb = feedback(packets, base);
    assert.deepEqual(parseRtcp(encodeRtcp([fb])), [fb], `round ${round}`);
  }
});

test('the writer picks the chunk Chrome picked: a capture re-encodes to the same chunk and deltas', () => {
  // Chrome's feedback (padded with the P bit): base 1, 9 received, one run length chunk 0x2009.
  const chrome = hex('afcd0007 00000001 dd586eb6 00010009 5e911000 2009 1c0c2c38000400 0818 01');
  const fb = parseRtcp(chrome)[0] as TransportCc;
  const ours = encodeRtcp([fb]);
  // Same header fields, chunk and deltas; we pad with zeros inside the length instead of the P bit.
  assert.equal(Buffer.from(ours.subarray(4, 31)).toString('hex'), Buffer.from(chrome.subarray(4, 31)).toString('hex'));
  assert.deepEqual(parseRtcp(ours), [fb]);
});
