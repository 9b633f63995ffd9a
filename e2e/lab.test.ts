/**
 * The MediaStream API lab `/lab`: each button runs its API call and shows the result
 * in the `Result` region.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { button, Harness, unexpectedErrors, waitFor } from './harness/index.ts';

let h: Harness;
before(async () => {
  h = await Harness.start();
});
after(() => h?.close());

/**
 * Buttons in the order a person would press them (getUserMedia first: the others work on
 * its stream), each with what its result must mention.
 */
const STEPS: readonly { name: string; expect: RegExp }[] = [
  { name: 'getUserMedia', expect: /audio[\s\S]*video|video[\s\S]*audio/i },
  { name: 'getTracks', expect: /audio[\s\S]*video|video[\s\S]*audio/i },
  { name: 'getAudioTracks', expect: /audio/i },
  { name: 'getVideoTracks', expect: /video/i },
  { name: 'getTrackById', expect: /\S/ },
  { name: 'addTrack', expect: /\S/ },
  { name: 'removeTrack', expect: /\S/ },
  { name: 'clone', expect: /\S/ },
];

test('/lab: every button shows its result on the page', async () => {
  const ada = await h.person('Ada');
  const { page } = ada;
  await page.goto(`${h.url}/lab`);
  const result = page.getByRole('region', { name: 'Result', exact: true });
  await result.waitFor();
  let previous = (await result.textContent()) ?? '';
  for (const step of STEPS) {
    await button(page, step.name).click();
    const text = await waitFor(
      async () => {
        const now = (await result.textContent()) ?? '';
        return now !== previous && now.trim() !== '' ? now : undefined;
      },
      { timeoutMs: 10_000, what: `a new result after clicking ${step.name}` },
    );
    assert.match(text, step.expect, `result of ${step.name}: ${text}`);
    assert.doesNotMatch(text, /\berror\b|exception|undefined/i, `result of ${step.name}: ${text}`);
    previous = text;
  }
  assert.deepEqual(unexpectedErrors(ada), []);
});
