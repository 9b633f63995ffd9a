/**
 * The landing page `/`: joining or creating a room navigates to `/r/<room>`, and at
 * phone width neither the landing page nor the pre-join page scrolls sideways; the
 * pre-join network check finds the embedded relay and no NAT on loopback.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { button, Harness, horizontalOverflow, startTestServer, unexpectedErrors, uniqueRoom } from './harness/index.ts';

const PHONE = { width: 360, height: 740 };

let h: Harness;
before(async () => {
  h = await Harness.start({ server: { sfu: true } });
});
after(() => h?.close());

test('Join room with a typed name navigates to /r/<name>', async () => {
  const ada = await h.person('Ada');
  const { page } = ada;
  await page.goto(`${h.url}/`);
  const room = uniqueRoom('landing');
  await page.getByLabel('Room name', { exact: true }).fill(room);
  await button(page, 'Join room').click();
  await page.waitForURL((url) => url.pathname === `/r/${room}`);
  await button(page, 'Join').waitFor();
  assert.deepEqual(unexpectedErrors(ada), []);
  await h.dismiss(ada);
});

test('the landing page tells the truth about this server: rooms through it, for up to 50 people', async () => {
  const ada = await h.person('Ada');
  await ada.page.goto(`${h.url}/`);
  await ada.page.getByText('through your own server').waitFor();
  await ada.page.getByText('rooms hold up to 50 people').waitFor();
  assert.equal(await ada.page.getByText('peer to peer').count(), 0);
  await h.dismiss(ada);
});

test('Create room navigates to /r/<name> with a valid room name', async () => {
  const ada = await h.person('Ada');
  const { page } = ada;
  await page.goto(`${h.url}/`);
  await button(page, 'Create room').click();
  await page.waitForURL((url) => /^\/r\/[A-Za-z0-9._~-]{1,64}$/.test(url.pathname));
  await button(page, 'Join').waitFor();
  assert.deepEqual(unexpectedErrors(ada), []);
  await h.dismiss(ada);
});

test('phone width: landing and pre-join pages have no horizontal overflow', async () => {
  const ada = await h.person('Ada', { viewport: PHONE });
  const { page } = ada;
  await page.goto(`${h.url}/`);
  await button(page, 'Create room').waitFor();
  assert.equal(await horizontalOverflow(page), 0, 'landing page overflows horizontally at 360 px');
  await page.goto(`${h.url}/r/${uniqueRoom('phone')}`);
  await button(page, 'Join').waitFor();
  await page.locator('video').first().waitFor();
  assert.equal(await horizontalOverflow(page), 0, 'pre-join page overflows horizontally at 360 px');
  assert.deepEqual(unexpectedErrors(ada), []);
  await h.dismiss(ada);
});

test('the pre-join network check on this machine: the relay over UDP and TCP, no TLS offered, no NAT', async () => {
  // A server with its embedded STUN/TURN (the CLI's default; the harness's starts without).
  const withTurn = await startTestServer({ turn: true, sfu: false });
  const ada = await h.person('Ada');
  try {
    await ada.context.grantPermissions(['camera', 'microphone'], { origin: withTurn.url });
    const { page } = ada;
    await page.goto(`${withTurn.url}/r/${uniqueRoom('check')}`);
    const section = page.locator('section.network-check[data-state="done"]');
    await section.waitFor({ timeout: 20_000 });
    const found = await section.evaluate((el) => ({
      ...(el as unknown as { dataset: Record<string, string> }).dataset,
    }));
    // A self-signed certificate gets no turns: URL (browsers refuse it), so TLS is "not offered".
    assert.deepEqual(
      { udp: found.udp, tcp: found.tcp, tls: found.tls, nat: found.nat },
      { udp: 'yes', tcp: 'yes', tls: 'not-offered', nat: 'none' },
    );
    assert.match((await section.textContent()) ?? '', /calls connect directly/);
    assert.deepEqual(unexpectedErrors(ada), []);
  } finally {
    await h.dismiss(ada);
    await withTurn.close();
  }
});
