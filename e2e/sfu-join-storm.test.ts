/**
 * A meeting's start in Chromium (issue 11): four people click Join at the same moment
 * (`Promise.all`) in an `sfu` room, three rounds in fresh rooms. Each must decode the
 * three others' video and receive their audio, and the server must log no
 * `sfu_bad_answer` (before the subscribe negotiation became a state machine, one run in
 * six left three of four people with one video of three). Then who is speaking: with one
 * microphone on (Chromium's fake one beeps) and three muted, every page marks that
 * person's tile `data-speaking="true"`, and the mark moves when another unmutes and the
 * first mutes.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LogFields } from '@itda/common';
import {
  button,
  Harness,
  join,
  localParticipantId,
  type Person,
  unexpectedErrors,
  uniqueRoom,
} from './harness/index.ts';
import { waitForSfuRemotes } from './harness/sfu.ts';

const NAMES = ['Ada', 'Grace', 'Linus', 'Radia'];
const ROUNDS = 3;

let h: Harness;
const records: LogFields[] = [];
const people: Person[] = [];

before(async () => {
  h = await Harness.start({
    server: {
      sfu: true,
      logLevel: 'info',
      logSink: (record) => {
        records.push(record);
        if (record.level === 'warn' || record.level === 'error') process.stderr.write(`${JSON.stringify(record)}\n`);
      },
    },
  });
  for (const name of NAMES) people.push(await h.person(name));
});

after(async () => {
  await h?.close();
});

test(`four people click Join together, ${ROUNDS} rounds: each decodes the three others' video; no sfu_bad_answer`, async () => {
  for (let round = 1; round <= ROUNDS; round++) {
    const room = uniqueRoom(`storm${round}`);
    await Promise.all(people.map((p) => join(p.page, h.url, room, p.name)));
    for (const p of people) {
      const others = NAMES.filter((n) => n !== p.name);
      const reading = await waitForSfuRemotes(p.page, others, { timeoutMs: 45_000 });
      assert.equal(reading.mode, 'sfu');
    }
    const bad = records.filter((r) => r.msg === 'bad sdp');
    assert.deepEqual(bad, [], `round ${round}: the server refused SDP`);
    // Leave before the next round (a fresh room).
    await Promise.all(people.map((p) => p.page.goto('about:blank')));
  }
  for (const p of people) assert.deepEqual(unexpectedErrors(p), [], `${p.name}'s page errors`);
});

/**
 * Waits until, on every page, exactly one tile is marked speaking: `speaker`'s (its own
 * page shows it as `local`). Returns how long that took, ms (reported, not asserted: a
 * loaded machine is slower; the detector's own timing is unit-tested). The bound only
 * ends a broken run.
 */
async function speakingEverywhere(speaker: number, ids: readonly string[]): Promise<number> {
  const start = Date.now();
  await Promise.all(
    people.map((p, i) => {
      const tileId = i === speaker ? 'local' : (ids[speaker] as string);
      return p.page.waitForFunction(
        (id) => {
          type El = { getAttribute(name: string): string | null };
          type Doc = { querySelectorAll(css: string): ArrayLike<El> };
          const doc = (globalThis as unknown as { document: Doc }).document;
          const marked = Array.from(doc.querySelectorAll('[data-participant-id][data-speaking="true"]'));
          return marked.length === 1 && marked[0]?.getAttribute('data-participant-id') === id;
        },
        tileId,
        { timeout: 20_000, polling: 50 },
      );
    }),
  );
  return Date.now() - start;
}

test('the speaking person is marked data-speaking="true" on every page; the mark moves with the microphone', async (t) => {
  const room = uniqueRoom('speak');
  await Promise.all(people.map((p) => join(p.page, h.url, room, p.name)));
  const ids = await Promise.all(people.map(async (p) => (await localParticipantId(p.page)) ?? ''));
  const [ada, grace] = people as [Person, Person];
  await Promise.all(people.slice(1).map((p) => button(p.page, 'Mute').click()));
  const first = await speakingEverywhere(0, ids);
  await button(grace.page, 'Mute').click(); // Grace unmutes…
  await button(ada.page, 'Mute').click(); // …and Ada mutes
  const moved = await speakingEverywhere(1, ids);
  t.diagnostic(`marked on every page after ${first} ms; moved after ${moved} ms`);
  for (const p of people) assert.deepEqual(unexpectedErrors(p), [], `${p.name}'s page errors`);
});
