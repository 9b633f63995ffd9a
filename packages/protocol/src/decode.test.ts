import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import { decodeClientMessage, decodeServerMessage, ProtocolError } from './decode.ts';
import { ErrorCode } from './errors.ts';
import { PROTOCOL_VERSION } from './version.ts';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProtocolError);
    assert.ok(isItdaError(err));
    return err.code;
  }
  assert.fail('expected a ProtocolError');
}

test('valid client messages decode to typed values', () => {
  const join = decodeClientMessage(JSON.stringify({ type: 'join', v: PROTOCOL_VERSION, room: 'test', name: ' Ada ' }));
  assert.equal(join.type, 'join');
  if (join.type === 'join') assert.equal(join.name, 'Ada');
  const cand = decodeClientMessage('{"type":"candidate","to":"p1","candidate":null}');
  assert.deepEqual(cand, { type: 'candidate', to: 'p1', candidate: null });
  const offer = decodeClientMessage('{"type":"offer","to":"p1","sdp":"v=0"}');
  assert.equal(offer.type, 'offer');
});

test('malformed input gets stable codes', () => {
  assert.equal(
    codeOf(() => decodeClientMessage('{nope')),
    ErrorCode.BadJson,
  );
  assert.equal(
    codeOf(() => decodeClientMessage('[1,2]')),
    ErrorCode.BadJson,
  );
  assert.equal(
    codeOf(() => decodeClientMessage('null')),
    ErrorCode.BadJson,
  );
  assert.equal(
    codeOf(() => decodeClientMessage('{"type":"teleport"}')),
    ErrorCode.UnknownType,
  );
  assert.equal(
    codeOf(() => decodeClientMessage('{"type":7}')),
    ErrorCode.UnknownType,
  );
  assert.equal(
    codeOf(() => decodeClientMessage('{}')),
    ErrorCode.UnknownType,
  );
  assert.equal(
    codeOf(() => decodeClientMessage('{"type":"offer","to":5,"sdp":"x"}')),
    ErrorCode.BadMessage,
  );
  assert.equal(
    codeOf(() => decodeClientMessage('{"type":"join","v":1,"room":"a b","name":"x"}')),
    ErrorCode.BadMessage,
  );
  assert.equal(
    codeOf(() => decodeClientMessage('{"type":"join","v":1,"room":"ok","name":"   "}')),
    ErrorCode.BadMessage,
  );
  assert.equal(
    codeOf(() => decodeServerMessage('{"type":"joined"}')),
    ErrorCode.BadMessage,
  );
});

test('bad_message names the offending field and the message type', () => {
  try {
    decodeClientMessage('{"type":"offer","to":"p1","sdp":42}');
    assert.fail('expected an error');
  } catch (err) {
    assert.ok(err instanceof ProtocolError);
    assert.equal(err.ref, 'offer');
    assert.match(err.message, /^sdp:/);
  }
});
