/**
 * The test vectors of RFC 5769 §2.1–§2.4 and RFC 8489 Appendix B.1: each must decode to
 * the documented values, verify its MESSAGE-INTEGRITY(-SHA256) and FINGERPRINT, and
 * re-encode to the same bytes.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AttrType, PasswordAlgorithm, StunClass, StunMethod } from './constants.ts';
import { decodeMessage } from './decode.ts';
import { encodeMessage } from './encode.ts';
import { verifyFingerprint } from './fingerprint.ts';
import { verifyIntegrity } from './integrity.ts';
import { longTermKey, shortTermKey, userhash } from './keys.ts';
import { saslPrep } from './prep.ts';

import {
  hex,
  PASSWORD,
  PASSWORD_RAW,
  SAMPLE_IPV4_RESPONSE,
  SAMPLE_IPV6_RESPONSE,
  SAMPLE_LONG_TERM_REQUEST,
  SAMPLE_REQUEST,
  SAMPLE_SHA256_REQUEST,
  TID,
  USERNAME_JA,
} from './rfc5769-vectors.ts';

test('RFC 5769 §2.1 sample request', () => {
  assert.equal(SAMPLE_REQUEST.length, 108);
  const m = decodeMessage(SAMPLE_REQUEST);
  assert.equal(m.class, StunClass.Request);
  assert.equal(m.method, StunMethod.Binding);
  assert.deepEqual(m.transactionId, TID);
  assert.equal(m.get(AttrType.Software), 'STUN test client');
  assert.equal(m.get(AttrType.Priority), 0x6e0001ff);
  assert.equal(m.get(AttrType.IceControlled), 0x932ff9b151263b36n);
  assert.equal(m.get(AttrType.Username), 'evtj:h6vY');
  assert.deepEqual(m.unknownRequired, []);
  const key = shortTermKey(PASSWORD);
  assert.ok(verifyIntegrity(m, key));
  assert.ok(!verifyIntegrity(m, shortTermKey('wrong')));
  assert.ok(verifyFingerprint(SAMPLE_REQUEST));
  const again = encodeMessage(m.toMessage(), { integrityKey: key, fingerprint: true, paddingByte: 0x20 });
  assert.deepEqual(again, SAMPLE_REQUEST);
});

test('RFC 5769 §2.2 sample IPv4 response', () => {
  const m = decodeMessage(SAMPLE_IPV4_RESPONSE);
  assert.equal(m.class, StunClass.SuccessResponse);
  assert.equal(m.method, StunMethod.Binding);
  assert.deepEqual(m.transactionId, TID);
  assert.equal(m.get(AttrType.Software), 'test vector');
  assert.deepEqual(m.get(AttrType.XorMappedAddress), { family: 'IPv4', address: '192.0.2.1', port: 32853 });
  const key = shortTermKey(PASSWORD);
  assert.ok(verifyIntegrity(m, key));
  assert.ok(verifyFingerprint(SAMPLE_IPV4_RESPONSE));
  const again = encodeMessage(m.toMessage(), { integrityKey: key, fingerprint: true, paddingByte: 0x20 });
  assert.deepEqual(again, SAMPLE_IPV4_RESPONSE);
});

test('RFC 5769 §2.3 sample IPv6 response', () => {
  const m = decodeMessage(SAMPLE_IPV6_RESPONSE);
  assert.equal(m.class, StunClass.SuccessResponse);
  assert.equal(m.get(AttrType.Software), 'test vector');
  assert.deepEqual(m.get(AttrType.XorMappedAddress), {
    family: 'IPv6',
    address: '2001:db8:1234:5678:11:2233:4455:6677',
    port: 32853,
  });
  const key = shortTermKey(PASSWORD);
  assert.ok(verifyIntegrity(m, key));
  assert.ok(verifyFingerprint(SAMPLE_IPV6_RESPONSE));
  const again = encodeMessage(m.toMessage(), { integrityKey: key, fingerprint: true, paddingByte: 0x20 });
  assert.deepEqual(again, SAMPLE_IPV6_RESPONSE);
});

test('RFC 5769 §2.4 sample request with long-term authentication', () => {
  const m = decodeMessage(SAMPLE_LONG_TERM_REQUEST);
  assert.equal(m.class, StunClass.Request);
  assert.equal(m.method, StunMethod.Binding);
  assert.deepEqual(m.transactionId, hex('78ad3433 c6ad72c0 29da412e'));
  assert.equal(m.get(AttrType.Username), USERNAME_JA);
  assert.equal(m.get(AttrType.Nonce), 'f//499k954d6OL34oL9FSTvy64sA');
  assert.equal(m.get(AttrType.Realm), 'example.org');
  assert.equal(m.fingerprintAt, -1);
  assert.ok(!verifyFingerprint(SAMPLE_LONG_TERM_REQUEST));
  // The password is "TheMatrIX" after SASLprep (RFC 4013), as RFC 5389 used.
  assert.equal(saslPrep(PASSWORD_RAW), 'TheMatrIX');
  const key = longTermKey(USERNAME_JA, 'example.org', PASSWORD_RAW, { prep: 'saslprep' });
  assert.equal(key.length, 16);
  assert.ok(verifyIntegrity(m, key));
  // Already-prepared ASCII passwords give the same key under OpaqueString.
  assert.deepEqual(longTermKey(USERNAME_JA, 'example.org', 'TheMatrIX'), key);
  const again = encodeMessage(m.toMessage(), { integrityKey: key });
  assert.deepEqual(again, SAMPLE_LONG_TERM_REQUEST);
});

test('RFC 8489 B.1 request with USERHASH, PASSWORD-ALGORITHM and MESSAGE-INTEGRITY-SHA256', () => {
  const m = decodeMessage(SAMPLE_SHA256_REQUEST);
  assert.equal(m.class, StunClass.Request);
  assert.equal(m.get(AttrType.Nonce), 'obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA');
  assert.equal(m.get(AttrType.Realm), 'example.org');
  assert.deepEqual(m.get(AttrType.PasswordAlgorithm), {
    algorithm: PasswordAlgorithm.SHA256,
    parameters: new Uint8Array(0),
  });
  assert.deepEqual(m.get(AttrType.Userhash), userhash(USERNAME_JA, 'example.org'));
  const key = longTermKey(USERNAME_JA, 'example.org', 'TheMatrIX', { algorithm: PasswordAlgorithm.SHA256 });
  assert.equal(key.length, 32);
  assert.ok(verifyIntegrity(m, key));
  assert.ok(!verifyIntegrity(m, key, { algorithm: 'sha1' }), 'there is no MESSAGE-INTEGRITY');
  const again = encodeMessage(m.toMessage(), { integritySha256Key: key });
  assert.deepEqual(again, SAMPLE_SHA256_REQUEST);
});
