import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import type { KnownAttrType } from './attributes.ts';
import { AttrType, StunClass, StunMethod } from './constants.ts';
import { decodeMessage } from './decode.ts';
import { encodeMessage } from './encode.ts';
import { StunDecodeError } from './errors.ts';
import { verifyFingerprint } from './fingerprint.ts';
import { assertIntegrity, verifyIntegrity } from './integrity.ts';
import { shortTermKey } from './keys.ts';
import { attr } from './message.ts';

const TID = Uint8Array.from({ length: 12 }, (_, i) => i + 1);

/** A message from raw attributes: [type, value] pairs, zero padding, correct length. */
function build(attrs: Array<[number, Uint8Array | number[]]>, type = 0x0001): Uint8Array {
  const parts: number[] = [];
  for (const [t, v] of attrs) {
    const value = [...v];
    parts.push(t >> 8, t & 0xff, value.length >> 8, value.length & 0xff, ...value);
    while (parts.length % 4 !== 0) parts.push(0);
  }
  const out = new Uint8Array(20 + parts.length);
  out.set([type >> 8, type & 0xff, parts.length >> 8, parts.length & 0xff, 0x21, 0x12, 0xa4, 0x42]);
  out.set(TID, 8);
  out.set(parts, 20);
  return out;
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof StunDecodeError, String(err));
    assert.ok(isItdaError(err));
    return err.code;
  }
  assert.fail('expected a StunDecodeError');
}

const decode = (buf: Uint8Array) => () => decodeMessage(buf);

test('malformed headers throw stable codes (RFC 8489 §5)', () => {
  const ok = build([[AttrType.Software, [0x61]]]);
  assert.equal(codeOf(decode(new Uint8Array(0))), 'stun_truncated');
  assert.equal(codeOf(decode(ok.subarray(0, 19))), 'stun_truncated');
  const notStun = ok.slice();
  notStun[0] = 0x40;
  assert.equal(codeOf(decode(notStun)), 'stun_not_stun');
  const cookie = ok.slice();
  cookie[7] = 0x43;
  assert.equal(codeOf(decode(cookie)), 'stun_bad_magic_cookie');
  const odd = ok.slice();
  odd[3] = 6;
  assert.equal(codeOf(decode(odd)), 'stun_bad_length');
  assert.equal(codeOf(decode(ok.subarray(0, ok.length - 4))), 'stun_truncated');
  const trailing = new Uint8Array(ok.length + 4);
  trailing.set(ok);
  assert.equal(codeOf(decode(trailing)), 'stun_bad_length');
  // A header-only message is valid.
  assert.equal(decodeMessage(build([])).attributes.length, 0);
});

test('attribute bounds are checked; padding content is ignored (RFC 8489 §14)', () => {
  const overrun = build([[AttrType.Software, [0x61, 0x62, 0x63, 0x64]]]);
  overrun[23] = 5; // value length 5 → padded to 8, past the end
  assert.equal(codeOf(decode(overrun)), 'stun_bad_attribute');
  const padded = build([[AttrType.Username, [0x61]]]);
  padded.fill(0xee, 25, 28);
  assert.equal(decodeMessage(padded).get(AttrType.Username), 'a');
});

test('FINGERPRINT must be last and must match (RFC 8489 §14.7)', () => {
  const msg = { class: StunClass.Request, method: StunMethod.Binding, transactionId: TID, attributes: [] };
  const wire = encodeMessage({ ...msg, attributes: [attr(AttrType.Software, 'x')] }, { fingerprint: true });
  assert.ok(verifyFingerprint(wire));
  assert.equal(decodeMessage(wire).fingerprintAt, wire.length - 8);
  const broken = wire.slice();
  broken[wire.length - 1] = (broken[wire.length - 1] as number) ^ 1;
  assert.equal(codeOf(decode(broken)), 'stun_bad_fingerprint');
  assert.ok(!verifyFingerprint(broken));
  assert.equal(decodeMessage(broken, { checkFingerprint: false }).fingerprintAt, wire.length - 8);
  const after = build([
    [AttrType.Fingerprint, [0, 0, 0, 0]],
    [AttrType.Software, [0x61]],
  ]);
  assert.equal(codeOf(decode(after)), 'stun_bad_attribute_order');
  assert.equal(codeOf(decode(build([[AttrType.Fingerprint, [0, 0, 0, 0, 0, 0, 0, 0]]]))), 'stun_bad_attribute');
});

