import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RtpError } from './errors.ts';
import { encodeRtcp, parseRtcp, type RtcpPacket, rewriteRtcpSsrcs } from './rtcp.ts';
import { nackPairToSequences, sequencesToNackPairs } from './rtcp-feedback.ts';
import { RtcpReader } from './rtcp-reader.ts';
import { cnameOf, type SourceDescription } from './rtcp-reports.ts';
import type { TransportCc } from './rtcp-twcc.ts';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function expectCode(fn: () => unknown, code: string): void {
  assert.throws(fn, (err: unknown) => err instanceof RtpError && err.code === code);
}

const RR = hex('81c90007 902f9e2e bc5e9a40 00000000 000046e1 00000111 09f36432 00024a79');
// A Chrome SR without report blocks followed by its SDES CNAME, as one compound datagram.
const CHROME_SR_SDES = hex(
  '80c80006 2b7ec0c5 e020a2a9 52a53fc0 2e48a552 00000046 0000121d' +
    ' 81ca0006 2b7ec0c5 0110 4c6349667a586f6e446f726453655736 0000',
);
// REMB sent by Chrome watching a 6 Mbit/s stream: exp 6, mantissa 139487.
const CHROME_REMB = hex('8fce0005 00000001 00000000 52454d42 011a20df 4874ed16');
// transport-cc feedback from Chrome (padded, P bit): base 1, 9 packets, run-length chunk.
const CHROME_TWCC = hex('afcd0007 00000001 dd586eb6 00010009 5e911000 2009 1c0c2c38000400 0818 01');

test('receiver report with one block', () => {
  const [rr] = parseRtcp(RR);
  assert.deepEqual(rr, {
    type: 'rr',
    ssrc: 0x902f9e2e,
    reports: [
      {
        ssrc: 0xbc5e9a40,
        fractionLost: 0,
        cumulativeLost: 0,
        highestSequence: 0x46e1,
        jitter: 273,
        lastSr: 0x9f36432,
        delaySinceLastSr: 150137,
      },
    ],
  });
  assert.equal(toHex(encodeRtcp([rr as RtcpPacket])), toHex(RR));
});

test('Chrome SR + SDES compound: parsed and re-encoded byte for byte', () => {
  const packets = parseRtcp(CHROME_SR_SDES);
  assert.equal(packets.length, 2);
  assert.deepEqual(packets[0], {
    type: 'sr',
    ssrc: 0x2b7ec0c5,
    ntpSeconds: 0xe020a2a9,
    ntpFraction: 0x52a53fc0,
    rtpTimestamp: 0x2e48a552,
    packetCount: 70,
    octetCount: 4637,
    reports: [],
  });
  assert.equal(cnameOf(packets[1] as SourceDescription), 'LcIfzXonDordSeW6');
  assert.equal(toHex(encodeRtcp(packets)), toHex(CHROME_SR_SDES));
});

test('REMB from Chrome', () => {
  const [remb] = parseRtcp(CHROME_REMB);
  assert.deepEqual(remb, { type: 'remb', senderSsrc: 1, bitrate: 8927168, ssrcs: [1215622422] });
  assert.equal(toHex(encodeRtcp([remb as RtcpPacket])), toHex(CHROME_REMB));
  // Bitrates that need more than 18 bits of mantissa round down.
  const [big] = parseRtcp(encodeRtcp([{ type: 'remb', senderSsrc: 1, bitrate: 8927167, ssrcs: [] }]));
  assert.equal((big as { bitrate: number }).bitrate, 8927104);
});

test('transport-cc feedback from Chrome', () => {
  const [fb] = parseRtcp(CHROME_TWCC) as [TransportCc];
  assert.equal(fb.type, 'twcc');
  assert.equal(fb.senderSsrc, 1);
  assert.equal(fb.mediaSsrc, 0xdd586eb6);
  assert.equal(fb.baseSequence, 1);
  assert.equal(fb.referenceTime, 6197520);
  assert.equal(fb.feedbackCount, 0);
  assert.equal(fb.statusCount, 9);
  assert.deepEqual(
    fb.received.map((p) => p.deltaUs / 1000),
    [7, 3, 11, 14, 0, 1, 0, 2, 6],
  );
  assert.deepEqual(
    fb.received.map((p) => p.sequence),
    [1, 2, 3, 4, 5, 6, 7, 8, 9],
  );
  assert.ok(fb.received.every((p) => p.status === 1));
});

