import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@itda/common/testing';
import { classifyDatagram } from './demux.ts';
import { RtpError } from './errors.ts';
import { encodeRtcp, parseRtcp, rewriteRtcpSsrcs } from './rtcp.ts';
import { RtpPacketView } from './rtp-packet.ts';

const SEEDS: Uint8Array[] = [
  Uint8Array.from(Buffer.from('902d1a5fd4090549f7b16e83bede000322f3435041009bd281004500', 'hex')),
  Uint8Array.from(Buffer.from('902d61c5950a0fee8d3814e510000011020303f7ae04020002090130030100060102', 'hex')),
  Uint8Array.from(
    Buffer.from('a2efffff' + 'fffffffe' + '01020304' + '00000005' + '00000006' + 'aabbcc' + '000003', 'hex'),
  ),
  encodeRtcp([
    { type: 'rr', ssrc: 1, reports: [] },
    { type: 'nack', senderSsrc: 1, mediaSsrc: 2, sequences: [1, 2, 40] },
    { type: 'fir', senderSsrc: 1, mediaSsrc: 0, entries: [{ ssrc: 3, sequence: 1 }] },
    { type: 'remb', senderSsrc: 1, bitrate: 5e5, ssrcs: [2] },
    { type: 'sdes', chunks: [{ ssrc: 1, items: [{ type: 1, text: 'cname' }] }] },
    { type: 'bye', ssrcs: [1], reason: 'x' },
  ]),
  encodeRtcp([
    {
      type: 'twcc',
      senderSsrc: 1,
      mediaSsrc: 2,
      baseSequence: 9,
      referenceTime: 3,
      feedbackCount: 1,
      statusCount: 3,
      received: [
        { sequence: 9, status: 1, deltaUs: 500 },
        { sequence: 11, status: 2, deltaUs: -250 },
      ],
    },
  ]),
];

function onlyRtpErrors(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof RtpError)) throw err;
  }
}

test('seeded fuzz: random and mutated bytes never throw anything but RtpError', () => {
  const rand = seededRandom(0x17da);
  const view = new RtpPacketView();
  const byte = (): number => Math.floor(rand() * 256);
  for (let i = 0; i < 20_000; i++) {
    let buf: Uint8Array;
    if (i % 2 === 0) {
      buf = new Uint8Array(Math.floor(rand() * 80));
      for (let j = 0; j < buf.length; j++) buf[j] = byte();
      // Bias towards version 2 so that parsers get past the first check.
      if (buf.length > 0 && rand() < 0.7) buf[0] = ((buf[0] as number) & 0x3f) | 0x80;
    } else {
      const seed = SEEDS[i % SEEDS.length] as Uint8Array;
      buf = seed.slice(0, rand() < 0.3 ? Math.floor(rand() * (seed.length + 1)) : seed.length);
      const flips = 1 + Math.floor(rand() * 4);
      for (let f = 0; f < flips && buf.length > 0; f++) buf[Math.floor(rand() * buf.length)] = byte();
    }
    classifyDatagram(buf);
    onlyRtpErrors(() => {
      view.parse(buf);
      assert.equal(view.payloadOffset + view.payloadLength + view.paddingLength, buf.length);
      assert.ok(view.payloadLength >= 0);
      for (let id = 0; id <= 16; id++) {
        if (view.findExtension(id)) assert.ok(view.foundOffset + view.foundLength <= buf.length);
        view.extensionUint(id);
      }
    });
    onlyRtpErrors(() => {
      parseRtcp(buf);
    });
    onlyRtpErrors(() => {
      rewriteRtcpSsrcs(buf, (s) => s ^ 1, 7);
    });
  }
});
