/**
 * Content from another participant never runs in itda's origin (issue 10, hole 6): a
 * received `meeting-notes.html` (sent as `text/html`, its bytes a `<script>`) is a
 * download even when its `blob:` link is opened in a new tab, and the app's
 * Content-Security-Policy — which `blob:` documents inherit — blocks inline script in any
 * HTML the origin might render. The pages themselves (landing, pre-join, meeting with
 * chat, a file and stats, lab) run under that policy without one violation.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import {
  button,
  chatLog,
  Harness,
  join,
  openChat,
  type Person,
  receivedFileDigest,
  sendChat,
  unexpectedErrors,
  uniqueRoom,
  waitFor,
  waitForChat,
  waitForRemoteMedia,
} from './harness/index.ts';

/** The localStorage key the hostile file's script would set in the origin that runs it. */
const MARKER = 'itda-e2e-pwned';
const HOSTILE_HTML = `<!doctype html><title>notes</title><script>localStorage.setItem('${MARKER}', document.cookie + 'ran'); document.title = 'pwned';</script><p>notes</p>`;

let h: Harness;
before(async () => {
  h = await Harness.start();
});
after(() => h?.close());

/** Records `securitypolicyviolation` events of every document of `context` into `window.__cspViolations`. */
async function recordCspViolations(context: BrowserContext): Promise<void> {
  await context.addInitScript(() => {
    interface Violation {
      violatedDirective: string;
      blockedURI: string;
      sourceFile: string;
      lineNumber: number;
    }
    const g = globalThis as unknown as {
      __cspViolations: string[];
      document: { addEventListener(type: string, fn: (e: Violation) => void): void };
    };
    const list: string[] = [];
    g.__cspViolations = list;
    g.document.addEventListener('securitypolicyviolation', (e) => {
      list.push(`${e.violatedDirective} blocked ${e.blockedURI || 'inline'} (${e.sourceFile}:${e.lineNumber})`);
    });
  });
}

function cspViolations(page: Page): Promise<string[]> {
  return page.evaluate(() => (globalThis as unknown as { __cspViolations?: string[] }).__cspViolations ?? []);
}

function marker(page: Page): Promise<string | null> {
  return page.evaluate((key) => localStorage.getItem(key), MARKER);
}

/** Opens `url` in a new tab from `page` (as "Open link in new tab" would: the app is the initiator). */
async function openInNewTab(person: Person, url: string): Promise<Page> {
  const [tab] = await Promise.all([
    person.context.waitForEvent('page', { timeout: 15_000 }),
    person.page.evaluate((href) => {
      (globalThis as unknown as { open(url: string, target: string): unknown }).open(href, '_blank');
    }, url),
  ]);
  return tab;
}

async function twoInACall(label: string): Promise<{ ada: Person; bea: Person }> {
  const ada = await h.person('Ada');
  const bea = await h.person('Bea');
  await recordCspViolations(ada.context);
  await recordCspViolations(bea.context);
  const room = uniqueRoom(label);
  await join(ada.page, h.url, room, 'Ada');
  await join(bea.page, h.url, room, 'Bea');
  // Media both ways, then a chat message: the data channel for files is open.
  await waitForRemoteMedia(ada.page);
  await waitForRemoteMedia(bea.page);
  await sendChat(ada.page, 'hello from Ada');
  await waitForChat(bea.page, 'hello from Ada', 20_000);
  return { ada, bea };
}

