import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import { ClientErrorCode } from './errors.ts';
import { checkChatText, decodePeerFrame, encodePeerFrame, MAX_CHAT_BYTES, sanitizeFileName } from './peer-protocol.ts';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isItdaError(err));
    return err.code;
  }
  assert.fail('expected an error');
}

test('control frames round-trip', () => {
  const frames = [
    { t: 'chat', id: 'm1', text: 'hello 안녕', ts: 1700000000000 },
    { t: 'file-start', id: 'f1', name: 'a.txt', size: 3, mime: 'text/plain' },
    { t: 'file-end', id: 'f1', sha256: 'a'.repeat(64) },
    { t: 'file-end', id: 'f1' },
    { t: 'file-cancel', id: 'f1' },
  ] as const;
  for (const f of frames) assert.deepEqual(decodePeerFrame(encodePeerFrame(f)), f);
});

test('invalid frames are rejected with invalid_peer_message', () => {
  const bad = [
    'nope',
    '[]',
    '{"t":"chat","text":"x","ts":1}',
    '{"t":"chat","id":"m","text":"","ts":1}',
    '{"t":"chat","id":"m","text":"x"}',
    '{"t":"file-start","id":"f","name":"a","size":-1,"mime":""}',
    '{"t":"file-start","id":"f","name":"a","size":1.5,"mime":""}',
    '{"t":"file-end","id":"f","sha256":"XYZ"}',
    '{"t":"teleport","id":"f"}',
    '{"t":"chat","id":"has space","text":"x","ts":1}',
    JSON.stringify({ t: 'chat', id: 'm', text: 'x'.repeat(MAX_CHAT_BYTES + 1), ts: 1 }),
  ];
  for (const text of bad)
    assert.equal(
      codeOf(() => decodePeerFrame(text)),
      ClientErrorCode.InvalidPeerMessage,
      text,
    );
});

test('chat text limits count UTF-8 bytes', () => {
  checkChatText('ok');
  assert.equal(
    codeOf(() => checkChatText('   ')),
    ClientErrorCode.InvalidChat,
  );
  // 한 is 3 bytes in UTF-8: 1366 × 3 = 4098 > 4096.
  assert.equal(
    codeOf(() => checkChatText('한'.repeat(1366))),
    ClientErrorCode.InvalidChat,
  );
  checkChatText('한'.repeat(1365));
});

test('file names lose path separators and control characters', () => {
  assert.equal(sanitizeFileName('../../etc/passwd'), '_.._etc_passwd');
  assert.equal(sanitizeFileName('a\u0000b\\c'), 'a_b_c');
  assert.equal(sanitizeFileName('   '), 'file');
  assert.equal(sanitizeFileName('x'.repeat(300)).length, 255);
});
