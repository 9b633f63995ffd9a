/**
 * Another machine of a LAN joins over HTTPS with no browser flag that weakens security
 * (issue 12): a lab of two network namespaces joined by a veth pair —
 *
 *   [srv] itda --tls self-signed on 10.231.7.1:8443 ── veth ── 10.231.7.2 [cli] Chromium, two pages
 *
 * Chromium runs inside `cli` and trusts the server's generated certificate only by its
 * public-key pin (`--ignore-certificate-errors-spki-list`, the `spkiSha256` itda logs);
 * no `--unsafely-treat-insecure-origin-as-secure`. The page must be a secure context, both
 * people must decode each other's video and receive audio, and the media must cross the
 * veth (selected candidate pairs on 10.231.7.x). Plain http:// to the same port lands on
 * https://. Needs root and `ip` (scripts/test.sh installs them).
 */
import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { type Browser, chromium } from 'playwright-core';
import {
  CHROMIUM_ARGS,
  CHROMIUM_PATH,
  join,
  newPerson,
  type Person,
  readSelectedPairs,
  unexpectedErrors,
  waitForRemoteMedia,
} from './harness/index.ts';
import { jsonLine, NetLab, netLabUnavailable } from './harness/netns.ts';

const ITDA = fileURLToPath(new URL('../packages/server/bin/itda.js', import.meta.url));
const unavailable = netLabUnavailable(['ip']);
const SERVER_IP = '10.231.7.1';
const CLIENT_IP = '10.231.7.2';
const PORT = 8443;
const ORIGIN = `https://${SERVER_IP}:${PORT}`;

const lab = new NetLab();
let dir: string | undefined;
let browser: Browser | undefined;
let spki = '';

before(async () => {
  if (unavailable !== undefined) return;
  await lab.ns('srv');
  await lab.ns('cli');
  await lab.link(
    { ns: 'srv', name: 's0', cidr: `${SERVER_IP}/24` },
    { ns: 'cli', name: 'c0', cidr: `${CLIENT_IP}/24` },
  );
  const server = lab.spawn('srv', [
    process.execPath,
    ITDA,
    '--tls',
    'self-signed',
    '--port',
    String(PORT),
    '--no-turn',
    '--log-format',
    'json',
  ]);
  const listening = await jsonLine<{ tls?: { spkiSha256?: string } }>(server, (l) => l.msg === 'listening');
  spki = listening.tls?.spkiSha256 ?? '';
  assert.ok(spki.length > 0, 'itda logs the certificate pin');
  // Chromium in the client namespace: playwright talks to it over inherited pipes, which `ip netns exec` keeps.
  dir = mkdtempSync(joinPath(tmpdir(), 'itda-https-lan-'));
  const wrapper = joinPath(dir, 'chromium-in-cli.sh');
  writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${lab.nsName('cli')} ${CHROMIUM_PATH} "$@"\n`);
  chmodSync(wrapper, 0o755);
  browser = await chromium.launch({
    executablePath: wrapper,
    args: [...CHROMIUM_ARGS, `--ignore-certificate-errors-spki-list=${spki}`],
    timeout: 30_000,
  });
});

after(async () => {
  await browser?.close();
  await lab.close();
  if (dir !== undefined) rmSync(dir, { recursive: true, force: true });
});

test('two people on another machine join over HTTPS by the server’s LAN address and see and hear each other', {
  skip: unavailable,
}, async () => {
  assert.ok(browser);
  const people: Person[] = [];
  try {
    for (const name of ['Ada', 'Grace']) people.push(await newPerson(browser, ORIGIN, name));
    const [ada, grace] = people;
    assert.ok(ada && grace);

    // http:// on the same port is redirected to https://.
    const response = await ada.page.goto(`http://${SERVER_IP}:${PORT}/`);
    assert.equal(new URL(ada.page.url()).protocol, 'https:');
    assert.equal(response?.status(), 200);
    assert.equal(
      await ada.page.evaluate(() => (globalThis as unknown as { isSecureContext: boolean }).isSecureContext),
      true,
      'a secure context: media allowed',
    );

    await Promise.all([join(ada.page, ORIGIN, 'lan', 'Ada'), join(grace.page, ORIGIN, 'lan', 'Grace')]);
    for (const person of people) {
      const media = await waitForRemoteMedia(person.page, { count: 1, timeoutMs: 30_000 });
      assert.equal(media.length, 1, `${person.name} sees one other person`);
      for (const pair of await readSelectedPairs(person.page)) {
        assert.match(pair.local.address, /^10\.231\.7\./, `${person.name}: media leaves by the LAN address`);
        assert.match(pair.remote.address, /^10\.231\.7\./, `${person.name}: media reaches the server's LAN address`);
      }
      assert.deepEqual(unexpectedErrors(person), []);
    }
  } finally {
    for (const p of people) await p.context.close();
  }
});
