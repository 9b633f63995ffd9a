/**
 * ICE restart through the SFU in Chromium (RFC 8445 §9): the server offers new ICE
 * credentials on Ada's subscribe connection (what `resubscribe { iceRestart: true }` asks
 * for), with the same o= session; Chromium accepts the offer, runs new checks, and Bea's
 * media keeps arriving on the same peer connection. Then Ada's publish connection restarts
 * ICE from the browser side (`pc.restartIce()` → a new publish offer) and Bea keeps
 * receiving Ada.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Harness, join, localParticipantId, type Person, uniqueRoom } from './harness/index.ts';
import { waitForSfuRemotes } from './harness/sfu.ts';

let h: Harness;
let ada: Person;
let bea: Person;
const room = uniqueRoom('sfu-restart');

before(async () => {
  h = await Harness.start({ server: { sfu: true } });
  ada = await h.person('Ada');
  bea = await h.person('Bea');
});
after(() => h?.close());

/** `[o= session id, ICE ufrag]` of a peer connection's remote description. */
function remoteIdentity(page: Person['page'], index: number): Promise<[string, string]> {
  return page.evaluate((i) => {
    type PcLike = { remoteDescription: { sdp: string } | null };
    const room = (globalThis as unknown as { itda: { room: { peerConnections: PcLike[] } } }).itda.room;
    const sdp = room.peerConnections[i]?.remoteDescription?.sdp ?? '';
    return [/^o=\S+ (\d+)/m.exec(sdp)?.[1] ?? '', /a=ice-ufrag:(\S+)/.exec(sdp)?.[1] ?? ''] as [string, string];
  }, index);
}

test('a server-side ICE restart of the subscribe connection keeps the session and the media', async () => {
  await join(ada.page, h.url, room, 'Ada');
  await join(bea.page, h.url, room, 'Bea');
  const before = await waitForSfuRemotes(ada.page, ['Bea']);
  const [session0, ufrag0] = await remoteIdentity(ada.page, 1);
  const adaId = await localParticipantId(ada.page);
  assert.ok(adaId);
  h.server.sfu?.service.resubscribe(room, adaId, { type: 'resubscribe', iceRestart: true });
  const above = new Map(before.remotes.map((r) => [r.name, r]));
  await waitForSfuRemotes(ada.page, ['Bea'], { above });
  const [session1, ufrag1] = await remoteIdentity(ada.page, 1);
  assert.equal(session1, session0, 'same o= session id');
  assert.notEqual(ufrag1, ufrag0, 'new ICE credentials');
  // And media keeps flowing after the new checks.
  const later = await waitForSfuRemotes(ada.page, ['Bea'], { above });
  await waitForSfuRemotes(ada.page, ['Bea'], { above: new Map(later.remotes.map((r) => [r.name, r])) });
});

test('a browser-side ICE restart of the publish connection: the others keep receiving', async () => {
  const before = await waitForSfuRemotes(bea.page, ['Ada']);
  const [, ufrag0] = await remoteIdentity(ada.page, 0);
  await ada.page.evaluate(() => {
    type PcLike = { restartIce(): void };
    (
      globalThis as unknown as { itda: { room: { peerConnections: PcLike[] } } }
    ).itda.room.peerConnections[0]?.restartIce();
  });
  const above = new Map(before.remotes.map((r) => [r.name, r]));
  const after1 = await waitForSfuRemotes(bea.page, ['Ada'], { above });
  await waitForSfuRemotes(bea.page, ['Ada'], { above: new Map(after1.remotes.map((r) => [r.name, r])) });
  const [, ufrag1] = await remoteIdentity(ada.page, 0);
  assert.notEqual(ufrag1, ufrag0, 'the SFU answered with new ICE credentials');
});
