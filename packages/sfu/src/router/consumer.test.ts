/**
 * Consumer rewriting on its own (a recording transport, no sockets): SSRC, sequence numbers
 * and timestamps stay continuous across a pause (RFC 7667 §3.7), and NACKs are answered
 * from the producer's history with this consumer's numbering — never for numbers sent
 * before the last resume.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '@itda/common';
import { RtpPacketView } from '../rtp/index.ts';
import { Consumer } from './consumer.ts';
import { Producer, type ProducerOptions } from './producer.ts';

function rtp(seq: number, ts: number, ssrc = 0x1111): Buffer {
  const b = Buffer.alloc(12 + 20, 7);
  b[0] = 0x80;
  b[1] = 96;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(ts >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  return b;
}

function videoProducer(id: string, more: Partial<ProducerOptions> = {}): Producer {
  return new Producer({
    id,
    participantId: 'ada',
    kind: 'video',
    source: 'camera',
    mid: '0',
    ssrc: 0x1111,
    codec: { payloadType: 96, name: 'VP8', clockRate: 90000, parameters: {}, feedback: [] },
    extensions: [],
    clock: new ManualClock(),
    rtcpSsrc: 0x3333,
    ...more,
  });
}

function setup(): { producer: Producer; consumer: Consumer; sent: Buffer[] } {
  const producer = videoProducer('p1');
  const sent: Buffer[] = [];
  const consumer = new Consumer({
    id: 'c1',
    producer,
    mid: '3',
    ssrc: 0x2222,
    paused: true,
    transport: {
      connected: true,
      sendRtp: (p: Uint8Array) => void sent.push(Buffer.from(p)),
      transportSequence: () => 0,
    },
  });
  return { producer, consumer, sent };
}

const view = new RtpPacketView();
function feed(producer: Producer, seq: number, ts: number, now: number): void {
  const b = rtp(seq, ts);
  producer.receive(b, view.parse(b), now);
}

test('SSRC, sequence numbers and timestamps continue across a pause; the payload is untouched', () => {
  const { producer, consumer, sent } = setup();
  consumer.resume();
  feed(producer, 500, 1000, 0);
  feed(producer, 501, 4000, 33);
  consumer.pause();
  feed(producer, 502, 7000, 66); // not forwarded
  feed(producer, 503, 200_000, 1000);
  consumer.resume();
  feed(producer, 504, 203_000, 1100);
  assert.deepEqual(
    sent.map((p) => [p.readUInt32BE(8), p.readUInt16BE(2), p.readUInt32BE(4)]),
    [
      [0x2222, 500, 1000],
      [0x2222, 501, 4000],
      // resumed 1067 ms after the last packet sent: 4000 + 1067 × 90 ticks, the next number.
      [0x2222, 502, 4000 + 1067 * 90],
    ],
  );
  assert.deepEqual(sent[2]?.subarray(12), rtp(0, 0).subarray(12));
});

test('a NACK is answered from the producer history in the consumer numbering; not for numbers before the resume', () => {
  const { producer, consumer, sent } = setup();
  consumer.resume();
  feed(producer, 10, 900, 0);
  feed(producer, 11, 1800, 10);
  consumer.pause();
  consumer.resume();
  feed(producer, 40, 90_000, 500); // out 12
  feed(producer, 41, 93_000, 533); // out 13
  sent.length = 0;
  consumer.retransmit([11, 13], 600);
  assert.equal(sent.length, 1, 'out 11 was sent before the resume: not answered');
  assert.deepEqual([sent[0]?.readUInt32BE(8), sent[0]?.readUInt16BE(2)], [0x2222, 13]);
  assert.equal(consumer.nackMisses, 1);
  assert.equal(consumer.retransmitted, 1);
});

test('a hostile NACK cannot turn into a burst: 64 packets per NACK, each packet at most once per 100 ms', () => {
  const { producer, consumer, sent } = setup();
  consumer.resume();
  for (let i = 0; i < 300; i++) feed(producer, 1000 + i, i * 3000, i);
  sent.length = 0;
  const all = Array.from({ length: 300 }, (_, i) => 1000 + i);
  consumer.retransmit(all, 400);
  assert.equal(sent.length, 64, 'at most 64 resent for one NACK');
  consumer.retransmit(all.slice(0, 64), 450);
  assert.equal(sent.length, 64, 'the same packets again within 100 ms: nothing');
  consumer.retransmit(all.slice(0, 64), 510);
  assert.equal(sent.length, 128, 'after 100 ms they may go again');
  consumer.retransmit([1000], 1400);
  assert.equal(sent.length, 128, 'a packet held longer than 1 s is not resent');
});

test('transport-wide sequence numbers: each forwarded packet and each resend gets the transport’s next one', () => {
  const twcc = { id: 3, uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01' };
  const producer = videoProducer('p2', { extensions: [twcc], retransmissionSlots: 64 });

  const sent: Buffer[] = [];
  const numbered: { size: number; nowMs: number }[] = [];
  const consumer = new Consumer({
    id: 'c2',
    producer,
    mid: '3',
    ssrc: 0x2222,
    transport: {
      connected: true,
      sendRtp: (p: Uint8Array) => void sent.push(Buffer.from(p)),
      transportSequence: (size, nowMs) => numbered.push({ size, nowMs }) - 1 + 0xfffe,
    },
  });
  // One-byte header extension: the publisher's transport-wide number 0x0a0b at id 3.
  const withExt = (seq: number): Buffer => {
    const b = Buffer.alloc(12 + 8 + 20, 7);
    b[0] = 0x90;
    b[1] = 96;
    b.writeUInt16BE(seq, 2);
    b.writeUInt32BE(seq * 3000, 4);
    b.writeUInt32BE(0x1111, 8);
    b.set([0xbe, 0xde, 0x00, 0x01, 0x31, 0x0a, 0x0b, 0x00], 12);
    return b;
  };
  for (let i = 0; i < 3; i++) {
    const b = withExt(100 + i);
    producer.receive(b, view.parse(b), 1000 + i);
  }
  const read = (p: Buffer): number => view.parse(p).extensionUint(3);
  assert.deepEqual(sent.map(read), [0xfffe, 0xffff, 0x10000 & 0xffff], 'the transport’s numbers, not the publisher’s');
  assert.deepEqual(
    numbered.map((n) => n.nowMs),
    [1000, 1001, 1002],
  );
  assert.equal(numbered[0]?.size, 40);
  const out = view.parse(sent[1] as Buffer).sequenceNumber;
  consumer.retransmit([out], 1500);
  assert.equal(sent.length, 4);
  assert.equal(read(sent[3] as Buffer), 1, 'a resend is numbered anew');
  assert.equal(numbered[3]?.nowMs, 1500);
});
