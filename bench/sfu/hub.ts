/**
 * `npm run bench:hub -- [--rounds 5] [--ms 1000] [--consumers 8]`
 *
 * Micro-benchmark of the Router as packet hub (issue 11), one thread, no SRTP or sockets:
 * CPU per forwarded packet of `Producer.receive` → every consumer's `forward` (rewrite
 * into the consumer's SSRC, sequence numbers and timestamps; the transport's send is a
 * no-op), for
 * - a video producer without observers (the hub's cost when nothing watches: an empty
 *   observer list),
 * - an audio producer with the room's ActiveSpeakerObserver (each packet's RFC 6464
 *   level read and fed to the dominant-speaker detector), with the observer's periodic
 *   decision (every 300 ms of simulated time, 6 speakers) included,
 * - the same audio producer without observers,
 * so "observer cost per audio packet" = (with − without) per packet; and
 * - video whose packets carry abs-send-time and a transport-wide sequence number (as
 *   Chromium's do), once with the producer not declaring transport-cc and once declaring
 *   it, so each consumer renumbers the sequence for its transport into a real
 *   TransportBwe's history (issue 14): "transport-cc stamping" = (with − without) per
 *   forwarded packet. Prints µs per
 * received packet and per forwarded packet (median of `--rounds` rounds of `--ms` each,
 * after a warm-up round). bench:sfu measures the whole SFU against Janus; this isolates
 * what the hub adds. Bounded: (rounds + 1) × cases × ms of work. Exit 1 when a case
 * forwarded nothing.
 */
import { parseArgs } from 'node:util';
import { ManualClock } from '@itda/common';
import { ActiveSpeakerObserver, Consumer, Producer } from '@itda/sfu';
import { TransportBwe } from '@itda/sfu/bwe';
import { RtpPacketView } from '@itda/sfu/rtp';
import { buildRtp } from '@itda/sfu/testing';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    ms: { type: 'string', default: '1000' },
    consumers: { type: 'string', default: '8' },
  },
});
const rounds = Math.max(1, Math.min(50, Number(values.rounds)));
const roundMs = Math.max(50, Math.min(10_000, Number(values.ms)));
const consumerCount = Math.max(1, Math.min(256, Number(values.consumers)));

