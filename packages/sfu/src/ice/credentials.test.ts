import assert from 'node:assert/strict';
import { test } from 'node:test';
import { assertIceCredentials, createIceCredentials, isIceChars, PWD_LENGTH, UFRAG_LENGTH } from './credentials.ts';
import { IceErrorCode } from './errors.ts';
import { iceTuple, tupleKey } from './tuple.ts';

test('createIceCredentials: 16 and 32 ice-chars, different every time', () => {
  const seen = new Set<string>();
  for (let i = 0; i < 200; i++) {
    const c = createIceCredentials();
    assert.equal(c.ufrag.length, UFRAG_LENGTH);
    assert.equal(c.pwd.length, PWD_LENGTH);
    assert.match(c.ufrag, /^[A-Za-z0-9+/]{16}$/);
    assert.match(c.pwd, /^[A-Za-z0-9+/]{32}$/);
    assertIceCredentials(c);
    seen.add(c.ufrag);
  }
  assert.equal(seen.size, 200);
});

test('isIceChars: RFC 8839 §5.4 lengths and alphabet', () => {
  assert.ok(isIceChars('abcd', 4));
  assert.ok(!isIceChars('abc', 4));
  assert.ok(isIceChars('a'.repeat(256), 4));
  assert.ok(!isIceChars('a'.repeat(257), 4));
  assert.ok(isIceChars('A+/9', 4));
  for (const bad of ['ab:d', 'ab d', 'abé1', 'ab-d', 'ab=d']) assert.ok(!isIceChars(bad, 4), bad);
  assert.throws(() => assertIceCredentials({ ufrag: 'abcd', pwd: 'x'.repeat(21) }), {
    code: IceErrorCode.BadCredentials,
  });
  assertIceCredentials({ ufrag: 'abcd', pwd: 'x'.repeat(22) });
});

test('tupleKey: protocol letter, address, port', () => {
  assert.equal(tupleKey('udp', '192.0.2.1', 5000), 'u192.0.2.1:5000');
  assert.equal(tupleKey('tcp', '::1', 9), 't::1:9');
  assert.notEqual(tupleKey('udp', '::1', 9), tupleKey('tcp', '::1', 9));
  assert.deepEqual(iceTuple('udp', '10.0.0.1', 1), {
    protocol: 'udp',
    address: '10.0.0.1',
    port: 1,
    key: 'u10.0.0.1:1',
  });
});
