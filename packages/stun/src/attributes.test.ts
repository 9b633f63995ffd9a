import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import { KNOWN_ATTRIBUTE_TYPES, type KnownAttribute, type StunAttribute } from './attributes.ts';
import { AttrType, PasswordAlgorithm, StunClass, StunMethod } from './constants.ts';
import { decodeMessage } from './decode.ts';
import { encodeInto, encodeMessage } from './encode.ts';
import { attr, createTransactionId, type StunMessage } from './message.ts';

const bytes = (n: number, seed = 1): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);

/** One sample value (or several) of every registered attribute. */
const SAMPLES: KnownAttribute[] = [
  attr(AttrType.MappedAddress, { family: 'IPv4', address: '192.0.2.1', port: 32853 }),
  attr(AttrType.MappedAddress, { family: 'IPv6', address: '2001:db8::1', port: 0 }),
  attr(AttrType.Username, 'evtj:h6vY'),
  attr(AttrType.Username, '\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9'),
  attr(AttrType.ErrorCode, { code: 420, reason: 'Unknown Attribute' }),
  attr(AttrType.ErrorCode, { code: 699, reason: '' }),
  attr(AttrType.UnknownAttributes, [0x0002, 0x7fff, 0x0031]),
  attr(AttrType.UnknownAttributes, [0x0002, 0x0003]),
  attr(AttrType.Realm, 'example.org'),
  attr(AttrType.Nonce, 'obMatJos2AAACf//499k954d6OL34oL9FSTvy64sA'),
  attr(AttrType.PasswordAlgorithm, { algorithm: PasswordAlgorithm.SHA256, parameters: new Uint8Array(0) }),
  attr(AttrType.PasswordAlgorithm, { algorithm: 0x1234, parameters: bytes(5) }),
  attr(AttrType.Userhash, bytes(32)),
  attr(AttrType.XorMappedAddress, { family: 'IPv4', address: '203.0.113.77', port: 65535 }),
  attr(AttrType.XorMappedAddress, { family: 'IPv6', address: '2001:db8:1234:5678:11:2233:4455:6677', port: 1 }),
  attr(AttrType.PasswordAlgorithms, [
    { algorithm: PasswordAlgorithm.MD5, parameters: new Uint8Array(0) },
    { algorithm: 0x00ff, parameters: bytes(3) },
    { algorithm: PasswordAlgorithm.SHA256, parameters: new Uint8Array(0) },
  ]),
  attr(AttrType.AlternateDomain, 'turn.example.org'),
  attr(AttrType.Software, 'itda 0.1.0'),
  attr(AttrType.AlternateServer, { family: 'IPv4', address: '198.51.100.2', port: 3478 }),
  attr(AttrType.ChannelNumber, 0x4000),
  attr(AttrType.Lifetime, 600),
  attr(AttrType.XorPeerAddress, { family: 'IPv6', address: '::ffff:192.0.2.9', port: 5000 }),
  attr(AttrType.Data, bytes(13)),
  attr(AttrType.Data, new Uint8Array(0)),
  attr(AttrType.XorRelayedAddress, { family: 'IPv4', address: '127.0.0.1', port: 49152 }),
  attr(AttrType.RequestedAddressFamily, 0x02),
  attr(AttrType.EvenPort, { reserve: true }),
  attr(AttrType.EvenPort, { reserve: false }),
  attr(AttrType.RequestedTransport, 17),
  attr(AttrType.DontFragment, true),
  attr(AttrType.ReservationToken, bytes(8)),
  attr(AttrType.AdditionalAddressFamily, 0x02),
  attr(AttrType.AddressErrorCode, { family: 0x02, code: 440, reason: 'Address Family not Supported' }),
  attr(AttrType.Icmp, { type: 3, code: 4, data: 1400 }),
  attr(AttrType.ConnectionId, 0xdeadbeef),
  attr(AttrType.ChangeRequest, { changeIp: true, changePort: false }),
  attr(AttrType.ChangeRequest, { changeIp: false, changePort: true }),
  attr(AttrType.Padding, bytes(7)),
  attr(AttrType.ResponsePort, 40000),
  attr(AttrType.ResponseOrigin, { family: 'IPv4', address: '192.0.2.3', port: 3478 }),
  attr(AttrType.OtherAddress, { family: 'IPv6', address: 'fe80::1', port: 3479 }),
  attr(AttrType.Priority, 0x6e0001ff),
  attr(AttrType.UseCandidate, true),
  attr(AttrType.IceControlled, 0x932ff9b151263b36n),
  attr(AttrType.IceControlling, 0xffffffffffffffffn),
  attr(AttrType.MessageIntegrity, bytes(20)),
  attr(AttrType.MessageIntegritySha256, bytes(16)),
  attr(AttrType.Fingerprint, 0x12345678),
];

function message(attributes: StunAttribute[]): StunMessage {
  return { class: StunClass.Request, method: StunMethod.Allocate, transactionId: createTransactionId(), attributes };
}

test('every registered attribute has a sample here', () => {
  const sampled = new Set(SAMPLES.map((a) => a.type));
  for (const type of KNOWN_ATTRIBUTE_TYPES) assert.ok(sampled.has(type as never), `0x${type.toString(16)}`);
});

