import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import { PasswordAlgorithm } from './constants.ts';
import { longTermKey, shortTermKey, userhash } from './keys.ts';
import { opaqueString, saslPrep } from './prep.ts';

const isBadCredential = (err: unknown): boolean => isItdaError(err, 'stun_bad_credential');

test('OpaqueString-lite maps non-ASCII spaces, normalises to NFC and rejects what RFC 8265 disallows', () => {
  assert.equal(opaqueString('VOkJxbRl1RmTxUk/WvJxBt'), 'VOkJxbRl1RmTxUk/WvJxBt');
  assert.equal(opaqueString('a\u00A0b\u3000c'), 'a b c');
  assert.equal(opaqueString('e\u0301'), '\u00e9');
  // OpaqueString does not case-fold nor apply compatibility mappings.
  assert.equal(opaqueString('Ab\u2168'), 'Ab\u2168');
  for (const bad of ['', 'a\tb', 'a\u0000', 'a\u00ADb', 'a\uFDD0', 'a\uE000', '\uD800']) {
    assert.throws(() => opaqueString(bad), isBadCredential, JSON.stringify(bad));
  }
});

test('SASLprep-lite maps B.1 to nothing, spaces to U+0020, applies NFKC and rejects prohibited output', () => {
  assert.equal(saslPrep('The\u00ADM\u00AAtr\u2168'), 'TheMatrIX');
  assert.equal(saslPrep('I\u00ADX'), 'IX'); // RFC 4013 §3 example
  assert.equal(saslPrep('user'), 'user');
  assert.equal(saslPrep('USER'), 'USER');
  assert.equal(saslPrep('\u00AA'), 'a');
  assert.equal(saslPrep('\u2168'), 'IX');
  assert.equal(saslPrep('a\u2000b'), 'a b');
  for (const bad of ['', '\u00AD', 'a\u0007', 'a\uE000', 'a\u200E', '\uD800']) {
    assert.throws(() => saslPrep(bad), isBadCredential, JSON.stringify(bad));
  }
});

test('short-term and long-term keys (RFC 8489 §9.1.1, §9.2.2) and USERHASH (§14.4)', () => {
  assert.deepEqual(shortTermKey('pass word'), new TextEncoder().encode('pass word'));
  assert.deepEqual(shortTermKey('a\u00A0b', 'none'), new TextEncoder().encode('a\u00A0b'));
  const md5 = createHash('md5').update('user:realm:pass').digest();
  assert.deepEqual(longTermKey('user', 'realm', 'pass'), new Uint8Array(md5));
  const sha = createHash('sha256').update('user:realm:pass').digest();
  assert.deepEqual(longTermKey('user', 'realm', 'pass', { algorithm: PasswordAlgorithm.SHA256 }), new Uint8Array(sha));
  assert.throws(
    () => longTermKey('user', 'realm', 'pass', { algorithm: 3 }),
    (err) => isItdaError(err, 'stun_bad_value'),
  );
  assert.throws(() => longTermKey('user', 'realm', 'pa\tss'), isBadCredential);
  const uh = createHash('sha256').update('user:realm').digest();
  assert.deepEqual(userhash('user', 'realm'), new Uint8Array(uh));
});
