/**
 * A meeting's start in Chromium (issue 11): four people click Join at the same moment
 * (`Promise.all`) in an `sfu` room, three rounds in fresh rooms. Each must decode the
 * three others' video and receive their audio, and the server must log no
 * `sfu_bad_answer` (before the subscribe negotiation became a state machine, one run in
 * six left three of four people with one video of three).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { LogFields } from '@itda/common';
import { Harness, join, type Person, unexpectedErrors, uniqueRoom } from './harness/index.ts';
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
