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

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const TID = hex('b7e7a701 bc34d686 fa87dfae');
const PASSWORD = 'VOkJxbRl1RmTxUk/WvJxBt';

/** RFC 5769 §2.1: sample request (short-term credentials, ICE attributes). */
const SAMPLE_REQUEST = hex(`
  00010058 2112a442 b7e7a701 bc34d686 fa87dfae
  80220010 5354554e 20746573 7420636c 69656e74
  00240004 6e0001ff
  80290008 932ff9b1 51263b36
  00060009 6576746a 3a683676 59202020
  00080014 9aeaa70c bfd8cb56 781ef2b5 b2d3f249 c1b571a2
  80280004 e57a3bcf`);

/** RFC 5769 §2.2: sample IPv4 response. */
const SAMPLE_IPV4_RESPONSE = hex(`
  0101003c 2112a442 b7e7a701 bc34d686 fa87dfae
  8022000b 74657374 20766563 746f7220
  00200008 0001a147 e112a643
  00080014 2b91f599 fd9e90c3 8c7489f9 2af9ba53 f06be7d7
  80280004 c07d4c96`);

/** RFC 5769 §2.3: sample IPv6 response. */
const SAMPLE_IPV6_RESPONSE = hex(`
  01010048 2112a442 b7e7a701 bc34d686 fa87dfae
  8022000b 74657374 20766563 746f7220
  00200014 0002a147 0113a9fa a5d3f179 bc25f4b5 bed2b9d9
  00080014 a382954e 4be67bf1 1784c97c 8292c275 bfe3ed41
  80280004 c8fb0b4c`);

/** RFC 5769 §2.4: sample request with long-term authentication. */
const SAMPLE_LONG_TERM_REQUEST = hex(`
  00010060 2112a442 78ad3433 c6ad72c0 29da412e
  00060012 e3839ee3 8388e383 aae38383 e382afe3 82b90000
  0015001c 662f2f34 39396b39 35346436 4f4c3334 6f4c3946 53547679 36347341
  0014000b 6578616d 706c652e 6f726700
  00080014 f6702465 6dd64a3e 02b8e071 2e85c9a2 8ca89666`);

/** RFC 8489 Appendix B.1: long-term authentication with USERHASH and MESSAGE-INTEGRITY-SHA256. */
const SAMPLE_SHA256_REQUEST = hex(`
  00010090 2112a442 78ad3433 c6ad72c0 29da412e
  001e0020 4a3cf38f ef6992bd a952c678 0417da0f 24819415 569e60b2 05c46e41 407f1704
  00150029 6f624d61 744a6f73 32414141 43662f2f 3439396b 39353464 364f4c33 346f4c39 46535476 79363473 41000000
  0014000b 6578616d 706c652e 6f726700
  001d0004 00020000
  001c0020 b5c7bf00 5b6c52a2 1c51c5e8 92f81924 136296cb 927c4314 9309278c c6518e65`);

const USERNAME_JA = '\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9';
const PASSWORD_RAW = 'The\u00ADM\u00AAtr\u2168';

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
