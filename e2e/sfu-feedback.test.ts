/**
 * The SFU's RTCP feedback as a browser sees it, in Chromium: the publish connection's
 * bandwidth estimate grows past its start value (transport-cc feedback, draft-holmer-rmcat-
 * transport-wide-cc-extensions-01, lets the send-side estimator work), and its
 * `remote-inbound-rtp` stats carry a round-trip time (the SFU's receiver reports carry
 * LSR/DLSR, RFC 3550 §6.4.1), and the server counts the feedback it sent. Numbers printed as
 * diagnostics.
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

/**
 * libwebrtc's start value for the send-side estimate (`kDefaultStartBitrateBps`, 300 kbps);
 * the web app sets no other. The estimate leaves it only on feedback: transport-cc
 * (probe results, delay trend) or receiver reports (loss).
 */
const CHROMIUM_START_BITRATE = 300_000;

/** A counter from the server's Prometheus text, or NaN when it is missing. */
async function serverCounter(name: string): Promise<number> {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(text);
  return m === null ? Number.NaN : Number(m[1]);
}

// What is asserted, and why not "grows past its first reading" (which failed in CI): Chromium
// probes right after connecting (1.5–3.7 Mbps within ~1 s here) and then holds the estimate
// at a ceiling set by the encoder's needs, so a first reading taken after the probe was
// already the highest the estimate would ever be. The start value is the fixed point to
// compare with, and the server's own counters say that it sent the feedback.
test('transport-cc feedback lets the publisher’s bandwidth estimate grow; receiver reports give it a round-trip time', async (t) => {
  const room = uniqueRoom('sfu-feedback');
  await join(ada.page, h.url, room, 'Ada');
  await join(bea.page, h.url, room, 'Bea');
  let last: PublishReading | undefined;
  let highest = 0;
  const read = async (): Promise<PublishReading> => {
    last = await readPublish(ada);
    highest = Math.max(highest, last.availableOutgoingBitrate);
    return last;
  };
  // Generous bounds for a busy 2-core machine; each resolves within seconds when idle.
  const grown = await waitFor(
    async () => {
      const r = await read();
      return r.availableOutgoingBitrate > CHROMIUM_START_BITRATE ? r : undefined;
    },
    {
      timeoutMs: 45_000,
      intervalMs: 250,
      what: `the publish connection’s estimate to rise above ${CHROMIUM_START_BITRATE} bit/s`,
    },
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}; last reading ${JSON.stringify(last)}, highest ${highest}`);
  });
  t.diagnostic(`estimate risen: ${JSON.stringify(grown)}`);
  const withRtt = await waitFor(
    async () => {
      const r = await read();
      return r.videoRtt > 0 && r.audioRtt > 0 ? r : undefined;
    },
    {
      timeoutMs: 45_000,
      intervalMs: 250,
      what: 'round-trip times for audio and video from the SFU’s receiver reports',
    },
  ).catch((err: unknown) => {
    throw new Error(`${String(err)}; last reading ${JSON.stringify(last)}`);
  });
  t.diagnostic(`with RTTs: ${JSON.stringify(withRtt)}; highest estimate ${highest}`);
  assert.ok(withRtt.videoRtt < 1 && withRtt.audioRtt < 1, 'a loopback round trip is well under a second');
  const feedback = await serverCounter('itda_sfu_transport_cc_feedback_total');
  const reports = await serverCounter('itda_sfu_receiver_reports_total');
  t.diagnostic(`server: ${feedback} transport-cc feedback messages, ${reports} receiver reports sent`);
  assert.ok(feedback > 0, `the SFU sent transport-cc feedback (${feedback})`);
  assert.ok(reports > 0, `the SFU sent receiver reports (${reports})`);
});
