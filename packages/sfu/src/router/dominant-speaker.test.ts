/**
 * The dominant speaker on level sequences shaped like recordings: one level per 20 ms
 * packet, speech as syllables (loud, ~200 ms) and short gaps, background noise, silence.
 * Decisions every 300 ms, as the observer makes them.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@itda/common/testing';
import { DominantSpeaker } from './dominant-speaker.ts';

type Source = (t: number) => number;

/** Talk: syllables of 100–300 ms at 85–110 loudness, gaps of 40–120 ms at 15–35. */
function speech(seed: number): Source {
  const random = seededRandom(seed);
  let until = 0;
  let loud = false;
  return (t) => {
    if (t >= until) {
      loud = !loud;
      until = t + (loud ? 100 + random() * 200 : 40 + random() * 80);
    }
    return loud ? 85 + random() * 25 : 15 + random() * 20;
  };
}
const silence: Source = () => 0;
/** A fan or street noise: steady, below the speaking level. */
function noise(seed: number): Source {
  const random = seededRandom(seed);
  return () => 40 + random() * 15;
}

interface Run {
  dominant: (string | undefined)[];
  /** [time, dominant] at each decision. */
  at: [number, string | undefined][];
  speakingAt: (t: number, id: string) => boolean;
}

/** Plays `script(t)` → source per speaker from `from` to `to` ms; decides every 300 ms. */
function play(
  d: DominantSpeaker,
  speakers: string[],
  script: (t: number) => Partial<Record<string, Source>>,
  from: number,
  to: number,
): Run {
  const at: [number, string | undefined][] = [];
  const speaking = new Map<string, boolean>();
  for (const id of speakers) d.add(id, from);
  for (let t = from; t < to; t += 20) {
    const sources = script(t);
    for (const id of speakers) d.level(id, (sources[id] ?? silence)(t), t);
    if ((t - from) % 300 === 0) {
      at.push([t, d.decide(t)]);
      for (const id of speakers) speaking.set(`${t}|${id}`, d.speaking(id, t));
    }
  }
  return {
    dominant: at.map(([, id]) => id),
    at,
    speakingAt: (t, id) => speaking.get(`${t - ((t - from) % 300)}|${id}`) ?? false,
  };
}

/** The first decision time from which `id` stays dominant to the end. */
function settledAt(run: Run, id: string): number | undefined {
  let since: number | undefined;
  for (const [t, d] of run.at) {
    if (d === id) since ??= t;
    else since = undefined;
  }
  return since;
}

test('dominant speaker: nobody while all are silent; one speaker among silent ones within 1 s', () => {
  const d = new DominantSpeaker();
  const ada = speech(1);
  const run = play(d, ['ada', 'bob', 'cy'], (t) => (t < 3000 ? {} : { ada }), 0, 8000);
  assert.ok(
    run.at.filter(([t]) => t < 3000).every(([, id]) => id === undefined),
    'nobody before anyone speaks',
  );
  const since = settledAt(run, 'ada');
  assert.ok(since !== undefined && since - 3000 <= 1000, `ada dominant from ${since}`);
  assert.equal(run.speakingAt(7000, 'ada'), true);
  assert.equal(run.speakingAt(7000, 'bob'), false);
});

test('dominant speaker: two taking turns — the floor moves to the new speaker within 1.5 s of the turn', () => {
  const d = new DominantSpeaker();
  const ada = speech(2);
  const bob = speech(3);
  const run = play(d, ['ada', 'bob'], (t) => (t < 5000 ? { ada } : t < 10_000 ? { bob } : { ada }), 0, 15_000);
  const first = run.at.filter(([t]) => t >= 1000 && t < 5000).map(([, id]) => id);
  assert.ok(
    first.every((id) => id === 'ada'),
    `ada holds her turn: ${first.join(',')}`,
  );
  const toBob = run.at.find(([t, id]) => t >= 5000 && id === 'bob')?.[0];
  assert.ok(toBob !== undefined && toBob - 5000 <= 1500, `bob from ${toBob}`);
  assert.ok(run.at.filter(([t]) => t >= 6500 && t < 10_000).every(([, id]) => id === 'bob'));
  const back = run.at.find(([t, id]) => t >= 10_000 && id === 'ada')?.[0];
  assert.ok(back !== undefined && back - 10_000 <= 1500, `ada again from ${back}`);
});

test('dominant speaker: steady background noise never takes the floor and is not speaking', () => {
  const d = new DominantSpeaker();
  const ada = speech(4);
  const fan = noise(5);
  const run = play(d, ['ada', 'fan'], (t) => (t < 2000 ? { fan } : t < 8000 ? { ada, fan } : { fan }), 0, 12_000);
  assert.ok(!run.dominant.includes('fan'), 'noise is never dominant');
  assert.ok(
    run.at.every(([t]) => !run.speakingAt(t, 'fan')),
    'noise is never speaking',
  );
  // Ada fell silent at 8 s: she stays shown (nobody else speaks) but no longer speaking.
  assert.equal(run.dominant.at(-1), 'ada');
  assert.equal(run.speakingAt(11_700, 'ada'), false);
});

test('dominant speaker: a short interjection while someone speaks does not move the floor', () => {
  const d = new DominantSpeaker();
  const ada = speech(6);
  const yes: Source = () => 105;
  const run = play(d, ['ada', 'bob'], (t) => (t >= 4000 && t < 4200 ? { ada, bob: yes } : { ada }), 0, 8000);
  assert.ok(
    run.at.filter(([t]) => t >= 1000).every(([, id]) => id === 'ada'),
    run.dominant.join(','),
  );
  assert.equal(run.speakingAt(4200, 'bob'), true, 'bob was speaking for a moment');
});

test('dominant speaker: removing the dominant one clears it; levels peak per interval', () => {
  const d = new DominantSpeaker();
  d.add('ada', 0);
  d.level('ada', 100, 0);
  d.level('ada', 60, 20);
  assert.equal(d.decide(20), 'ada');
  assert.deepEqual([...d.takePeaks()], [['ada', 100]]);
  assert.deepEqual([...d.takePeaks()], [['ada', 0]]);
  d.remove('ada');
  assert.equal(d.dominant, undefined);
  assert.equal(d.decide(40), undefined);
});
