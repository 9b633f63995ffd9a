/**
 * Invitation links in Chromium (issue 12): a server that requires tokens
 * (`--no-open-rooms --jwt-secret`), links made by `itda token --url`, and every way a
 * link can fail. The token rides in the URL fragment and leaves the address bar; the
 * token's name fills the form; two invited people see each other; someone without a link
 * is told they need one; an expired, damaged, wrong-room or forged link gets a page that
 * says which; a person removed through the room API sees that they were removed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { runCli } from '@itda/server';
import { signRoomToken } from '@itda/signal';
import type { Page } from 'playwright-core';
import { button, Harness, localParticipantId, uniqueRoom, waitForJoined, waitForRemoteMedia } from './harness/index.ts';

const SECRET = 'invitation-test-secret';
const API_KEY = 'invitation-test-key';
let h: Harness;

before(async () => {
  h = await Harness.start({ server: { openRooms: false, jwtSecrets: [SECRET], apiKey: API_KEY, sfu: true } });
});

after(async () => {
  await h?.close();
});

async function link(room: string, identity: string, extra: string[] = []): Promise<string> {
  const out: string[] = [];
  const result = await runCli(
    ['token', '--room', room, '--identity', identity, '--secret', SECRET, '--url', h.url, ...extra],
    { stdout: (t) => out.push(t), stderr: (t) => out.push(t), env: {} },
  );
  assert.deepEqual(result, { code: 0 }, out.join(''));
  return out.join('').trim();
}

/** The end page's state (`data-end`) and heading. */
async function endPage(page: Page): Promise<{ kind: string | null; heading: string }> {
  const section = page.locator('[data-end]');
  await section.waitFor({ timeout: 20_000 });
  return { kind: await section.getAttribute('data-end'), heading: (await page.locator('h1').textContent()) ?? '' };
}

async function joinFromPrejoin(page: Page): Promise<void> {
  await button(page, 'Join').click();
}

test('two people join by their invitation links: the token leaves the address bar, its name fills the form, media flows', async () => {
  const room = uniqueRoom('invite');
  const ada = await h.person('Ada');
  const grace = await h.person('Grace');
  await ada.page.goto(await link(room, 'ada', ['--name', 'Ada Lovelace']));
  await button(ada.page, 'Join').waitFor();
  assert.equal(new URL(ada.page.url()).hash, '', 'the token is gone from the address bar');
  const name = ada.page.getByLabel('Display name', { exact: true });
  assert.equal(await name.inputValue(), 'Ada Lovelace');
  assert.equal(await name.getAttribute('readonly'), '', 'a name set by the invitation is fixed');
  await grace.page.goto(await link(room, 'grace'));
  await button(grace.page, 'Join').waitFor();
  await grace.page.getByLabel('Display name', { exact: true }).fill('Grace');
  await Promise.all([joinFromPrejoin(ada.page), joinFromPrejoin(grace.page)]);
  await Promise.all([waitForJoined(ada.page), waitForJoined(grace.page)]);
  for (const person of [ada, grace]) await waitForRemoteMedia(person.page, { count: 1, timeoutMs: 30_000 });

  // Removed through the room API: Grace's page says so, without a Rejoin button.
  const graceId = await localParticipantId(grace.page);
  assert.ok(graceId);
  const res = await fetch(`${h.url}/api/rooms/${room}/participants/${graceId}`, {
    method: 'DELETE',
    headers: { authorization: `Bearer ${API_KEY}` },
  });
  assert.equal(res.status, 204);
  assert.deepEqual(await endPage(grace.page), { kind: 'removed', heading: 'You were removed from the room' });
  assert.equal(await button(grace.page, 'Rejoin').count(), 0);
  await h.dismiss(ada);
  await h.dismiss(grace);
});

test('without a link, or with an expired, damaged, wrong-room or forged one, the page says which', async () => {
  const room = uniqueRoom('invite-bad');
  const person = await h.person('Eve');
  const page = person.page;

  await page.goto(`${h.url}/r/${room}`);
  await joinFromPrejoin(page);
  assert.deepEqual(await endPage(page), {
    kind: 'needs_invitation',
    heading: 'You need an invitation link to join',
  });

  const expired = signRoomToken(SECRET, { room, identity: 'eve', ttlSeconds: 60, now: () => Date.now() - 3_600_000 });
  await page.goto(`${h.url}/r/${room}#token=${expired}`);
  assert.deepEqual(await endPage(page), { kind: 'invitation_expired', heading: 'This invitation link has expired' });

  await page.goto(`${h.url}/r/${room}#token=not.a-token`);
  assert.deepEqual(await endPage(page), { kind: 'invitation_malformed', heading: 'This invitation link is damaged' });

  const other = signRoomToken(SECRET, { room: 'another-room', identity: 'eve' });
  await page.goto(`${h.url}/r/${room}#token=${other}`);
  assert.deepEqual(await endPage(page), {
    kind: 'invitation_wrong_room',
    heading: 'This invitation is for another room',
  });

  const forged = signRoomToken('not-the-secret', { room, identity: 'eve' });
  await page.goto(`${h.url}/r/${room}#token=${forged}`);
  await joinFromPrejoin(page);
  assert.deepEqual(await endPage(page), { kind: 'invitation_invalid', heading: 'This invitation link does not work' });
  await h.dismiss(person);
});