test('MESSAGE-INTEGRITY lengths are checked at decode', () => {
  assert.equal(codeOf(decode(build([[AttrType.MessageIntegrity, new Uint8Array(19)]]))), 'stun_bad_attribute');
  assert.equal(codeOf(decode(build([[AttrType.MessageIntegritySha256, new Uint8Array(12)]]))), 'stun_bad_attribute');
  assert.equal(codeOf(decode(build([[AttrType.MessageIntegritySha256, new Uint8Array(18)]]))), 'stun_bad_attribute');
  assert.equal(decodeMessage(build([[AttrType.MessageIntegritySha256, new Uint8Array(16)]])).integritySha256At, 20);
});

test('attributes after MESSAGE-INTEGRITY are ignored, except MI-SHA256 and FINGERPRINT (RFC 8489 §14.5, §14.6)', () => {
  const m = decodeMessage(
    build([
      [AttrType.Username, [0x61]],
      [AttrType.MessageIntegrity, new Uint8Array(20)],
      [AttrType.Software, [0x62]],
      [0x0031, [1]],
      [AttrType.MessageIntegritySha256, new Uint8Array(32)],
      [AttrType.Realm, [0x63]],
      [AttrType.MessageIntegrity, new Uint8Array(20)],
      [AttrType.Fingerprint, [0, 0, 0, 0]],
    ]),
    { checkFingerprint: false },
  );
  assert.deepEqual(
    m.attributes.map((a) => a.type),
    [AttrType.Username, AttrType.MessageIntegrity, AttrType.MessageIntegritySha256, AttrType.Fingerprint],
  );
  assert.equal(m.get(AttrType.Software), undefined);
  assert.deepEqual(m.unknownRequired, [], 'ignored attributes are not reported');
  assert.equal(m.integrityAt, 28);
});

test('unknown comprehension-required attributes are reported, not thrown (RFC 8489 §6.3.1)', () => {
  const m = decodeMessage(
    build([
      [0x0031, [1]],
      [0xc001, [2]],
      [0x0031, [3]],
      [0x7fff, []],
    ]),
  );
  assert.deepEqual(m.unknownRequired, [0x0031, 0x7fff]);
  assert.deepEqual(m.raw(0xc001), Uint8Array.of(2));
  assert.ok(m.has(0x7fff));
  assert.ok(!m.has(0x0032));
});

test('malformed attribute values throw stun_bad_attribute on get, naming the attribute', () => {
  const cases: Array<[number, number[]]> = [
    [AttrType.XorMappedAddress, [0, 3, 0, 1, 1, 2, 3, 4]], // family 3
    [AttrType.XorMappedAddress, [0, 1, 0, 1, 1, 2, 3]], // IPv4 with 3 address bytes
    [AttrType.MappedAddress, [0, 2, 0, 1, 1, 2, 3, 4]], // IPv6 with 4 address bytes
    [AttrType.MappedAddress, [0, 1]],
    [AttrType.ErrorCode, [0, 0, 7, 0]], // class 7
    [AttrType.ErrorCode, [0, 0, 4, 100]], // number 100
    [AttrType.ErrorCode, [0, 0, 4]],
    [AttrType.Username, [0xc3, 0x28]], // invalid UTF-8
    [AttrType.Username, new Array(764).fill(0x61)], // RFC 8489 §14.3: at most 763 bytes
    [AttrType.Realm, new Array(764).fill(0x61)],
    [AttrType.UnknownAttributes, [0, 1, 0]],
    [AttrType.PasswordAlgorithm, [0, 1, 0, 4, 1, 2]],
    [AttrType.PasswordAlgorithms, [0, 1, 0, 0, 0, 2]],
    [AttrType.Lifetime, [0, 0, 1]],
    [AttrType.Priority, [0, 0, 0, 0, 0]],
    [AttrType.IceControlling, [1, 2, 3, 4]],
    [AttrType.UseCandidate, [1]],
    [AttrType.DontFragment, [0, 0, 0, 0]],
    [AttrType.EvenPort, [0x80, 0, 0, 0]],
    [AttrType.ChannelNumber, [0x40, 0]],
    [AttrType.RequestedTransport, [17]],
    [AttrType.ReservationToken, [1, 2, 3, 4]],
    [AttrType.Userhash, new Array(20).fill(1)],
    [AttrType.ChangeRequest, [0, 0]],
    [AttrType.Icmp, [0, 0, 3, 4]],
  ];
  for (const [type, value] of cases) {
    const m = decodeMessage(build([[type, value]]));
    try {
      m.get(type as KnownAttrType);
      assert.fail(`0x${type.toString(16)} ${value.slice(0, 8)} should not decode`);
    } catch (err) {
      assert.ok(err instanceof StunDecodeError, String(err));
      assert.equal(err.code, 'stun_bad_attribute');
      assert.equal(err.stunCode, 400);
      assert.equal(err.details?.attribute, type);
    }
    assert.equal(
      codeOf(() => m.toMessage()),
      'stun_bad_attribute',
    );
  }
});