test('every attribute round-trips alone through encode and decode', () => {
  for (const sample of SAMPLES) {
    const msg = message([sample]);
    const wire = encodeMessage(msg);
    assert.equal(wire.length % 4, 0);
    const decoded = decodeMessage(wire, { checkFingerprint: false });
    assert.deepEqual(decoded.get(sample.type), sample.value, `0x${sample.type.toString(16)}`);
    assert.deepEqual(decoded.getAll(sample.type), [sample.value]);
    assert.deepEqual(decoded.transactionId, msg.transactionId);
  }
});

test('a message with many attributes round-trips, and unknown ones travel raw', () => {
  const body = SAMPLES.filter(
    (a) =>
      a.type !== AttrType.MessageIntegrity &&
      a.type !== AttrType.MessageIntegritySha256 &&
      a.type !== AttrType.Fingerprint,
  );
  const raw: StunAttribute[] = [
    { type: 0x8fff, raw: bytes(3) },
    { type: 0x7ffe, raw: bytes(6) },
  ];
  const msg = message([...body, ...raw]);
  const wire = encodeMessage(msg, { fingerprint: true });
  // Writing into a dirty buffer gives the same bytes: every reserved bit and pad is written.
  const dirty = new Uint8Array(wire.length).fill(0xcc);
  encodeInto(msg, dirty, 0, { fingerprint: true });
  assert.deepEqual(dirty, wire);
  const decoded = decodeMessage(wire);
  assert.deepEqual(decoded.toMessage(), msg);
  assert.deepEqual(decoded.unknownRequired, [0x7ffe]);
  assert.deepEqual(decoded.raw(0x8fff), bytes(3));
  // Only the first of repeated attributes counts (RFC 8489 §14).
  assert.deepEqual(decoded.get(AttrType.Username), 'evtj:h6vY');
  assert.equal(decoded.getAll(AttrType.Username).length, 2);
});

test('values that do not fit their attribute are rejected with stun_bad_value', () => {
  const tooLong = (n: number): string => 'x'.repeat(n);
  const bad: KnownAttribute[] = [
    attr(AttrType.MappedAddress, { family: 'IPv4', address: '2001:db8::1', port: 1 }),
    attr(AttrType.MappedAddress, { family: 'IPv6', address: '192.0.2.1', port: 1 }),
    attr(AttrType.XorMappedAddress, { family: 'IPv4', address: '192.0.2.1', port: 65536 }),
    attr(AttrType.XorMappedAddress, { family: 'IPv4', address: 'localhost', port: 1 }),
    // RFC 8489 §14.3: USERNAME fewer than 509 bytes.
    attr(AttrType.Username, tooLong(509)),
    attr(AttrType.Username, '\uD800'),
    // RFC 8489 §14.9/§14.14: fewer than 128 characters.
    attr(AttrType.Realm, tooLong(128)),
    attr(AttrType.Software, '\u00e9'.repeat(128)),
    attr(AttrType.Nonce, tooLong(128)),
    attr(AttrType.ErrorCode, { code: 299, reason: 'x' }),
    attr(AttrType.ErrorCode, { code: 700, reason: 'x' }),
    attr(AttrType.ErrorCode, { code: 400, reason: tooLong(128) }),
    attr(AttrType.UnknownAttributes, [0x10000]),
    attr(AttrType.Userhash, bytes(31)),
    attr(AttrType.ReservationToken, bytes(9)),
    attr(AttrType.MessageIntegrity, bytes(19)),
    attr(AttrType.MessageIntegritySha256, bytes(18)),
    attr(AttrType.MessageIntegritySha256, bytes(36)),
    attr(AttrType.Lifetime, -1),
    attr(AttrType.Lifetime, 2 ** 32),
    attr(AttrType.ChannelNumber, 0x10000),
    attr(AttrType.RequestedTransport, 256),
    attr(AttrType.IceControlling, -1n),
    attr(AttrType.IceControlling, 2n ** 64n),
    attr(AttrType.Icmp, { type: 256, code: 0, data: 0 }),
    attr(AttrType.AlternateDomain, tooLong(256)),
  ];
  for (const a of bad) {
    assert.throws(
      () => encodeMessage(message([a])),
      (err) => isItdaError(err, 'stun_bad_value'),
      `0x${a.type.toString(16)} ${String(a.value).slice(0, 20)}`,
    );
  }
  assert.throws(
    () => encodeMessage(message([{ type: 0x9999, value: 1 } as unknown as KnownAttribute])),
    (err) => isItdaError(err, 'stun_bad_value'),
  );
  assert.throws(
    () => encodeMessage({ ...message([]), transactionId: new Uint8Array(11) }),
    (err) => isItdaError(err, 'stun_bad_value'),
  );
});

test('the longest allowed texts encode, and decoders accept up to 763 bytes', () => {
  const name = 'x'.repeat(508);
  const realm = '\u{1F600}'.repeat(127); // 127 characters, 508 bytes
  const wire = encodeMessage(message([attr(AttrType.Username, name), attr(AttrType.Realm, realm)]));
  const decoded = decodeMessage(wire);
  assert.equal(decoded.get(AttrType.Username), name);
  assert.equal(decoded.get(AttrType.Realm), realm);
  const long = encodeMessage(message([{ type: AttrType.Software, raw: new Uint8Array(763).fill(0x61) }]));
  assert.equal(decodeMessage(long).get(AttrType.Software), 'a'.repeat(763));
});
