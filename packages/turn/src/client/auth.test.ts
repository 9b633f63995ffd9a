import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import {
  AttrType,
  attr,
  createTransactionId,
  decodeMessage,
  encodeMessage,
  longTermKey,
  PasswordAlgorithm,
  type StunAttribute,
  StunClass,
  StunMethod,
} from '@itda/stun';
import { LongTermAuth, NONCE_COOKIE } from './auth.ts';

function error(code: number, attributes: StunAttribute[] = [], integrityKey?: Uint8Array) {
  return decodeMessage(
    encodeMessage(
      {
        class: StunClass.ErrorResponse,
        method: StunMethod.Allocate,
        transactionId: createTransactionId(),
        attributes: [attr(AttrType.ErrorCode, { code, reason: 'x' }), ...attributes],
      },
      integrityKey === undefined ? {} : { integrityKey },
    ),
  );
}

const realmNonce = (nonce: string): StunAttribute[] => [
  attr(AttrType.Realm, 'example.org'),
  attr(AttrType.Nonce, nonce),
];

test('401 without credentials gives realm and nonce; requests then carry USERNAME, REALM, NONCE and an MD5 key', () => {
  const auth = new LongTermAuth('alice', 'pw');
  assert.equal(auth.ready, false);
  assert.deepEqual(auth.attributes(), []);
  assert.deepEqual(auth.encodeOptions(), {});
  assert.equal(auth.handleError(error(401, realmNonce('n1')), false), 'retry');
  assert.equal(auth.ready, true);
  assert.deepEqual(
    auth.attributes().map((a) => a.type),
    [AttrType.Username, AttrType.Realm, AttrType.Nonce],
  );
  const key = longTermKey('alice', 'example.org', 'pw');
  assert.deepEqual(auth.encodeOptions(), { integrityKey: key });
});

test('438 brings a new nonce (retry); 401 to credentials means wrong credentials; other codes fail', () => {
  const auth = new LongTermAuth('alice', 'pw');
  auth.handleError(error(401, realmNonce('n1')), false);
  assert.equal(auth.handleError(error(438, realmNonce('n2')), true), 'retry');
  assert.equal(auth.nonce, 'n2');
  assert.throws(
    () => auth.handleError(error(401, realmNonce('n3')), true),
    (err) => isItdaError(err, 'turn_client_unauthenticated') && err.stunCode === 401,
  );
  assert.equal(auth.handleError(error(486), true), 'fail');
  assert.throws(
    () => new LongTermAuth('a', 'b').handleError(error(401), false),
    (err) => isItdaError(err, 'turn_client_bad_response'),
  );
});

test('PASSWORD-ALGORITHMS with the nonce cookie: SHA-256 chosen, sent back, MESSAGE-INTEGRITY-SHA256 only', () => {
  const offered = [
    { algorithm: PasswordAlgorithm.SHA256, parameters: new Uint8Array(0) },
    { algorithm: PasswordAlgorithm.MD5, parameters: new Uint8Array(0) },
  ];
  const auth = new LongTermAuth('alice', 'pw');
  auth.handleError(
    error(401, [...realmNonce(`${NONCE_COOKIE}AAAAnonce`), attr(AttrType.PasswordAlgorithms, offered)]),
    false,
  );
  assert.equal(auth.algorithm, PasswordAlgorithm.SHA256);
  const attrs = auth.attributes();
  assert.deepEqual(
    attrs.map((a) => a.type),
    [AttrType.Username, AttrType.Realm, AttrType.Nonce, AttrType.PasswordAlgorithms, AttrType.PasswordAlgorithm],
  );
  const key = longTermKey('alice', 'example.org', 'pw', { algorithm: PasswordAlgorithm.SHA256 });
  assert.deepEqual(auth.encodeOptions(), { integritySha256Key: key });

  // Without the cookie the attribute does not count (RFC 8489 §9.2.4).
  const plain = new LongTermAuth('alice', 'pw');
  plain.handleError(error(401, [...realmNonce('plain-nonce'), attr(AttrType.PasswordAlgorithms, offered)]), false);
  assert.equal(plain.algorithm, PasswordAlgorithm.MD5);
});

test('responses: accepted without integrity or with the right key, refused with a wrong one', () => {
  const auth = new LongTermAuth('alice', 'pw');
  auth.handleError(error(401, realmNonce('n1')), false);
  assert.equal(auth.acceptResponse(error(400)), true);
  assert.equal(auth.acceptResponse(error(400, [], longTermKey('alice', 'example.org', 'pw'))), true);
  assert.equal(auth.acceptResponse(error(400, [], longTermKey('alice', 'example.org', 'other'))), false);
});
