/**
 * 50 join/publish/subscribe/leave cycles through SfuService on a real RtcServer: nothing
 * of the guests stays behind — transports (RtcServer and service), rooms, consumers on
 * the host's transports, the host's subscribe SDP (slots are recycled), demux entries
 * (the guests' tuples and ufrags reach no transport any more) — and every socket and
 * timer is closed at the end, so the process exits by itself.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AttrType, attr, createTransactionId, encodeMessage, StunClass, StunMethod, shortTermKey } from '@itda/stun';
import { SfuHarness } from '../testing/index.ts';

const CYCLES = 50;

test(`${CYCLES} join/leave cycles leave no transports, rooms, consumers or demux entries`, async () => {
  const h = await SfuHarness.start();
  try {
    const host = h.join('host');
    await host.publish();
    const hostVideo = host.published.find((t) => t.kind === 'video');
    assert.ok(hostVideo);
    let maxHostMlines = 0;
    for (let i = 0; i < CYCLES; i++) {
      const guest = h.join(`guest${i}`, i % 5 === 4 ? { protocol: 'tcp' } : {});
      await guest.publish();
      await guest.idle();
      await host.idle();
      assert.deepEqual(guest.failures, []);
      assert.deepEqual(host.failures, []);
      assert.ok(guest.trackFrom('host', 'video'), `cycle ${i}: the guest subscribes to the host`);
      assert.ok(host.trackFrom(`guest${i}`, 'video'), `cycle ${i}: the host subscribes to the guest`);
      assert.equal(h.server.transportCount, 4, `cycle ${i}: 2 transports each`);
      maxHostMlines = Math.max(maxHostMlines, host.subscribed.length);

      const pub = guest.publisher;
      const sub = guest.subscriber;
      assert.ok(pub && sub);
      const guestVideo = guest.published.find((t) => t.kind === 'video');
      assert.ok(guestVideo);
      const serverUfrags = [pub.remote?.ice.ufrag, sub.remote?.ice.ufrag];
      // Leave through the service, but keep the guest's sockets open one moment to knock on the old doors.
      h.service.removeParticipant('room', guest.id);
      const unverified = h.server.stats.drops.get('unverified_tuple') ?? 0;
      const unknownUfrag = h.server.stats.drops.get('ice_unknown_ufrag') ?? 0;
      pub.sendRaw(Buffer.from([0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]));
      for (const ufrag of serverUfrags) {
        pub.sendRaw(
          encodeMessage(
            {
              class: StunClass.Request,
              method: StunMethod.Binding,
              transactionId: createTransactionId(),
              attributes: [attr(AttrType.Username, `${ufrag}:${pub.ice.ufrag}`), attr(AttrType.IceControlling, 1n)],
            },
            { integrityKey: shortTermKey('x'.repeat(32)), fingerprint: true },
          ),
        );
      }
      await pub.waitFor(
        () =>
          (h.server.stats.drops.get('unverified_tuple') ?? 0) === unverified + 1 &&
          (h.server.stats.drops.get('ice_unknown_ufrag') ?? 0) === unknownUfrag + 2,
        2000,
        `cycle ${i}: the guest's tuple and ufrags are forgotten`,
      );
      await guest.leave();
      await host.idle();
      assert.equal(host.trackFrom(`guest${i}`, 'video'), undefined, `cycle ${i}: the host's consumer ended`);
      assert.equal(h.server.transportCount, 2, `cycle ${i}: only the host's transports`);
    }
    assert.equal(h.transportsCreated, 2 + 2 * CYCLES);
    assert.equal(h.server.transportCount, 2);
    assert.equal(h.service.transportCount, 2);
    assert.equal(h.service.roomCount, 1);
    let consumers = 0;
    let producers = 0;
    for (const t of h.transports) {
      consumers += t.consumers.size;
      producers += t.producers.size;
      for (const p of t.producers.values())
        assert.equal(p.consumers.size, 0, 'no consumer left on the host’s producers');
    }
    assert.equal(consumers, 0, 'no consumer left on the host’s subscribe transport');
    assert.equal(producers, 2, 'the host’s own two producers');
    // Slots are recycled: the host's subscribe SDP never grew past one guest's worth of m-lines (plus recycling slack).
    assert.ok(maxHostMlines <= 4, `host subscribe m-lines stayed bounded (${maxHostMlines})`);
    assert.equal(h.server.stats.drops.get('srtp_auth_failed') ?? 0, 0);
    await host.leave();
    assert.equal(h.service.roomCount, 0, 'the last one out closes the room');
    assert.equal(h.server.transportCount, 0);
  } finally {
    await h.close();
  }
  // Nothing of ours keeps the event loop alive: no sockets, servers or intervals.
  await new Promise<void>((r) => setTimeout(r, 50));
  const left = process.getActiveResourcesInfo().filter((r) => /UDP|TCP/i.test(r));
  assert.deepEqual(left, [], `open handles after close: ${left.join(', ')}`);
});