const VP8 = { payloadType: 96, name: 'VP8', clockRate: 90000, parameters: {}, feedback: [] };
const OPUS = { payloadType: 111, name: 'opus', clockRate: 48000, channels: 2, parameters: {}, feedback: [] };
const AUDIO_LEVEL = { id: 1, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' };
const TRANSPORT_CC = { id: 3, uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01' };

interface Case {
  name: string;
  producer: Producer;
  packets: Buffer[];
  /** Work besides packets per simulated 20 ms (the observer's tick). */
  tick?: (nowMs: number) => void;
  sent: { n: number };
}

/** `twcc`: the packets carry abs-send-time and a transport-wide sequence number; `stamp`: the producer declares it, so consumers renumber it. */
function makeCase(name: string, kind: 'audio' | 'video', observe: boolean, twcc?: { stamp: boolean }): Case {
  const clock = new ManualClock(0);
  const producer = new Producer({
    id: name,
    participantId: 'p0',
    kind,
    source: kind === 'audio' ? 'microphone' : 'camera',
    mid: '0',
    ssrc: 0x1000,
    codec: kind === 'audio' ? OPUS : VP8,
    extensions: kind === 'audio' ? [AUDIO_LEVEL] : twcc?.stamp === true ? [TRANSPORT_CC] : [],
    clock,
    rtcpSsrc: 1,
    retransmissionSlots: 0,
  });
  const sent = { n: 0 };
  for (let i = 0; i < consumerCount; i++) {
    const c = new Consumer({
      id: `c${i}`,
      producer,
      mid: String(i),
      ssrc: 0x2000 + i,
      transport: (() => {
        const bwe = new TransportBwe();
        return {
          connected: true,
          sendRtp: () => void sent.n++,
          transportSequence: (size: number, nowMs: number) => bwe.stamp(size, nowMs),
        };
      })(),
    });
    c.resume();
  }
  let tick: Case['tick'];
  if (observe) {
    const observer = new ActiveSpeakerObserver();
    // Six participants in the room (the others' levels come as silence).
    for (let p = 1; p < 6; p++) {
      const other = new Producer({
        id: `${name}-${p}`,
        participantId: `p${p}`,
        kind: 'audio',
        source: 'microphone',
        mid: String(p),
        codec: OPUS,
        extensions: [AUDIO_LEVEL],
        clock,
        rtcpSsrc: 1,
      });
      observer.addProducer(other);
    }
    if (observer.addProducer(producer)) producer.observe(observer);
    tick = (nowMs) => observer.tick(nowMs);
  }
  const packets = Array.from({ length: 256 }, (_, i) =>
    buildRtp({
      ssrc: 0x1000,
      payloadType: kind === 'audio' ? 111 : 96,
      sequenceNumber: i,
      timestamp: i * 960,
      payload: Buffer.alloc(kind === 'audio' ? 160 : 1200, 1),
      ...(kind === 'audio' ? { extensions: [{ id: 1, value: Uint8Array.of(0x80 | (20 + (i % 40))) }] } : {}),
      ...(twcc === undefined
        ? {}
        : {
            extensions: [
              { id: 2, value: Uint8Array.of(0x12, 0x34, 0x56) },
              { id: 3, value: Uint8Array.of(i >> 8, i & 0xff) },
            ],
          }),
    }),
  );
  return { name, producer, packets, sent, ...(tick === undefined ? {} : { tick }) };
}

const cases = [
  makeCase('video, no observer', 'video', false),
  makeCase('audio, no observer', 'audio', false),
  makeCase('audio, ActiveSpeakerObserver', 'audio', true),
  makeCase('video, twcc ext, not renumbered', 'video', false, { stamp: false }),
  makeCase('video, twcc renumbered', 'video', false, { stamp: true }),
];

const view = new RtpPacketView();
/** Runs `c` for about `ms`; returns µs per received packet. */
function round(c: Case, ms: number): number {
  let received = 0;
  let seq = 0;
  let nowMs = 0;
  const start = process.cpuUsage();
  const wall = performance.now();
  while (performance.now() - wall < ms) {
    for (let i = 0; i < 1000; i++) {
      const packet = c.packets[seq & 255] as Buffer;
      packet.writeUInt16BE(seq & 0xffff, 2);
      c.producer.receive(packet, view.parse(packet), nowMs);
      seq++;
      received++;
      nowMs += 20; // one packet per 20 ms frame of simulated time
      c.tick?.(nowMs);
    }
  }
  const cpu = process.cpuUsage(start);
  return (cpu.user + cpu.system) / received;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
console.log(`bench:hub — ${consumerCount} consumers per producer, ${rounds} rounds of ${roundMs} ms (median)`);
const results: Record<string, number> = {};
let failed = false;
for (const c of cases) {
  round(c, Math.min(roundMs, 300)); // warm-up
  const us = median(Array.from({ length: rounds }, () => round(c, roundMs)));
  results[c.name] = us;
  if (c.sent.n === 0) failed = true;
  console.log(
    `${c.name.padEnd(32)} ${us.toFixed(3)} µs per received packet, ${(us / consumerCount).toFixed(3)} µs per forwarded packet`,
  );
}
const observerCost = (results['audio, ActiveSpeakerObserver'] ?? 0) - (results['audio, no observer'] ?? 0);
console.log(`active-speaker observer: ${observerCost.toFixed(3)} µs per audio packet received`);
const stampCost =
  ((results['video, twcc renumbered'] ?? 0) - (results['video, twcc ext, not renumbered'] ?? 0)) / consumerCount;
console.log(`transport-cc stamping: ${stampCost.toFixed(3)} µs per forwarded packet`);
if (failed) {
  console.log('FAILED: a case forwarded nothing');
  process.exit(1);
}
