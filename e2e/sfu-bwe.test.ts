/**
 * The SFU's send-side bandwidth estimate with a real subscriber (issue 14): Chromium in an
 * sfu room receives packets the SFU numbered itself (transport-wide sequence numbers, one
 * series per subscriber transport) and answers with transport-cc feedback, which the SFU
 * matches with what it sent and feeds to its estimator; the start-up probe clusters
 * (padding-only RTX) come back as a probe result. On loopback: feedback keeps coming,
 * every status matches a sent packet, nothing is lost, a probe finds megabits of
 * headroom, and media flows as before.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Harness, join, localParticipantId, uniqueRoom, waitFor, waitForRemoteMedia } from './harness/index.ts';
import { waitForSfuRemotes } from './harness/sfu.ts';

let h: Harness;
before(async () => {
  h = await Harness.start({ server: { sfu: true } });
});
after(async () => {
  await h?.close();
});

test('a subscriber’s transport-cc feedback drives the SFU’s estimate of its downlink', async (t) => {
  const room = uniqueRoom('bwe');
  const ada = await h.person('Ada');
  const bea = await h.person('Bea');
  await join(ada.page, h.url, room, 'Ada');
  await join(bea.page, h.url, room, 'Bea');
  await waitForSfuRemotes(bea.page, ['Ada']);
  await waitForRemoteMedia(bea.page);
  const beaId = await localParticipantId(bea.page);
  const transport = h.server.sfu?.service.transportOf(room, beaId as string, 'subscribe');
  assert.ok(transport, 'Bea has a subscribe transport');
  const bwe = await waitFor(
    () => {
      const b = transport.bandwidth;
      return b !== undefined && b.feedbacks >= 30 && b.receivedBps !== undefined && b.probeResults >= 1 ? b : undefined;
    },
    { timeoutMs: 20_000, what: '30 transport-cc feedbacks from Bea, and a probe result' },
  );
  const seen = {
    feedbacks: bwe.feedbacks,
    stamped: bwe.stamped,
    unmatched: bwe.unmatched,
    estimateBps: Math.round(bwe.estimateBps),
    receivedBps: Math.round(bwe.receivedBps ?? 0),
    usage: bwe.usage,
    loss: bwe.lossFraction,
    probeClusters: bwe.probeClusters,
    probeResults: bwe.probeResults,
    lastProbeBps: Math.round(bwe.lastProbeBps ?? 0),
  };
  t.diagnostic(`Bea's downlink as the SFU sees it: ${JSON.stringify(seen)}`);
  assert.ok(bwe.stamped > 100, 'the SFU numbered what it sent');
  assert.equal(bwe.unmatched, 0, 'every status in the feedback is a packet the SFU sent');
  assert.ok(bwe.lossFraction < 0.05, `loss on loopback: ${bwe.lossFraction}`);
  assert.ok((bwe.receivedBps ?? 0) > 50_000, 'the feedback shows media arriving');
  assert.ok(bwe.estimateBps >= 50_000 && bwe.estimateBps <= 20_000_000, `estimate ${bwe.estimateBps}`);
  // The start-up probes (3× and 6× the 1 Mbit/s start, as padding-only RTX) measure loopback's headroom.
  assert.ok((bwe.lastProbeBps ?? 0) >= 1_500_000, `probe result ${bwe.lastProbeBps}`);
  const metrics = await (await fetch(`${h.url}/metrics`)).text();
  assert.match(metrics, /^itda_sfu_transport_cc_received_total [1-9]/m);
  assert.match(metrics, /^itda_sfu_downlink_estimate_transports\{le="\+Inf"\} 2$/m, 'both subscribe transports');
  assert.match(metrics, /^itda_sfu_probe_padding_packets_total [1-9]/m);
  // Media still flows both ways with the rewritten extension.
  await waitForRemoteMedia(ada.page);
  await h.dismiss(ada);
  await h.dismiss(bea);
});
