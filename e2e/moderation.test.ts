/**
 * Moderation and the lobby in Chromium (issue 12): the first person into an open room
 * hosts it. From the People panel the host mutes someone (who sees who did it and may
 * unmute), turns the lobby on, admits one newcomer and denies another (each newcomer
 * waits on "Waiting to be let in…"), and removes someone who came by invitation — whose
 * page names the host, and whose invitation no longer gets in.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { signRoomToken } from '@itda/signal';
import type { Page } from 'playwright-core';
import {
  button,
  Harness,
  join,
  localParticipantId,
  uniqueRoom,
  waitFor,
  waitForJoined,
  waitForRemoteMedia,
} from './harness/index.ts';

const SECRET = 'moderation-e2e-secret';
let h: Harness;

before(async () => {
  h = await Harness.start({ server: { sfu: true, jwtSecrets: [SECRET] } });
});
after(async () => {
  await h?.close();
});

async function endPage(page: Page): Promise<{ kind: string | null; heading: string }> {
  const section = page.locator('[data-end]');
  await section.waitFor({ timeout: 20_000 });
  return { kind: await section.getAttribute('data-end'), heading: (await page.locator('h1').textContent()) ?? '' };
}

/** Opens /r/<room> and clicks Join, without waiting for `joined` (a newcomer may wait in the lobby). */
async function knock(page: Page, room: string, name: string): Promise<void> {
  await page.goto(`${h.url}/r/${room}`);
  await page.getByLabel('Display name', { exact: true }).fill(name);
  await button(page, 'Join').click();
}

test('a host mutes, runs the lobby (admit and deny) and removes someone, all from the People panel', async () => {
  const room = uniqueRoom('moderation');
  const ada = await h.person('Ada');
  const bob = await h.person('Bob');
  await join(ada.page, h.url, room, 'Ada');
  const adaId = await localParticipantId(ada.page);
  assert.equal(
    await ada.page.evaluate(() => (globalThis as unknown as { itda: { room: { isHost: boolean } } }).itda.room.isHost),
    true,
  );
  // Bob comes by invitation (open rooms take tokens too): his identity is what a removal bans.
  const bobToken = signRoomToken(SECRET, { room, identity: 'bob', name: 'Bob' });
  await bob.page.goto(`${h.url}/r/${room}#token=${bobToken}`);
  await button(bob.page, 'Join').click();
  await waitForJoined(bob.page);
  await waitForRemoteMedia(ada.page, { count: 1, timeoutMs: 30_000 });

  await button(ada.page, 'People').click();
  await ada.page.getByRole('button', { name: 'Mute Bob', exact: true }).click();
  await bob.page.getByText('Ada turned off your microphone').waitFor();
  assert.equal(await button(bob.page, 'Mute').getAttribute('aria-pressed'), 'true');

  // Kept muted: Bob cannot turn it on, and the SFU forwards none of his microphone until Ada allows it.
  await ada.page.getByRole('button', { name: 'Keep Bob muted', exact: true }).click();
  await bob.page.getByText('Ada turned off your microphone until they allow it again').waitFor();
  await waitFor(async () => ((await button(bob.page, 'Mute').isDisabled()) ? true : undefined), {
    timeoutMs: 10_000,
    what: "Bob's Mute button disabled",
  });
  const bobMic = (): boolean | undefined =>
    [...(h.server.sfu?.service.routerFor(room)?.producers() ?? [])].find(
      (p) => p.source === 'microphone' && p.participantId !== adaId,
    )?.paused;
  assert.equal(bobMic(), true, 'the SFU holds his microphone');
  await ada.page.getByRole('button', { name: "Allow Bob's microphone", exact: true }).click();
  await bob.page.getByText('Ada let you turn your microphone on again').waitFor();
  await waitFor(async () => ((await button(bob.page, 'Mute').isEnabled()) ? true : undefined), {
    timeoutMs: 10_000,
    what: "Bob's Mute button enabled",
  });
  assert.equal(bobMic(), false);

  // The lobby: Cy waits and is admitted; Dee waits and is denied.
  await button(ada.page, 'Lobby').click();
  await ada.page.waitForSelector('button[aria-pressed="true"]:text-is("Lobby")');
  const cy = await h.person('Cy');
  await knock(cy.page, room, 'Cy');
  await cy.page.getByText('Waiting to be let in…').waitFor();
  await ada.page.getByRole('button', { name: 'Admit Cy', exact: true }).click();
  await waitForJoined(cy.page);
  await waitForRemoteMedia(cy.page, { count: 2, timeoutMs: 30_000 });
  const dee = await h.person('Dee');
  await knock(dee.page, room, 'Dee');
  await dee.page.getByText('Waiting to be let in…').waitFor();
  await ada.page.getByRole('button', { name: 'Deny Dee', exact: true }).click();
  assert.deepEqual(await endPage(dee.page), { kind: 'refused', heading: 'You were not let in' });

  // Removal: Bob's page names Ada; his invitation no longer gets him in.
  await ada.page.getByRole('button', { name: 'Remove Bob', exact: true }).click();
  assert.deepEqual(await endPage(bob.page), { kind: 'removed', heading: 'You were removed from the room by Ada' });
  await bob.page.goto(`${h.url}/r/${room}#token=${bobToken}`);
  await button(bob.page, 'Join').click();
  assert.deepEqual(await endPage(bob.page), { kind: 'banned', heading: 'You were removed from this room' });
  for (const p of [ada, bob, cy, dee]) await h.dismiss(p);
});
