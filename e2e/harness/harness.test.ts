/**
 * The harness checked on its own, without itda: a static page on 127.0.0.1 connects two
 * RTCPeerConnections to each other (fake camera and microphone) and exposes the
 * receiving one as `window.itda.room.participants`, the shape the web app provides.
 * The media probes, the selected-pair reader, the first-frame timer and the DOM
 * recorders must all see it.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { launchBrowser, newPerson, unexpectedErrors } from './browser.ts';
import { recordNextClick, removedTiles, seenAt, timeToFirstRemoteFrame, watchFor, watchTileRemovals } from './dom.ts';
import { isLoopbackAddress, readSelectedPairs, waitForRemoteMedia } from './media.ts';

const PAGE = `<!doctype html><meta charset="utf-8"><title>harness</title>
<button id="join">Join</button><div id="tiles"><div data-participant-id="p1">X<video></video></div></div>
<script type="module">
const room = { participants: new Map() };
window.itda = { room };
document.getElementById('join').addEventListener('click', async () => {
  const stream = await navigator.mediaDevices.getUserMedia({ audio: true, video: true });
  const a = new RTCPeerConnection();
  const b = new RTCPeerConnection();
  a.onicecandidate = (e) => e.candidate && b.addIceCandidate(e.candidate);
  b.onicecandidate = (e) => e.candidate && a.addIceCandidate(e.candidate);
  for (const t of stream.getTracks()) a.addTrack(t, stream);
  room.participants.set('p1', { id: 'p1', name: 'X', pc: b });
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription);
  const s = document.createElement('p');
  s.setAttribute('role', 'status');
  s.textContent = 'Reconnecting…';
  document.body.append(s);
  setTimeout(() => { s.remove(); document.querySelector('[data-participant-id="p1"]').remove(); }, 50);
});
</script>`;

let http: Server;
let origin = '';
let browser: Browser | undefined;

before(async () => {
  http = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(http.address() as AddressInfo).port}`;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  await new Promise((resolve) => http.close(resolve));
});

test('harness probes see media, the selected pair, the first frame and transient DOM', async () => {
  assert.ok(browser);
  const person = await newPerson(browser, origin, 'X');
  const { page } = person;
  await page.goto(`${origin}/`);
  await watchFor(page, 'banner', '[role="status"]', 'Reconnecting…');
  await watchTileRemovals(page);
  await recordNextClick(page, 'Join');
  await page.getByRole('button', { name: 'Join', exact: true }).click();

  const ms = await timeToFirstRemoteFrame(page);
  assert.ok(ms > 0 && ms < 20_000);
  const [media] = await waitForRemoteMedia(page);
  assert.ok(media && media.audioPacketsReceived > 0 && media.videoFramesDecoded > 0);
  assert.equal(media.id, 'p1');
  const pairs = await readSelectedPairs(page);
  assert.equal(pairs.length, 1);
  assert.ok(pairs[0] && isLoopbackAddress(pairs[0].local.address) && isLoopbackAddress(pairs[0].remote.address));
  assert.notEqual(await seenAt(page, 'banner'), undefined);
  assert.deepEqual(await removedTiles(page), ['p1']);
  assert.deepEqual(unexpectedErrors(person), []);
  await person.context.close();
});
