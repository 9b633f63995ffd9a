import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import { AttrType, StunClass, StunMethod } from './constants.ts';
import { decodeMessage } from './decode.ts';
import { encodedLength, encodeInto, encodeMessage } from './encode.ts';
import { verifyFingerprint } from './fingerprint.ts';
import { verifyIntegrity } from './integrity.ts';
import { shortTermKey } from './keys.ts';
import { attr, createTransactionId, type StunMessage, transactionIdHex } from './message.ts';

const msg: StunMessage = {
  class: StunClass.SuccessResponse,
  method: StunMethod.Binding,
  transactionId: createTransactionId(),
  attributes: [
    attr(AttrType.XorMappedAddress, { family: 'IPv6', address: '2001:db8::42', port: 50000 }),
    attr(AttrType.Software, 'itda'),
  ],
};

test('encodeInto writes one message at an offset; XOR uses that message’s own header', () => {
  const key = shortTermKey('k');
  const options = { integrityKey: key, fingerprint: true };
  const size = encodedLength(msg, options);
  const buf = new Uint8Array(size + 10).fill(0xcc);
  assert.equal(encodeInto(msg, buf, 7, options), size);
  assert.equal(buf[6], 0xcc);
  assert.equal(buf[7 + size], 0xcc);
  const wire = buf.subarray(7, 7 + size);
  assert.deepEqual(wire, encodeMessage(msg, options));
  assert.ok(verifyFingerprint(wire));
  const m = decodeMessage(wire);
  assert.ok(verifyIntegrity(m, key));
  assert.deepEqual(m.get(AttrType.XorMappedAddress), { family: 'IPv6', address: '2001:db8::42', port: 50000 });
  assert.throws(
    () => encodeInto(msg, new Uint8Array(size - 1), 0, options),
    (err) => isItdaError(err, 'stun_buffer_too_small'),
  );
  assert.throws(
    () => encodeInto(msg, buf, 11, options),
    (err) => isItdaError(err, 'stun_buffer_too_small'),
  );
});

test('the message length and padding follow RFC 8489 §5 and §14', () => {
  const wire = encodeMessage(msg, { paddingByte: 0x20 });
  // XOR-MAPPED-ADDRESS 4+20, SOFTWARE 4+4 ("itda", no padding needed).
  assert.equal(wire.length, 20 + 24 + 8);
  assert.equal((wire[2] as number) * 256 + (wire[3] as number), 32);
  const odd = encodeMessage({ ...msg, attributes: [attr(AttrType.Software, 'abcde')] }, { paddingByte: 0x20 });
  assert.deepEqual([...odd.subarray(24)], [0x61, 0x62, 0x63, 0x64, 0x65, 0x20, 0x20, 0x20]);
  assert.throws(
    () => encodeMessage(msg, { paddingByte: 256 }),
    (err) => isItdaError(err, 'stun_bad_value'),
  );
  assert.throws(
    () => encodeMessage(msg, { integritySha256Key: shortTermKey('k'), integritySha256Length: 20 + 2 }),
    (err) => isItdaError(err, 'stun_bad_value'),
  );
});

test('a message longer than the 16-bit length field is rejected', () => {
  const big = {
    ...msg,
    attributes: [attr(AttrType.Data, new Uint8Array(40000)), attr(AttrType.Data, new Uint8Array(40000))],
  };
  assert.throws(
    () => encodeMessage(big),
    (err) => isItdaError(err, 'stun_bad_value'),
  );
});

test('transaction ids are 12 random bytes; hex for map keys', () => {
  const a = createTransactionId();
  const b = createTransactionId();
  assert.equal(a.length, 12);
  assert.notDeepEqual(a, b);
  assert.equal(transactionIdHex(Uint8Array.of(0, 1, 0xab)), '0001ab');
});
