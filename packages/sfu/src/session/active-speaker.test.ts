/**
 * Active speaker through real sockets: publishers send Opus packets with the RFC 6464
 * audio level extension (id 1 in Chromium's offer) over DTLS-SRTP; the room's observer on
 * the Router reads them and every participant gets `active-speaker` when the dominant
 * speaker or the speaking set changes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SfuHarness, type TestParticipant } from '../testing/index.ts';
import { SfuService } from './sfu-service.ts';
import type { SfuOutMessage } from './types.ts';

type ActiveSpeakerMsg = Extract<SfuOutMessage, { type: 'active-speaker' }>;

/** Sends one audio packet every 20 ms at `dbov` until `stop()`. */
function talk(p: TestParticipant, dbov: () => number): { stop: () => void } {
  const track = p.published.find((t) => t.kind === 'audio');
  assert.ok(track && p.publisher);
  const peer = p.publisher;
  let seq = 0;
  const timer = setInterval(() => {
    seq++;
    peer.sendRtp({
      ssrc: track.ssrc,
      payloadType: 111,
      sequenceNumber: seq,
      timestamp: seq * 960,
      payload: Buffer.alloc(40),
      extensions: [{ id: 1, value: Uint8Array.of(0x80 | -dbov()) }],
    });
  }, 20);
  return { stop: () => clearInterval(timer) };
}

function lastSpeakers(p: TestParticipant): ActiveSpeakerMsg | undefined {
  return p.messages.filter((m): m is ActiveSpeakerMsg => m.type === 'active-speaker').at(-1);
}

async function until(what: string, ok: () => boolean): Promise<void> {
  // The bound only ends a broken run (decisions come every 300 ms).
  const deadline = Date.now() + 10_000;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

test('active speaker: the one who talks is dominant and speaking for everyone; the floor moves when another talks', async () => {
  const h = await SfuHarness.start();
  const talking: { stop: () => void }[] = [];
  try {
    const [ada, bob, cy] = [h.join('ada'), h.join('bob'), h.join('cy')];
    for (const p of [ada, bob, cy]) await p.publish({ video: false });
    // −127 dBov: a muted microphone's silence.
    const dbov: Record<string, number> = { ada: -20, bob: -127, cy: -127 };
    for (const p of [ada, bob, cy]) talking.push(talk(p, () => dbov[p.id] ?? -127));
    for (const p of [ada, bob, cy]) {
      await until(`${p.id} hears ada`, () => {
        const m = lastSpeakers(p);
        return m?.dominant === 'ada' && m.speaking.join() === 'ada';
      });
    }
    const m = lastSpeakers(bob);
    assert.ok(m && (m.levels.ada ?? 0) > 0.8, `ada's level ${JSON.stringify(m?.levels)}`);
    assert.deepEqual(h.service.activeSpeakers('room')?.speaking, ['ada']);

    // Ada stops, Bob talks: Bob takes the floor.
    dbov.ada = -127;
    dbov.bob = -25;
    for (const p of [ada, bob, cy]) {
      await until(`${p.id} hears bob`, () => {
        const s = lastSpeakers(p);
        return s?.dominant === 'bob' && s.speaking.join() === 'bob';
      });
    }
    // Someone joining now learns the state at once.
    const dee = h.join('dee');
    assert.equal(lastSpeakers(dee)?.dominant, 'bob');
  } finally {
    for (const t of talking) t.stop();
    await h.close();
  }
});

test('active speaker options out of range are refused when the service is made (RangeError naming the option)', async () => {
  const h = await SfuHarness.start();
  try {
    for (const [activeSpeaker, name] of [
      [{ intervalMs: 50 }, 'intervalMs'],
      [{ intervalMs: 6000 }, 'intervalMs'],
      [{ speakingThresholdDbov: 3 }, 'speakingThresholdDbov'],
      [{ holdMs: -1 }, 'holdMs'],
      [{ holdMs: Number.NaN }, 'holdMs'],
    ] as const) {
      assert.throws(() => new SfuService({ transports: h.server, clock: h.clock, activeSpeaker }), {
        name: 'RangeError',
        message: new RegExp(`^${name} must be`),
      });
    }
  } finally {
    await h.close();
  }
});