test('a received .html file is an octet-stream download: opened in a new tab, its script never runs in the app origin', async () => {
  const { ada, bea } = await twoInACall('html-file');
  await openChat(ada.page);
  await ada.page
    .getByLabel('Send file', { exact: true })
    .setInputFiles({ name: 'meeting-notes.html', mimeType: 'text/html', buffer: Buffer.from(HOSTILE_HTML) });
  const got = await receivedFileDigest(bea.page, 'meeting-notes.html');
  assert.equal(got.size, Buffer.byteLength(HOSTILE_HTML), 'the bytes arrive intact');

  const link = chatLog(bea.page).locator('a[download="meeting-notes.html"]').first();
  assert.equal(await link.getAttribute('download'), 'meeting-notes.html');
  const href = (await link.getAttribute('href')) ?? '';
  assert.match(href, /^blob:/);
  const blobType = await bea.page.evaluate(async (url) => (await (await fetch(url)).blob()).type, href);
  assert.equal(blobType, 'application/octet-stream', 'the blob is never typed by its sender');

  // The attack: open the link in a new tab, which ignores `download`. The browser must
  // download it (Chromium reports the download on the opener and closes the empty tab);
  // rendered, its script would set MARKER in the app origin's localStorage.
  const download = bea.page.waitForEvent('download', { timeout: 20_000 });
  await bea.page.evaluate((url) => {
    (globalThis as unknown as { open(url: string, target: string): unknown }).open(url, '_blank');
  }, href);
  let decided = false;
  const outcome = await Promise.race([
    download.then((d) => `downloaded ${d.url()}`),
    // null (no marker yet) keeps waitFor polling; 'stopped' ends it once the download won.
    waitFor(async () => (decided ? 'stopped' : ((await marker(bea.page)) ?? undefined)), {
      timeoutMs: 20_000,
      what: 'the script to run',
    }).then((m) => `script ran: ${m}`),
  ]);
  decided = true;
  assert.equal(outcome, `downloaded ${href}`);
  assert.equal(await marker(bea.page), null, 'the file’s script ran with the app’s localStorage');

  assert.deepEqual(await cspViolations(ada.page), []);
  assert.deepEqual(await cspViolations(bea.page), []);
  assert.deepEqual(unexpectedErrors(ada), []);
  assert.deepEqual(unexpectedErrors(bea), []);
  await h.dismiss(ada);
  await h.dismiss(bea);
});

test('CSP: an HTML blob the app opens cannot run inline script (a blob: document inherits the page policy)', async () => {
  const ada = await h.person('Ada');
  // What the blob document's console says (its own securitypolicyviolation event comes too early to record).
  const refused: string[] = [];
  ada.context.on('console', (m) => {
    if (m.location().url.startsWith('blob:') && /Content Security Policy/.test(m.text())) refused.push(m.text());
  });
  await ada.page.goto(`${h.url}/`);
  await button(ada.page, 'Create room').waitFor();
  // What a future bug (or the old SDK) could hand to a tab: a blob typed text/html.
  const url = await ada.page.evaluate(
    (html) => URL.createObjectURL(new Blob([html], { type: 'text/html' })),
    HOSTILE_HTML,
  );
  const tab = await openInNewTab(ada, url);
  await tab.waitForLoadState('load', { timeout: 15_000 });
  const blocked = await waitFor(() => refused.find((text) => /script-src/.test(text)), {
    timeoutMs: 10_000,
    what: 'the blob document to report its inline script blocked by script-src',
  });
  assert.match(blocked, /inline script/i);
  assert.notEqual(await tab.title(), 'pwned');
  assert.equal(await marker(ada.page), null, 'the inline script ran in the app origin');
  await tab.close();
  await h.dismiss(ada);
});

test('CSP: landing, pre-join, meeting (chat, file, stats) and lab pages run without a policy violation', async () => {
  const headers = (await fetch(`${h.url}/r/x`)).headers;
  assert.match(headers.get('content-security-policy') ?? '', /script-src 'self'/);

  const { ada, bea } = await twoInACall('csp-pages');
  await ada.page
    .getByLabel('Send file', { exact: true })
    .setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('notes') });
  await receivedFileDigest(bea.page, 'notes.txt');
  await button(bea.page, 'Stats').click();
  await bea.page.getByRole('region', { name: 'Stats', exact: true }).waitFor();

  const lab = await h.person('Lab');
  await recordCspViolations(lab.context);
  await lab.page.goto(`${h.url}/`);
  await button(lab.page, 'Create room').waitFor();
  assert.deepEqual(await cspViolations(lab.page), [], 'landing page');
  await lab.page.goto(`${h.url}/lab`);
  const result = lab.page.getByRole('region', { name: 'Result', exact: true });
  await result.waitFor();
  await button(lab.page, 'getUserMedia').click();
  await waitFor(async () => /video/i.test((await result.textContent()) ?? ''), {
    timeoutMs: 10_000,
    what: 'the lab to show the getUserMedia stream',
  });
  assert.deepEqual(await cspViolations(lab.page), [], 'lab page');

  for (const person of [ada, bea]) assert.deepEqual(await cspViolations(person.page), [], `${person.name}'s meeting`);
  for (const person of [ada, bea, lab]) assert.deepEqual(unexpectedErrors(person), [], person.name);
  await h.dismiss(ada);
  await h.dismiss(bea);
  await h.dismiss(lab);
});
