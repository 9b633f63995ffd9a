/**
 * A three-person mesh call: everyone receives everyone else's audio and video.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  Harness,
  isLoopbackAddress,
  join,
  type Person,
  readSelectedPairs,
  timeToFirstRemoteFrame,
  unexpectedErrors,
  uniqueRoom,
  waitForRemoteMedia,
} from './harness/index.ts';

let h: Harness;
before(async () => {
  h = await Harness.start();
});
after(() => h?.close());

test('three people in a mesh each receive the two others’ audio and video', async (t) => {
  const room = uniqueRoom('mesh');
  const people: Person[] = [];
  for (const name of ['Ada', 'Bea', 'Cai']) people.push(await h.person(name));
  for (const p of people) await join(p.page, h.url, room, p.name);
  const last = people[2];
  assert.ok(last);
  const firstFrameMs = await timeToFirstRemoteFrame(last.page);
  const line = `join-to-first-remote-frame (3rd joiner of a mesh): ${Math.round(firstFrameMs)} ms`;
  t.diagnostic(line);
  console.log(line);

  for (const p of people) {
    const seen = await waitForRemoteMedia(p.page, { count: 2, timeoutMs: 30_000 });
    const names = seen.map((r) => r.name).sort();
    assert.deepEqual(
      names,
      people
        .filter((q) => q !== p)
        .map((q) => q.name)
        .sort(),
    );
    t.diagnostic(`${p.name} receives: ${JSON.stringify(seen)}`);
    const pairs = await readSelectedPairs(p.page);
    assert.equal(pairs.length, 2, `${p.name} has a selected pair per peer`);
    for (const pair of pairs)
      assert.ok(isLoopbackAddress(pair.local.address) && isLoopbackAddress(pair.remote.address));
  }
  for (const p of people) assert.deepEqual(unexpectedErrors(p), [], `${p.name}'s page errors`);
});
