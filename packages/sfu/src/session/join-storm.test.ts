/**
 * A meeting's start through real sockets: 4 publishers and 8 viewers join the same room
 * in the same tick, in a seeded random order, publishers publish as soon as they are in,
 * and every subscribe answer takes a random while (network and browser) during which the
 * server's state moves on. 20 rounds in fresh rooms. Each round must end with every
 * subscriber receiving every other publisher's audio and video (an RTP packet of each,
 * through DTLS-SRTP), with no `sfu_bad_answer` and no offer left unanswered.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom, shuffled } from '@itda/common/testing';
import { SfuHarness, type TestParticipant } from '../testing/index.ts';

const PUBLISHERS = 4;
const VIEWERS = 8;
const ROUNDS = 20;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until no participant has an offer left to answer (answering one can bring the next). */
async function settle(h: SfuHarness, all: readonly TestParticipant[]): Promise<void> {
  for (;;) {
    const before = all.reduce((n, p) => n + p.messages.length, 0);
    await Promise.all(all.map((p) => p.idle()));
    // Through the API, answers may still be on their way: the ping's reply comes after them.
    await h.client?.ping();
    if (all.reduce((n, p) => n + p.messages.length, 0) === before) return;
  }
}

async function storm(api: 'direct' | 'message-port'): Promise<void> {
  const h = await SfuHarness.start({ api });
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const random = seededRandom(round);
      const room = `storm-${round}`;
      const answerDelay = (): Promise<void> => sleep(Math.floor(random() * 15));
      const names = shuffled(
        [
          ...Array.from({ length: PUBLISHERS }, (_, i) => `pub${i}`),
          ...Array.from({ length: VIEWERS }, (_, i) => `view${i}`),
        ],
        random,
      );
      const startDelays = names.map(() => Math.floor(random() * 5));
      const joined = await Promise.all(
        names.map(async (name, i) => {
          await sleep(startDelays[i] ?? 0);
          const p = h.join(`${room}-${name}`, { room, canPublish: name.startsWith('pub'), answerDelay });
          if (name.startsWith('pub')) await p.publish();
          return p;
        }),
      );
      await settle(h, joined);
      const what = `round ${round} (seed ${round}, order ${names.join(' ')})`;
      const publishers = joined.filter((p) => p.options.canPublish === true);
      for (const p of joined) {
        assert.deepEqual(p.failures, [], `${what}: ${p.id} failed to answer`);
        assert.deepEqual(
          p.errors.map((e) => e.code),
          [],
          `${what}: ${p.id} got errors`,
        );
      }
      // Every publisher sends one packet on each track; every other participant receives each.
      for (const pub of publishers) {
        for (const track of pub.published) {
          pub.publisher?.sendRtp({
            ssrc: track.ssrc,
            payloadType: track.kind === 'audio' ? 111 : 96,
            sequenceNumber: round,
            timestamp: round,
            payload: Buffer.alloc(20),
          });
        }
      }
      await Promise.all(
        joined.flatMap((sub) =>
          publishers
            .filter((pub) => pub !== sub)
            .flatMap((pub) =>
              (['audio', 'video'] as const).map(async (kind) => {
                const t = sub.trackFrom(pub.id, kind);
                assert.ok(t, `${what}: ${sub.id} has no ${kind} of ${pub.id}`);
                const peer = sub.subscriber;
                assert.ok(peer, `${what}: ${sub.id} has no subscribe peer`);
                await peer.waitFor(() => peer.rtpOf(t.ssrc).length > 0, 10_000, `${kind} of ${pub.id} at ${sub.id}`);
              }),
            ),
        ),
      );
      for (const p of joined) await p.leave();
      await h.client?.ping();
      assert.equal(h.service.routerFor(room), undefined, `${what}: the room is gone`);
    }
  } finally {
    await h.close();
  }
}

test(`join storm: ${PUBLISHERS} publishers and ${VIEWERS} viewers join in one tick, ${ROUNDS} seeded rounds; everyone gets every track`, async () => {
  await storm('direct');
});

test(`join storm through the SFU's API over a MessageChannel (every answer later, every message cloned): ${ROUNDS} seeded rounds`, async () => {
  await storm('message-port');
});