test('transport-cc round trip: lost packets, large and negative deltas, sequence wrap', () => {
  const fb: TransportCc = {
    type: 'twcc',
    senderSsrc: 7,
    mediaSsrc: 9,
    baseSequence: 0xfffe,
    referenceTime: -2,
    feedbackCount: 200,
    statusCount: 8,
    received: [
      { sequence: 0xfffe, status: 1, deltaUs: 250 },
      { sequence: 0, status: 2, deltaUs: 100_000 },
      { sequence: 1, status: 2, deltaUs: -500 },
      { sequence: 2, status: 1, deltaUs: 0 },
      { sequence: 4, status: 1, deltaUs: 63_750 },
      { sequence: 5, status: 1, deltaUs: 1000 },
    ],
  };
  const bytes = encodeRtcp([fb]);
  assert.equal(bytes.length % 4, 0);
  assert.deepEqual(parseRtcp(bytes), [fb]);
  expectCode(
    () => encodeRtcp([{ ...fb, received: [{ sequence: 0, status: 2, deltaUs: 10_000_000 }] }]),
    'rtcp_bad_value',
  );
  expectCode(() => encodeRtcp([{ ...fb, statusCount: 0, received: [] }]), 'rtcp_bad_value');
});

test('generic NACK: PID + BLP to sequence numbers and back (RFC 4585 §6.2.1)', () => {
  assert.deepEqual(nackPairToSequences(0xaaa, 0b101), [0xaaa, 0xaab, 0xaad]);
  assert.deepEqual(nackPairToSequences(0xfffe, 0x8001), [0xfffe, 0xffff, 14]);
  assert.deepEqual(sequencesToNackPairs([0xfffe, 0xffff, 14, 16, 16]), [0xfffe, 0x8001, 16, 0]);
  assert.deepEqual(sequencesToNackPairs([]), []);
  const nack: RtcpPacket = { type: 'nack', senderSsrc: 1, mediaSsrc: 2, sequences: [100, 101, 116, 117, 300] };
  const bytes = encodeRtcp([nack]);
  assert.equal(toHex(bytes), '8 1cd0005 00000001 00000002 0064 8001 0075 0000 012c 0000'.replace(/\s/g, ''));
  assert.deepEqual(parseRtcp(bytes), [nack]);
  expectCode(() => encodeRtcp([{ type: 'nack', senderSsrc: 1, mediaSsrc: 2, sequences: [] }]), 'rtcp_bad_value');
});

test('PLI, FIR, BYE, SDES and unknown packets round-trip', () => {
  const packets: RtcpPacket[] = [
    { type: 'rr', ssrc: 1, reports: [] },
    { type: 'pli', senderSsrc: 1, mediaSsrc: 0x4bc4fcb4 },
    {
      type: 'fir',
      senderSsrc: 1,
      mediaSsrc: 0,
      entries: [
        { ssrc: 0x12345678, sequence: 0x42 },
        { ssrc: 5, sequence: 255 },
      ],
    },
    {
      type: 'sdes',
      chunks: [
        { ssrc: 1, items: [{ type: 1, text: 'abcd' }] },
        {
          ssrc: 2,
          items: [
            { type: 1, text: 'ünï' },
            { type: 6, text: 'itda' },
          ],
        },
      ],
    },
    { type: 'unknown', packetType: 204, count: 3, bytes: hex('83cc0002 00000001 6e616d65') },
    { type: 'bye', ssrcs: [1, 2], reason: 'bye now' },
  ];
  const bytes = encodeRtcp(packets);
  assert.equal(toHex(bytes.subarray(8, 20)), '81ce0002000000014bc4fcb4');
  assert.equal(toHex(bytes.subarray(20, 48)), '84ce000600000001000000001234567842000000' + '00000005ff000000');
  assert.deepEqual(parseRtcp(bytes), packets);
  assert.deepEqual(parseRtcp(encodeRtcp([{ type: 'bye', ssrcs: [] }])), [{ type: 'bye', ssrcs: [] }]);
});

