/**
 * Issue 10, hole 2 (transport-cc bomb): a publisher's RTCP through a real RtcServer. The
 * SFU acts on SR, NACK, PLI and FIR only; a publisher's transport-cc (which the SFU does
 * not use) is skipped after its header — not parsed, so neither its status count nor its
 * validity costs anything or takes the SR of the same compound down with it.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encodeRtcp, type ReceiverReport, type SenderReport } from '../rtp/index.ts';
import { SfuHarness, type TestParticipant } from '../testing/index.ts';

/** A transport-cc packet announcing `count` statuses in `chunks` (hex), padded to 32 bits. */
function twcc(count: number, chunks: string): Uint8Array {
  const hex = `00000001 00000002 0000 ${count.toString(16).padStart(4, '0')} 00000000 ${chunks}`;
  const body = Buffer.from(hex.replace(/\s+/g, ''), 'hex');
  const out = new Uint8Array(4 + ((body.length + 3) & ~3));
  out.set([0x8f, 205, 0, out.length / 4 - 1], 0);
  out.set(body, 4);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  return Uint8Array.from(Buffer.concat(parts));
}

function senderReport(ssrc: number, ntpSeconds: number): SenderReport {
  return { type: 'sr', ssrc, ntpSeconds, ntpFraction: 0, rtpTimestamp: 0, packetCount: 1, octetCount: 1, reports: [] };
}

/** LSR for an SR of `ntpSeconds` and fraction 0 (RFC 3550 §6.4.1: the middle 32 bits of the NTP timestamp). */
const lsr = (ntpSeconds: number): number => ((ntpSeconds & 0xffff) * 0x10000) >>> 0;

/** Publishes audio, sends a few RTP packets so the SFU reports on the stream; returns the SSRC. */
async function publishAudio(p: TestParticipant): Promise<number> {
  const [audio] = await p.publish({ video: false });
  assert.ok(audio && p.publisher);
  for (let i = 0; i < 5; i++) {
    p.publisher.sendRtp({
      ssrc: audio.ssrc,
      payloadType: 111,
      sequenceNumber: i,
      timestamp: i * 960,
      payload: new Uint8Array(20),
    });
  }
  return audio.ssrc;
}

/** Waits (up to 10 s: receiver reports go out once a second) for an RR block on `ssrc` naming the SR `ntpSeconds`. */
async function waitForLsr(p: TestParticipant, ssrc: number, ntpSeconds: number): Promise<void> {
  const pub = p.publisher;
  assert.ok(pub);
  await pub.waitFor(
    () =>
      pub.rtcp.some(
        (r) =>
          r.type === 'rr' && (r as ReceiverReport).reports.some((b) => b.ssrc === ssrc && b.lastSr === lsr(ntpSeconds)),
      ),
    10_000,
    `a receiver report naming the SR of ${ntpSeconds} s`,
  );
}

test('a transport-cc the parser would refuse does not take the SR of the same compound with it', async () => {
  const h = await SfuHarness.start();
  try {
    const host = h.join('host');
    const ssrc = await publishAudio(host);
    const pub = host.publisher;
    assert.ok(pub);
    // 65,535 statuses in 18 bytes of chunks (over MAX_TRANSPORT_CC_STATUSES), then an SR.
    const hostile = twcc(0xffff, `${'1fff'.repeat(8)} 0007`);
    pub.sendRaw(pub.protectRtcp(concat(hostile, encodeRtcp([senderReport(ssrc, 0x1234_5678)]))));
    await waitForLsr(host, ssrc, 0x1234_5678);
    assert.equal(h.server.stats.drops.get('rtcp_malformed') ?? 0, 0);
  } finally {
    await h.close();
  }
});

test('the issue 10 bomb: 960-byte datagrams of forty 8,192-status transport-cc packets are skipped, SRs still used', async () => {
  const h = await SfuHarness.start();
  try {
    const host = h.join('host');
    const ssrc = await publishAudio(host);
    const guest = h.join('guest');
    await guest.publish({ video: false });
    await guest.idle();
    const pub = host.publisher;
    assert.ok(pub);
    const one = twcc(8192, '1fff 0001');
    const bomb = concat(...Array.from({ length: 40 }, () => one));
    assert.equal(bomb.length, 960);
    const rtcpBefore = h.server.stats.rxRtcp;
    // A bounded burst: 300 datagrams (one second of the review's attack), each followed by an SR.
    for (let i = 0; i < 300; i++) {
      pub.sendRaw(pub.protectRtcp(concat(bomb, encodeRtcp([senderReport(ssrc, 1000 + i)]))));
      if (i % 50 === 49) await new Promise<void>((r) => setImmediate(r));
    }
    await pub.waitFor(() => h.server.stats.rxRtcp >= rtcpBefore + 300, 10_000, 'the SFU to read every datagram');
    await waitForLsr(host, ssrc, 1299);
    assert.equal(h.server.stats.drops.get('rtcp_malformed') ?? 0, 0);
    // Media still flows to the other participant afterwards.
    const sub = guest.subscriber;
    const track = guest.trackFrom('host', 'audio');
    assert.ok(sub && track);
    for (let i = 5; i < 15; i++) {
      pub.sendRtp({ ssrc, payloadType: 111, sequenceNumber: i, timestamp: i * 960, payload: new Uint8Array(20) });
    }
    await sub.waitFor(() => sub.rtpOf(track.ssrc).length >= 10, 10_000, 'the host audio at the guest');
  } finally {
    await h.close();
  }
});
