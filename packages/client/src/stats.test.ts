import assert from 'node:assert/strict';
import { test } from 'node:test';
import { computeLinkStats, formatBitrate, type StatsEntry, StatsSampler, sfuParticipantEntries } from './stats.ts';

function report(t: number, inBytes: number, outBytes: number, received: number, lost: number): StatsEntry[] {
  return [
    { id: 'T1', type: 'transport', timestamp: t, selectedCandidatePairId: 'CP1' },
    {
      id: 'CP1',
      type: 'candidate-pair',
      timestamp: t,
      localCandidateId: 'L1',
      remoteCandidateId: 'R1',
      currentRoundTripTime: 0.042,
      nominated: true,
      state: 'succeeded',
    },
    {
      id: 'CP2',
      type: 'candidate-pair',
      timestamp: t,
      localCandidateId: 'L2',
      remoteCandidateId: 'R1',
      state: 'failed',
    },
    { id: 'L1', type: 'local-candidate', candidateType: 'relay', protocol: 'udp', relayProtocol: 'tls' },
    { id: 'L2', type: 'local-candidate', candidateType: 'host', protocol: 'udp' },
    { id: 'R1', type: 'remote-candidate', candidateType: 'srflx', protocol: 'udp' },
    {
      id: 'IA',
      type: 'inbound-rtp',
      kind: 'audio',
      timestamp: t,
      bytesReceived: inBytes / 4,
      packetsReceived: received / 2,
      packetsLost: lost / 2,
      jitter: 0.003,
    },
    {
      id: 'IV',
      type: 'inbound-rtp',
      kind: 'video',
      timestamp: t,
      bytesReceived: (inBytes * 3) / 4,
      packetsReceived: received / 2,
      packetsLost: lost / 2,
      jitter: 0.012,
    },
    { id: 'OV', type: 'outbound-rtp', kind: 'video', timestamp: t, bytesSent: outBytes },
  ];
}

test('first sample: no bitrate yet, cumulative loss, selected pair details', () => {
  const s = computeLinkStats(report(1000, 4000, 8000, 90, 10));
  assert.equal(s.inboundBitrate, null);
  assert.equal(s.outboundBitrate, null);
  assert.equal(s.packetLossPercent, 10);
  assert.equal(s.jitterMs, 12);
  assert.equal(s.rttMs, 42);
  assert.equal(s.localCandidateType, 'relay');
  assert.equal(s.remoteCandidateType, 'srflx');
  assert.equal(s.protocol, 'udp');
  assert.equal(s.relayProtocol, 'tls');
});

test('second sample: bitrates and loss over the interval', () => {
  const sampler = new StatsSampler();
  sampler.sample('p1', report(1000, 4000, 8000, 90, 10));
  const s = sampler.sample('p1', report(3000, 254000, 508000, 290, 10));
  // 250 000 bytes in 2 s = 1 Mbit/s in; 500 000 bytes in 2 s = 2 Mbit/s out.
  assert.equal(s.inboundBitrate, 1_000_000);
  assert.equal(s.outboundBitrate, 2_000_000);
  assert.equal(s.packetLossPercent, 0);
  assert.equal(formatBitrate(s.inboundBitrate), '1.0 Mbit/s');
  assert.equal(formatBitrate(340_000), '340 kbit/s');
  assert.equal(formatBitrate(null), '—');
});

test('without a transport entry the nominated succeeded pair is used; empty report yields nulls', () => {
  const entries = report(1000, 0, 0, 0, 0).filter((e) => e.type !== 'transport');
  assert.equal(computeLinkStats(entries).rttMs, 42);
  const empty = computeLinkStats([], undefined, 5);
  assert.equal(empty.timestamp, 5);
  assert.equal(empty.rttMs, null);
  assert.equal(empty.packetLossPercent, null);
  assert.equal(empty.localCandidateType, null);
});

test('sfuParticipantEntries: inbound of that participant only, the subscribe pair first, outbound from publish', () => {
  const sub: StatsEntry[] = [
    { id: 'T01', type: 'transport', selectedCandidatePairId: 'CP1' },
    { id: 'CP1', type: 'candidate-pair', localCandidateId: 'L1', remoteCandidateId: 'R1', currentRoundTripTime: 0.02 },
    { id: 'L1', type: 'local-candidate', candidateType: 'host', protocol: 'udp' },
    { id: 'R1', type: 'remote-candidate', candidateType: 'host' },
    { id: 'IA', type: 'inbound-rtp', mid: '0', bytesReceived: 1000, packetsReceived: 10, packetsLost: 0 },
    { id: 'IB', type: 'inbound-rtp', mid: '1', bytesReceived: 5000, packetsReceived: 50, packetsLost: 5 },
    { id: 'IC', type: 'inbound-rtp', trackIdentifier: 'trk-c', bytesReceived: 300, packetsReceived: 3 },
  ];
  const pub: StatsEntry[] = [
    { id: 'T01', type: 'transport', selectedCandidatePairId: 'CP9' },
    { id: 'O1', type: 'outbound-rtp', bytesSent: 7000 },
  ];
  const entries = sfuParticipantEntries(sub, pub, { mids: new Set(['0']), trackIds: new Set(['trk-c']) });
  assert.deepEqual(
    entries.filter((e) => e.type === 'inbound-rtp').map((e) => e.id),
    ['s:IA', 's:IC'],
  );
  const stats = computeLinkStats(entries, undefined, 1000);
  assert.equal(stats.totals.bytesReceived, 1300);
  assert.equal(stats.totals.bytesSent, 7000);
  assert.equal(stats.rttMs, 20);
  assert.equal(stats.localCandidateType, 'host');
});