test('report blocks: negative cumulative loss (24-bit signed) and 31-block limit', () => {
  const block = {
    ssrc: 3,
    fractionLost: 128,
    cumulativeLost: -5,
    highestSequence: 0x1_0005,
    jitter: 9,
    lastSr: 1,
    delaySinceLastSr: 2,
  };
  const sr: RtcpPacket = {
    type: 'sr',
    ssrc: 1,
    ntpSeconds: 0xffffffff,
    ntpFraction: 1,
    rtpTimestamp: 2,
    packetCount: 3,
    octetCount: 4,
    reports: [block, { ...block, cumulativeLost: 0x7fffff }],
  };
  assert.deepEqual(parseRtcp(encodeRtcp([sr])), [sr]);
  expectCode(
    () => encodeRtcp([{ type: 'rr', ssrc: 1, reports: Array.from({ length: 32 }, () => block) }]),
    'rtcp_bad_value',
  );
  expectCode(
    () => encodeRtcp([{ type: 'sdes', chunks: [{ ssrc: 1, items: [{ type: 1, text: 'x'.repeat(256) }] }] }]),
    'rtcp_bad_value',
  );
  expectCode(() => encodeRtcp([{ type: 'bye', ssrcs: [], reason: 'x'.repeat(256) }]), 'rtcp_bad_value');
  expectCode(
    () => encodeRtcp([{ type: 'unknown', packetType: 204, count: 0, bytes: new Uint8Array(5) }]),
    'rtcp_bad_value',
  );
});

test('framing errors: every RTCP error code', () => {
  expectCode(() => parseRtcp(hex('80c9')), 'rtcp_too_short');
  expectCode(() => parseRtcp(hex('40c90001 00000001')), 'rtcp_bad_version');
  expectCode(() => parseRtcp(hex('80c90002 00000001')), 'rtcp_bad_length');
  expectCode(() => parseRtcp(hex('81c90001 00000001')), 'rtcp_bad_length'); // RC 1, no block
  expectCode(() => parseRtcp(hex('80c80001 00000001')), 'rtcp_too_short'); // SR fixed part
  expectCode(() => parseRtcp(hex('81cd0001 00000001')), 'rtcp_too_short'); // feedback header
  expectCode(() => parseRtcp(hex('a0c90001 00000000')), 'rtcp_bad_padding'); // count 0
  expectCode(() => parseRtcp(hex('a0c90001 00000009')), 'rtcp_bad_padding'); // past the packet
  expectCode(() => parseRtcp(hex('a0c90001 00000004 80c90001 00000001')), 'rtcp_bad_padding'); // not last
  expectCode(() => parseRtcp(hex('81ca0002 00000001 01050000')), 'rtcp_bad_length'); // SDES item past end
  expectCode(() => parseRtcp(hex('81ca0002 00000001 01000100')), 'rtcp_bad_length'); // no terminator
  expectCode(() => parseRtcp(hex('82cb0001 00000001')), 'rtcp_bad_length'); // BYE count 2
  expectCode(() => parseRtcp(hex('81cb0002 00000001 05616263')), 'rtcp_bad_length'); // BYE reason
  expectCode(() => parseRtcp(hex('8fce0004 00000001 00000000 52454d42 02000000')), 'rtcp_bad_length'); // REMB n
  expectCode(() => parseRtcp(hex('8fcd0004 00000001 00000002 00000002 00000000')), 'rtcp_bad_length'); // twcc chunks
  expectCode(() => parseRtcp(hex('8fcd0005 00000001 00000002 00000002 00000000 4002 0000')), 'rtcp_bad_length');
  expectCode(() => parseRtcp(hex('8fcd0003 00000001 00000002 00000001')), 'rtcp_too_short'); // twcc header
  expectCode(() => new RtcpReader().reset(new Uint8Array(4), 2, 4), 'rtcp_too_short');
  assert.deepEqual(parseRtcp(new Uint8Array(0)), []);
  // A PSFB AFB that is not REMB, and an XR, are kept as unknown.
  const [afb, xr] = parseRtcp(hex('8fce0003 00000001 00000000 41424344 80cf0001 00000001'));
  assert.equal(afb?.type, 'unknown');
  assert.equal(xr?.type, 'unknown');
});

