/**
 * Media through itda's own TURN server, in real Chromium: two pages in a call with
 * `iceTransportPolicy: 'relay'` (the web app's `?relay=1`), so the only candidates are
 * TURN relay candidates, once per client transport — TURN over UDP, over TCP and over
 * TLS. Each case hands the browsers one URL only (`turnAnnounce`), with the ephemeral
 * REST credentials of `joined`, and proves: audio `packetsReceived > 0` and video
 * `framesDecoded > 0` both ways; the selected pair's local candidate is `relay` with
 * `relayProtocol` `udp` / `tcp` / `tls`; the TURN server counted the relayed packets.
 *
 * TLS uses the self-signed certificate `itda` makes at start (the dev default).
 * Chromium checks TURN server certificates and drops a `turns:` server whose
 * certificate it does not trust (measured: Chromium 156, docs/server.md), so this test
 * pins that one certificate with `--ignore-certificate-errors-spki-list`.
 *
 * The relay addresses are 127.0.0.1 in the test namespace, hence `allowLoopbackPeers`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  Harness,
  isLoopbackAddress,
  joinRelayOnly,
  type Person,
  readPeerIceConfig,
  readRelayPairs,
  unexpectedErrors,
  uniqueRoom,
  waitForRemoteMedia,
} from './harness/index.ts';

const CASES = [
  { kind: 'udp', url: /^turn:127\.0\.0\.1:\d+\?transport=udp$/ },
  { kind: 'tcp', url: /^turn:127\.0\.0\.1:\d+\?transport=tcp$/ },
  { kind: 'tls', url: /^turns:127\.0\.0\.1:\d+\?transport=tcp$/ },
] as const;

for (const { kind, url } of CASES) {
  test(`two people call through itda's TURN over ${kind.toUpperCase()} (relay candidates only)`, async (t) => {
    const h = await Harness.start({
      server: { turn: true, allowLoopbackPeers: true, turnAnnounce: [kind] },
      browserArgs: (server) => {
        const spki = server.turn?.certificate?.spkiSha256;
        return spki === undefined ? [] : [`--ignore-certificate-errors-spki-list=${spki}`];
      },
    });
    try {
      const turn = h.server.turn;
      assert.ok(turn, 'the server runs TURN');
      const room = uniqueRoom(`relay-${kind}`);
      const people: Person[] = [await h.person('Ada'), await h.person('Bea')];
      for (const p of people) await joinRelayOnly(p.page, h.url, room, p.name);

      for (const p of people) {
        const [media] = await waitForRemoteMedia(p.page, { timeoutMs: 20_000 });
        t.diagnostic(`${p.name} receives: ${JSON.stringify(media)}`);
      }

      for (const p of people) {
        const [config] = await readPeerIceConfig(p.page);
        assert.equal(config?.iceTransportPolicy, 'relay', `${p.name} gathers relay candidates only`);
        assert.equal(config?.urls.length, 1, `${p.name} was given one ICE URL: ${JSON.stringify(config?.urls)}`);
        assert.match(config?.urls[0] ?? '', url);

        const pairs = await readRelayPairs(p.page);
        assert.equal(pairs.length, 1, `${p.name} has one selected pair`);
        const [pair] = pairs;
        t.diagnostic(`${p.name} selected pair: ${JSON.stringify(pair)}`);
        assert.equal(pair?.localType, 'relay');
        assert.equal(pair?.relayProtocol, kind);
        assert.equal(pair?.remoteType, 'relay');
        assert.ok(isLoopbackAddress(pair?.localAddress ?? ''), `relay address ${pair?.localAddress} is loopback`);
        assert.deepEqual(unexpectedErrors(p), []);
      }

      const m = turn.server.metrics;
      t.diagnostic(`TURN metrics: ${JSON.stringify({ ...m, requests: undefined })}`);
      assert.ok(m.allocationsCreated >= 2, 'each browser allocated a relay');
      assert.ok(m.packetsToPeer > 0 && m.packetsFromPeer > 0, 'the TURN server relayed packets both ways');
      const text = await (await fetch(`${h.url}/metrics`)).text();
      assert.match(text, /^itda_turn_relayed_packets_total\{direction="to_peer"\} [1-9]/m);
    } finally {
      await h.close();
    }
  });
}
