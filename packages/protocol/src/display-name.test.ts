import assert from 'node:assert/strict';
import { test } from 'node:test';
import { clampDisplayName, displayNameProblem, normalizeDisplayName } from './display-name.ts';
import { ErrorCode } from './errors.ts';
import { MAX_NAME_LENGTH } from './limits.ts';
import { DisplayName } from './schemas.ts';

const GOOD: [string, string][] = [
  ['Ada', 'Ada'],
  ['  Ada Lovelace \t', 'Ada Lovelace'],
  ['김잇다', '김잇다'],
  ['👩‍💻 Ada', '👩‍💻 Ada'], // a zero-width joiner between visible characters is fine
  ['x'.repeat(MAX_NAME_LENGTH), 'x'.repeat(MAX_NAME_LENGTH)],
  [`  ${'y'.repeat(MAX_NAME_LENGTH)}  `, 'y'.repeat(MAX_NAME_LENGTH)],
];

const BAD: string[] = [
  '',
  '    ',
  '\u00a0\u3000\u2028',
  '\u200b\u200b\u200b\u200b', // zero-width spaces: nobody sees a name
  '\u202e\u200f',
  'x'.repeat(MAX_NAME_LENGTH + 1),
  'Ada\u0000',
  'A\nda',
  'Ada\u0085',
  'Ada\ud800', // a lone surrogate
];

test('the name rule: trimmed, 1–64, visible, no control characters', () => {
  for (const [raw, name] of GOOD) {
    assert.equal(displayNameProblem(raw), undefined, JSON.stringify(raw));
    assert.equal(normalizeDisplayName(raw), name);
    assert.equal(DisplayName.parse(raw), name);
  }
  for (const raw of BAD) {
    assert.equal(typeof displayNameProblem(raw), 'string', JSON.stringify(raw));
    assert.throws(() => normalizeDisplayName(raw), { code: ErrorCode.BadMessage }, JSON.stringify(raw));
    assert.equal(DisplayName.safeParse(raw).success, false, JSON.stringify(raw));
  }
});

test('clampDisplayName cuts a long name without splitting a surrogate pair', () => {
  assert.equal(clampDisplayName('  Ada  '), 'Ada');
  assert.equal(clampDisplayName('z'.repeat(100)), 'z'.repeat(MAX_NAME_LENGTH));
  const emoji = `${'a'.repeat(MAX_NAME_LENGTH - 1)}😀`; // the pair straddles the limit
  const clamped = clampDisplayName(emoji);
  assert.equal(clamped, 'a'.repeat(MAX_NAME_LENGTH - 1));
  assert.equal(displayNameProblem(clamped), undefined);
  assert.equal(clampDisplayName(`${'b'.repeat(MAX_NAME_LENGTH - 1)} tail`), 'b'.repeat(MAX_NAME_LENGTH - 1));
});
