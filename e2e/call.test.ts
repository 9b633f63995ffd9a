/**
 * A two-person call in real Chromium, end to end: both join `/r/<room>` and each
 * receives the other's audio and video (proved with getStats); chat both ways over the
 * data channel; a file arrives intact; a cut WebSocket resumes the same session while
 * the media keeps flowing; leave and rejoin. Prints join-to-first-remote-frame times.
 *
 * The tests run in order on one call; each assumes the previous ones passed.
 */
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import {
  button,
  byId,
  connectionState,
  Harness,
  isLoopbackAddress,
  join,
  localParticipantId,
  type Person,
  readRemoteMedia,
  readSelectedPairs,
  receivedFileDigest,
  recordRoomEvents,
  remoteIds,
  removedTiles,
  roomEvents,
  seenAt,
  sendChat,
  sendFile,
  tile,
  timeToFirstRemoteFrame,
  unexpectedErrors,
  uniqueRoom,
  waitFor,
  waitForChat,
  waitForRemoteMedia,
  watchFor,
  watchTileRemovals,
} from './harness/index.ts';

/** Browser messages expected after the WebSocket is cut on purpose. */
const CUT_NOISE = [/WebSocket/i, /ERR_CONNECTION/i];

let h: Harness;
let ada: Person;
let bea: Person;
const room = uniqueRoom('call');
/** Bea's participant id as Ada sees it. */
let beaId = '';

before(async () => {
  h = await Harness.start();
  ada = await h.person('Ada');
  bea = await h.person('Bea');
});
after(() => h?.close());

test('two people join and each receives the other’s audio and video', async (t) => {
  await join(ada.page, h.url, room, 'Ada');
  await join(bea.page, h.url, room, 'Bea');
  const firstFrameMs = await timeToFirstRemoteFrame(bea.page);
  const line = `join-to-first-remote-frame (2nd joiner, Join click → remote framesDecoded > 0): ${Math.round(firstFrameMs)} ms`;
  t.diagnostic(line);
  console.log(line);

  const [adaSees] = await waitForRemoteMedia(ada.page);
  const [beaSees] = await waitForRemoteMedia(bea.page);
  assert.ok(adaSees && beaSees);
  assert.equal(adaSees.name, 'Bea');
  assert.equal(beaSees.name, 'Ada');
  beaId = adaSees.id;
  t.diagnostic(`Ada receives from Bea: ${JSON.stringify(adaSees)}`);
  t.diagnostic(`Bea receives from Ada: ${JSON.stringify(beaSees)}`);

  // Each sees the other's tile, with a video and the name.
  for (const [page, id, name] of [
    [ada.page, adaSees.id, 'Bea'],
    [bea.page, beaSees.id, 'Ada'],
  ] as const) {
    const remote = tile(page, id);
    await remote.waitFor();
    assert.equal(await remote.locator('video').count(), 1);
    assert.match((await remote.textContent()) ?? '', new RegExp(name));
  }

  // Media goes over loopback only.
  for (const person of [ada, bea]) {
    const pairs = await readSelectedPairs(person.page);
    assert.equal(pairs.length, 1, `${person.name} has one selected candidate pair`);
    for (const pair of pairs) {
      t.diagnostic(`${person.name} selected pair: ${JSON.stringify(pair)}`);
      assert.ok(isLoopbackAddress(pair.local.address), `local candidate ${pair.local.address} is loopback`);
      assert.ok(isLoopbackAddress(pair.remote.address), `remote candidate ${pair.remote.address} is loopback`);
    }
  }
});

test('a chat message goes both ways over the data channel', async () => {
  const hello = `hello from Ada ${Math.random().toString(36).slice(2)}`;
  const reply = `hi Ada, Bea here ${Math.random().toString(36).slice(2)}`;
  await sendChat(ada.page, hello);
  await waitForChat(bea.page, hello);
  await sendChat(bea.page, reply);
  await waitForChat(ada.page, reply);
});

test('a 300 KiB file arrives intact (SHA-256)', async (t) => {
  const data = randomBytes(300 * 1024);
  const sha256 = createHash('sha256').update(data).digest('hex');
  const name = `random-${Date.now()}.bin`;
  await watchFor(ada.page, 'progress', 'progress');
  await watchFor(bea.page, 'progress', 'progress');
  await sendFile(ada.page, name, data);
  const got = await receivedFileDigest(bea.page, name);
  assert.equal(got.size, data.length);
  assert.equal(got.sha256, sha256);
  const progressShown =
    (await seenAt(ada.page, 'progress')) !== undefined || (await seenAt(bea.page, 'progress')) !== undefined;
  assert.ok(progressShown, 'a <progress> was shown during the transfer');
  t.diagnostic(`file ${name}: ${got.size} bytes, sha256 ${got.sha256}`);
});