test('rewriteRtcpSsrcs maps media SSRCs of feedback and reports in place', () => {
  const compound = encodeRtcp([
    {
      type: 'rr',
      ssrc: 10,
      reports: [
        {
          ssrc: 100,
          fractionLost: 0,
          cumulativeLost: 0,
          highestSequence: 1,
          jitter: 0,
          lastSr: 0,
          delaySinceLastSr: 0,
        },
      ],
    },
    { type: 'nack', senderSsrc: 10, mediaSsrc: 100, sequences: [5] },
    { type: 'pli', senderSsrc: 10, mediaSsrc: 100 },
    { type: 'fir', senderSsrc: 10, mediaSsrc: 0, entries: [{ ssrc: 100, sequence: 1 }] },
    { type: 'remb', senderSsrc: 10, bitrate: 1000, ssrcs: [100, 300] },
    { type: 'sdes', chunks: [{ ssrc: 10, items: [{ type: 1, text: 'c' }] }] },
  ]);
  // consumer-side SSRC 100 is publisher SSRC 200; the SFU sends as 77.
  rewriteRtcpSsrcs(compound, (s) => (s === 100 ? 200 : s), 77);
  assert.deepEqual(parseRtcp(compound), [
    {
      type: 'rr',
      ssrc: 77,
      reports: [
        {
          ssrc: 200,
          fractionLost: 0,
          cumulativeLost: 0,
          highestSequence: 1,
          jitter: 0,
          lastSr: 0,
          delaySinceLastSr: 0,
        },
      ],
    },
    { type: 'nack', senderSsrc: 77, mediaSsrc: 200, sequences: [5] },
    { type: 'pli', senderSsrc: 77, mediaSsrc: 200 },
    { type: 'fir', senderSsrc: 77, mediaSsrc: 0, entries: [{ ssrc: 200, sequence: 1 }] },
    { type: 'remb', senderSsrc: 77, bitrate: 1000, ssrcs: [200, 300] },
    { type: 'sdes', chunks: [{ ssrc: 10, items: [{ type: 1, text: 'c' }] }] },
  ]);
  // Without a sender SSRC only media SSRCs change; a malformed datagram is left untouched.
  const pli = encodeRtcp([{ type: 'pli', senderSsrc: 1, mediaSsrc: 2 }]);
  rewriteRtcpSsrcs(pli, () => 3);
  assert.deepEqual(parseRtcp(pli), [{ type: 'pli', senderSsrc: 1, mediaSsrc: 3 }]);
  const bad = Uint8Array.of(...pli, 0x80, 0xc9, 0x00, 0x09);
  const before = toHex(bad);
  expectCode(() => rewriteRtcpSsrcs(bad, () => 4, 5), 'rtcp_bad_length');
  assert.equal(toHex(bad), before);
});

test('RtcpReader visits a compound without allocating packet objects', () => {
  const r = new RtcpReader().reset(CHROME_SR_SDES);
  const seen: [number, number, number][] = [];
  while (r.next()) seen.push([r.type, r.count, r.length]);
  assert.deepEqual(seen, [
    [200, 0, 28],
    [202, 1, 28],
  ]);
  const p = new RtcpReader().reset(CHROME_TWCC);
  assert.equal(p.next(), true);
  assert.equal(p.padding, true);
  assert.equal(p.contentLength, 31);
  assert.equal(p.next(), false);
});

test('REMB: the largest value saturates instead of spilling into the exponent', () => {
  const bytes = encodeRtcp([{ type: 'remb', senderSsrc: 0, bitrate: 2 ** 90, ssrcs: [] }]);
  assert.equal(toHex(bytes.subarray(16, 20)), '00ffffff');
  assert.deepEqual(parseRtcp(bytes), [{ type: 'remb', senderSsrc: 0, bitrate: 0x3ffff * 2 ** 63, ssrcs: [] }]);
});
