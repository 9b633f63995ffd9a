/**
 * A certificate renewed during a call (issue 12): `itda serve --tls-cert/--tls-key` as a
 * real process on loopback, two Chromium pages in a call over HTTPS (Chromium pins both
 * certificates' public keys), then new files and SIGHUP. The call goes on — media keeps
 * flowing on both pages — and a new TLS connection gets the new certificate.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join as joinPath } from 'node:path';
import { after, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { selfSignedCertificate, spkiSha256 } from '@itda/common/node';
import { servedFingerprint } from '@itda/common/node-testing';
import type { Browser } from 'playwright-core';
import {
  byId,
  join,
  launchBrowser,
  newPerson,
  type Person,
  unexpectedErrors,
  waitForRemoteMedia,
} from './harness/index.ts';
import { jsonLine } from './harness/netns.ts';

const ITDA = fileURLToPath(new URL('../packages/server/bin/itda.js', import.meta.url));
const dir = mkdtempSync(joinPath(tmpdir(), 'itda-https-reload-'));
let child: ChildProcess | undefined;
let browser: Browser | undefined;

after(async () => {
  await browser?.close();
  child?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

test('SIGHUP during a call: the call goes on, new connections get the new certificate', async () => {
  const first = selfSignedCertificate({ hosts: ['localhost', '127.0.0.1'] });
  const second = selfSignedCertificate({ hosts: ['localhost', '127.0.0.1'] });
  const cert = joinPath(dir, 'cert.pem');
  const key = joinPath(dir, 'key.pem');
  writeFileSync(cert, first.cert);
  writeFileSync(key, first.key);
  child = spawn(
    process.execPath,
    [
      ITDA,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--rtc-port',
      '0',
      '--no-turn',
      '--log-format',
      'json',
      '--tls-cert',
      cert,
      '--tls-key',
      key,
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  const listening = await jsonLine<{ url?: string; port?: number }>(child, (l) => l.msg === 'listening');
  const url = listening.url ?? '';
  const port = listening.port ?? 0;
  assert.match(url, /^https:\/\/127\.0\.0\.1:\d+$/);
  assert.equal(await servedFingerprint(port), first.fingerprint256);

  browser = await launchBrowser([
    `--ignore-certificate-errors-spki-list=${spkiSha256(first.cert)},${spkiSha256(second.cert)}`,
  ]);
  const people: Person[] = [];
  for (const name of ['Ada', 'Grace']) people.push(await newPerson(browser, url, name));
  await Promise.all(people.map((p) => join(p.page, url, 'renewal', p.name)));
  const before = await Promise.all(people.map((p) => waitForRemoteMedia(p.page, { count: 1, timeoutMs: 30_000 })));

  writeFileSync(cert, second.cert);
  writeFileSync(key, second.key);
  const reloaded = jsonLine<{ fingerprint256?: string }>(child, (l) => l.msg === 'tls certificate reloaded');
  child.kill('SIGHUP');
  assert.equal((await reloaded).fingerprint256, second.fingerprint256);
  assert.equal(await servedFingerprint(port), second.fingerprint256, 'new connections get the new certificate');
  for (const [i, person] of people.entries()) {
    await waitForRemoteMedia(person.page, { count: 1, above: byId(before[i] ?? []), timeoutMs: 30_000 });
    assert.equal(
      await person.page.evaluate(
        () => (globalThis as unknown as { itda: { room: { connectionState: string } } }).itda.room.connectionState,
      ),
      'connected',
    );
    assert.deepEqual(unexpectedErrors(person), []);
  }
  for (const p of people) await p.context.close();
});