test('a cut WebSocket resumes the same session and the call continues', async (t) => {
  assert.notEqual(beaId, '', 'the first test found Bea’s id');
  const beaOwnIdBefore = await localParticipantId(bea.page);
  if (beaOwnIdBefore !== undefined) assert.equal(beaOwnIdBefore, beaId);
  await watchTileRemovals(ada.page);
  await recordRoomEvents(ada.page, ['participantLeft', 'participantJoined']);
  await recordRoomEvents(bea.page, ['connectionStateChanged', 'rejoined', 'participantLeft']);
  await watchFor(bea.page, 'reconnecting', '[role="status"], output', 'Reconnecting…');
  const before = { ada: byId(await readRemoteMedia(ada.page)), bea: byId(await readRemoteMedia(bea.page)) };

  h.server.signal.dropConnection(beaId);

  await waitFor(() => seenAt(bea.page, 'reconnecting'), {
    timeoutMs: 10_000,
    intervalMs: 50,
    what: 'Bea’s “Reconnecting…” banner',
  });
  await waitFor(async () => (await connectionState(bea.page)) === 'connected', {
    timeoutMs: 20_000,
    what: 'Bea’s signaling to be connected again',
  });
  await bea.page.getByRole('status').filter({ hasText: 'Reconnecting…' }).waitFor({ state: 'hidden', timeout: 10_000 });

  // Same session: same participant id, and Ada never saw Bea leave.
  const beaOwnIdAfter = await localParticipantId(bea.page);
  if (beaOwnIdAfter === undefined)
    t.diagnostic('the Room does not expose its own participant id; checked from Ada’s side');
  else assert.equal(beaOwnIdAfter, beaId);
  assert.deepEqual(await remoteIds(ada.page), [beaId]);
  await tile(ada.page, beaId).waitFor();
  assert.deepEqual(await removedTiles(ada.page), [], 'no tile was removed from Ada’s page');
  assert.deepEqual(await roomEvents(ada.page), [], 'Ada’s Room saw nobody leave or join');
  const beaEvents = await roomEvents(bea.page);
  t.diagnostic(`Bea’s Room events: ${JSON.stringify(beaEvents.map((e) => `${e.name}:${e.arg}`))}`);
  const states = beaEvents.filter((e) => e.name === 'connectionStateChanged').map((e) => e.arg);
  assert.ok(states.includes('reconnecting'), `Bea’s connection went reconnecting (${states.join(' → ')})`);
  assert.equal(states.at(-1), 'connected');
  assert.deepEqual(
    beaEvents.filter((e) => e.name !== 'connectionStateChanged'),
    [],
    'Bea resumed: no rejoin, nobody left',
  );

  // Media keeps flowing both ways.
  await waitForRemoteMedia(ada.page, { above: before.ada });
  await waitForRemoteMedia(bea.page, { above: before.bea });
  // And signaling works again: a chat message (data channel) after the resume.
  const text = `after the cut ${Math.random().toString(36).slice(2)}`;
  await sendChat(bea.page, text);
  await waitForChat(ada.page, text);
});

test('leave and rejoin', async (t) => {
  await button(bea.page, 'Leave').click();
  await button(bea.page, 'Rejoin').waitFor();
  await waitFor(async () => (await tile(ada.page, beaId).count()) === 0, {
    what: 'Bea’s tile to leave Ada’s page',
  });
  await waitFor(async () => (await remoteIds(ada.page)).length === 0, { what: 'Ada’s room to forget Bea' });

  await button(bea.page, 'Rejoin').click();
  await bea.page.locator('[data-participant-id="local"]').waitFor();
  const [adaSees] = await waitForRemoteMedia(ada.page);
  const [beaSees] = await waitForRemoteMedia(bea.page);
  assert.equal(adaSees?.name, 'Bea');
  assert.equal(beaSees?.name, 'Ada');
  t.diagnostic(`after rejoin Bea is ${adaSees?.id} (was ${beaId})`);
});

test('no page errors or console errors', () => {
  assert.deepEqual(unexpectedErrors(ada), []);
  assert.deepEqual(unexpectedErrors(bea, CUT_NOISE), []);
});
