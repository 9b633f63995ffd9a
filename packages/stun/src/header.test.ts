import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import { StunClass, StunMethod } from './constants.ts';
import { classOf, encodeMessageType, methodOf } from './header.ts';

test('message types interleave class and method bits (RFC 8489 §5)', () => {
  // RFC 8489 §5: Binding request 0x0001, success 0x0101, error 0x0111; indication 0x0011.
  assert.equal(encodeMessageType(StunClass.Request, StunMethod.Binding), 0x0001);
  assert.equal(encodeMessageType(StunClass.SuccessResponse, StunMethod.Binding), 0x0101);
  assert.equal(encodeMessageType(StunClass.ErrorResponse, StunMethod.Binding), 0x0111);
  assert.equal(encodeMessageType(StunClass.Indication, StunMethod.Binding), 0x0011);
  // RFC 8656: Allocate request 0x0003, Send indication 0x0016, Data indication 0x0017, ChannelBind success 0x0109.
  assert.equal(encodeMessageType(StunClass.Request, StunMethod.Allocate), 0x0003);
  assert.equal(encodeMessageType(StunClass.Indication, StunMethod.Send), 0x0016);
  assert.equal(encodeMessageType(StunClass.Indication, StunMethod.Data), 0x0017);
  assert.equal(encodeMessageType(StunClass.SuccessResponse, StunMethod.ChannelBind), 0x0109);
  assert.equal(encodeMessageType(StunClass.ErrorResponse, 0xfff), 0x3fff);
  for (let method = 0; method <= 0xfff; method += 7) {
    for (const cls of [0, 1, 2, 3] as const) {
      const type = encodeMessageType(cls, method);
      assert.ok(type < 0x4000);
      assert.equal(classOf(type), cls);
      assert.equal(methodOf(type), method);
    }
  }
});

test('methods outside 12 bits are rejected', () => {
  for (const bad of [-1, 0x1000, 1.5]) {
    assert.throws(
      () => encodeMessageType(StunClass.Request, bad),
      (err) => isItdaError(err, 'stun_bad_value'),
    );
  }
});
