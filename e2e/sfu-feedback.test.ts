/**
 * The SFU's RTCP feedback as a browser sees it, in Chromium: the publish connection's
 * bandwidth estimate grows past its start value (transport-cc feedback, draft-holmer-rmcat-
 * transport-wide-cc-extensions-01, lets the send-side estimator work), and its
 * `remote-inbound-rtp` stats carry a round-trip time (the SFU's receiver reports carry
 * LSR/DLSR, RFC 3550 §6.4.1). Numbers printed as diagnostics.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Harness, join, type Person, uniqueRoom, waitFor } from './harness/index.ts';

let h: Harness;
let ada: Person;
let bea: Person;

before(async () => {
  h = await Harness.start({ server: { sfu: true } });
  ada = await h.person('Ada');
  bea = await h.person('Bea');
});
after(() => h?.close());

interface PublishReading {
  availableOutgoingBitrate: number;
  targetBitrate: number;
  frameWidth: number;
  videoRtt: number;
  audioRtt: number;
}

function readPublish(person: Person): Promise<PublishReading> {
  return person.page.evaluate(async () => {
    type Entry = Record<string, unknown> & { type: string };
    type PcLike = { getStats(): Promise<{ forEach(cb: (e: Entry) => void): void }> };
    const pcs = (globalThis as unknown as { itda: { room: { peerConnections: PcLike[] } } }).itda.room.peerConnections;
    const out = { availableOutgoingBitrate: 0, targetBitrate: 0, frameWidth: 0, videoRtt: 0, audioRtt: 0 };
    const report = await pcs[0]?.getStats();
    report?.forEach((e) => {
      if (e.type === 'candidate-pair' && e.nominated === true) {
        out.availableOutgoingBitrate = Number(e.availableOutgoingBitrate ?? 0);
      }
      if (e.type === 'outbound-rtp' && e.kind === 'video') {
        out.targetBitrate = Number(e.targetBitrate ?? 0);
        out.frameWidth = Number(e.frameWidth ?? 0);
      }
      if (e.type === 'remote-inbound-rtp' && e.kind === 'video') out.videoRtt = Number(e.roundTripTime ?? 0);
      if (e.type === 'remote-inbound-rtp' && e.kind === 'audio') out.audioRtt = Number(e.roundTripTime ?? 0);
    });
    return out;
  });
}

test('transport-cc feedback lets the publisher’s bandwidth estimate grow; receiver reports give it a round-trip time', async (t) => {
  const room = uniqueRoom('sfu-feedback');
  await join(ada.page, h.url, room, 'Ada');
  await join(bea.page, h.url, room, 'Bea');
  const first = await waitFor(
    async () => {
      const r = await readPublish(ada);
      return r.availableOutgoingBitrate > 0 ? r : undefined;
    },
    { timeoutMs: 15_000, intervalMs: 250, what: 'a bandwidth estimate on the publish connection' },
  );
  t.diagnostic(`first: ${JSON.stringify(first)}`);
  const grown = await waitFor(
    async () => {
      const r = await readPublish(ada);
      return r.availableOutgoingBitrate > first.availableOutgoingBitrate && r.videoRtt > 0 && r.audioRtt > 0
        ? r
        : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 500, what: 'the estimate to grow and RTTs from receiver reports' },
  );
  t.diagnostic(`later: ${JSON.stringify(grown)}`);
  assert.ok(grown.videoRtt < 1, 'a loopback round trip is well under a second');
});