test('integrity: MESSAGE-INTEGRITY, -SHA256 and FINGERPRINT together, truncated SHA256, wrong keys', () => {
  const key = shortTermKey('secret');
  const other = shortTermKey('other');
  const msg = {
    class: StunClass.Request,
    method: StunMethod.Binding,
    transactionId: TID,
    attributes: [attr(AttrType.Username, 'a:b')],
  };
  const both = decodeMessage(
    encodeMessage(msg, { integrityKey: key, integritySha256Key: key, integritySha256Length: 16, fingerprint: true }),
  );
  assert.ok(both.integrityAt > 0 && both.integritySha256At > both.integrityAt && both.fingerprintAt > 0);
  assert.equal(both.raw(AttrType.MessageIntegritySha256)?.length, 16);
  assert.ok(verifyIntegrity(both, key));
  assert.ok(verifyIntegrity(both, key, { algorithm: 'sha1' }));
  assert.ok(!verifyIntegrity(both, other));
  assert.ok(!verifyIntegrity(both, other, { algorithm: 'sha1' }));
  assertIntegrity(both, key);
  assert.equal(
    codeOf(() => assertIntegrity(both, other)),
    'stun_bad_integrity',
  );
  const none = decodeMessage(encodeMessage(msg));
  assert.ok(!verifyIntegrity(none, key));
  try {
    assertIntegrity(none, key);
    assert.fail('expected stun_bad_integrity');
  } catch (err) {
    assert.ok(err instanceof StunDecodeError);
    assert.equal(err.code, 'stun_bad_integrity');
    assert.equal(err.stunCode, 401);
  }
  // A flipped bit in a covered attribute breaks the HMAC.
  const wire = encodeMessage(msg, { integrityKey: key });
  wire[24] = (wire[24] as number) ^ 0x20;
  assert.ok(!verifyIntegrity(decodeMessage(wire), key));
});

test('attributes appended after MESSAGE-INTEGRITY do not break it (length adjusted, RFC 8489 §14.5)', () => {
  const key = shortTermKey('secret');
  const msg = { class: StunClass.Indication, method: StunMethod.Send, transactionId: TID, attributes: [] };
  const signed = encodeMessage({ ...msg, attributes: [attr(AttrType.Lifetime, 1)] }, { integrityKey: key });
  const extended = new Uint8Array(signed.length + 8);
  extended.set(signed);
  extended.set([0x80, 0x22, 0, 3, 0x61, 0x62, 0x63, 0], signed.length); // SOFTWARE "abc"
  extended[3] = (extended[3] as number) + 8;
  const m = decodeMessage(extended);
  assert.ok(verifyIntegrity(m, key));
  assert.equal(m.get(AttrType.Software), undefined);
});
