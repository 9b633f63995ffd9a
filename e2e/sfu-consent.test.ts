/**
 * A participant who vanishes without a goodbye from an sfu room, in Chromium, with a short
 * consent freshness timeout (`rtcConsentTimeoutMs` 5 s; RFC 7675 §5.1: no authenticated
 * check for that long → the transport is closed).
 *
 * With a signaling resume grace (15 s) longer than consent, consent freshness is what frees
 * the media: both of the vanished participant's transports close with
 * `ice_consent_expired` within 5 s + margin, whether its browser profile was closed
 * (`context.close()`, no Leave: Chromium sends no DTLS close_notify then) or its renderer
 * crashed (`chrome://crash`); the other page's tile for it goes away when the grace ends.
 * With a grace (2 s) shorter than consent, the signaling removes it first: the tile goes
 * away after the grace and the transports are freed (`participant_left`) well within the
 * consent timeout.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { Harness, join, localParticipantId, type Person, tile, uniqueRoom, waitFor } from './harness/index.ts';
import { sfuCounts, waitForSfuCounts, waitForSfuRemotes } from './harness/sfu.ts';

const CONSENT_MS = 5_000;
const GRACE_MS = 15_000;
/** Time allowed beyond a timeout: the SFU's 20 ms tick, the page's polling, a busy two-core machine. */
const MARGIN_MS = 4_000;

let h: Harness;
before(async () => {
  h = await Harness.start({ server: { sfu: true, rtcConsentTimeoutMs: CONSENT_MS, resumeGraceMs: GRACE_MS } });
});
after(async () => {
  await h?.close();
});

interface Closed {
  role: string;
  reason: string;
  afterMs: number;
}

/** Records when and why `participantId`'s publish and subscribe transports close, from `since`. */
function watchTransports(room: string, participantId: string, since: () => number): Closed[] {
  const closed: Closed[] = [];
  const service = h.server.sfu?.service;
  assert.ok(service);
  for (const role of ['publish', 'subscribe'] as const) {
    const t = service.transportOf(room, participantId, role);
    assert.ok(t, `${participantId} has a ${role} transport`);
    t.on('closed', (reason) => closed.push({ role, reason, afterMs: Date.now() - since() }));
  }
  return closed;
}

async function pair(label: string): Promise<{ room: string; ada: Person; bea: Person; beaId: string }> {
  const room = uniqueRoom(label);
  const ada = await h.person('Ada');
  const bea = await h.person('Bea');
  await join(ada.page, h.url, room, 'Ada');
  await join(bea.page, h.url, room, 'Bea');
  await waitForSfuRemotes(ada.page, ['Bea']);
  await waitForSfuRemotes(bea.page, ['Ada']);
  const beaId = await localParticipantId(bea.page);
  assert.ok(beaId !== undefined);
  return { room, ada, bea, beaId };
}

async function check(t: { diagnostic(s: string): void }, label: string, vanish: (bea: Person) => Promise<void>) {
  const { room, ada, bea, beaId } = await pair(label);
  let at = 0;
  const closed = watchTransports(room, beaId, () => at);
  assert.deepEqual(sfuCounts(h.server), { rtcTransports: 4, serviceTransports: 4, rooms: 1 });
  at = Date.now();
  await vanish(bea);
  await waitFor(() => closed.length === 2, {
    timeoutMs: CONSENT_MS + MARGIN_MS,
    intervalMs: 50,
    what: "Bea's two transports closed",
  });
  t.diagnostic(`${label}: ${JSON.stringify(closed)}`);
  for (const c of closed) assert.ok(c.afterMs <= CONSENT_MS + MARGIN_MS, `${c.role} freed in time`);
  // Only Ada's are left (her subscribe transport too may be gone: with no remote track, Chromium closes it).
  const left = await waitFor(
    () => {
      const c = sfuCounts(h.server);
      return c.rtcTransports <= 2 && c.rtcTransports === c.serviceTransports ? c : undefined;
    },
    { timeoutMs: 5_000, what: "only Ada's transports" },
  );
  t.diagnostic(`${label}: after its transports closed ${JSON.stringify(left)}`);
  await tileGone(ada.page, beaId, GRACE_MS + MARGIN_MS - (Date.now() - at));
  t.diagnostic(`${label}: Bea's tile gone after ${Date.now() - at} ms`);
  await ada.page.getByRole('button', { name: 'Leave', exact: true }).click();
  await waitForSfuCounts(h.server, { rtcTransports: 0, serviceTransports: 0, rooms: 0 });
  await h.dismiss(ada);
  return closed;
}

async function tileGone(page: Page, id: string, timeoutMs: number): Promise<void> {
  await tile(page, id).waitFor({ state: 'detached', timeout: Math.max(1_000, timeoutMs) });
}

test('a page closed without Leave: consent freshness frees its transports, then its tile goes away', async (t) => {
  const closed = await check(t, 'sfu-closed', (bea) => h.dismiss(bea));
  assert.deepEqual(
    closed.map((c) => c.reason),
    ['ice_consent_expired', 'ice_consent_expired'],
  );
});

test('a crashed page (no goodbye at all): consent freshness frees its transports, then its tile goes away', async (t) => {
  const closed = await check(t, 'sfu-crash', async (bea) => {
    await bea.page.goto('chrome://crash').catch(() => undefined); // the renderer dies: the navigation fails
    await h.dismiss(bea);
  });
  assert.deepEqual(
    closed.map((c) => c.reason),
    ['ice_consent_expired', 'ice_consent_expired'],
  );
});

test('a resume grace shorter than consent: the signaling removes the participant first, its transports go with it', async (t) => {
  const shortGrace = 2_000;
  const other = h;
  h = await Harness.start({ server: { sfu: true, rtcConsentTimeoutMs: CONSENT_MS, resumeGraceMs: shortGrace } });
  try {
    const closed = await check(t, 'sfu-grace', (bea) => h.dismiss(bea));
    for (const c of closed) {
      assert.equal(c.reason, 'participant_left');
      assert.ok(c.afterMs <= shortGrace + MARGIN_MS, `${c.role} freed with the participant`);
    }
  } finally {
    await h.close();
    h = other;
  }
});
