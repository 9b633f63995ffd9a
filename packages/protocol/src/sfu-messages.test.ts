import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodeClientMessage, decodeServerMessage, ProtocolError } from './decode.ts';
import { ERROR_CODES, ErrorCode } from './errors.ts';
import { MAX_DATA_PAYLOAD } from './limits.ts';

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof ProtocolError);
    return err.code;
  }
  assert.fail('expected a ProtocolError');
}

test('publish, subscribed, resubscribe and data decode', () => {
  const publish = decodeClientMessage(
    JSON.stringify({ type: 'publish', sdp: 'v=0', tracks: [{ mid: '0', source: 'microphone' }] }),
  );
  assert.deepEqual(publish, { type: 'publish', sdp: 'v=0', tracks: [{ mid: '0', source: 'microphone' }] });
  assert.deepEqual(decodeClientMessage('{"type":"subscribed","sdp":"v=0","version":3}'), {
    type: 'subscribed',
    sdp: 'v=0',
    version: 3,
  });
  assert.deepEqual(decodeClientMessage('{"type":"resubscribe"}'), { type: 'resubscribe' });
  assert.deepEqual(decodeClientMessage('{"type":"resubscribe","iceRestart":true}'), {
    type: 'resubscribe',
    iceRestart: true,
  });
  assert.deepEqual(decodeClientMessage('{"type":"quality","participantId":"p1","quality":"low"}'), {
    type: 'quality',
    participantId: 'p1',
    quality: 'low',
  });
  assert.deepEqual(decodeClientMessage('{"type":"data","payload":"x"}'), { type: 'data', payload: 'x' });
  assert.deepEqual(decodeClientMessage('{"type":"data","to":"p1","payload":""}'), {
    type: 'data',
    to: 'p1',
    payload: '',
  });
});

test('bad SFU and data messages are bad_message', () => {
  const bad = [
    { type: 'publish', sdp: 'v=0' },
    { type: 'publish', sdp: '', tracks: [] },
    { type: 'publish', sdp: 'v=0', tracks: [{ mid: '0', source: 'webcam' }] },
    { type: 'subscribed', sdp: 'v=0' },
    { type: 'subscribed', sdp: 'v=0', version: 1.5 },
    { type: 'subscribed', sdp: 'v=0', version: -1 },
    { type: 'resubscribe', iceRestart: 'yes' },
    { type: 'quality', participantId: 'p1' },
    { type: 'quality', participantId: 'p1', quality: 'ultra' },
    { type: 'quality', participantId: '', quality: 'low' },
    { type: 'data' },
    { type: 'data', payload: 'x'.repeat(MAX_DATA_PAYLOAD + 1) },
    { type: 'data', to: '', payload: 'x' },
  ];
  for (const m of bad)
    assert.equal(
      codeOf(() => decodeClientMessage(JSON.stringify(m))),
      ErrorCode.BadMessage,
    );
  const largest = decodeClientMessage(JSON.stringify({ type: 'data', payload: 'x'.repeat(MAX_DATA_PAYLOAD) }));
  assert.equal(largest.type, 'data');
});

test('server SFU messages decode; resumed carries the mode', () => {
  assert.deepEqual(decodeServerMessage('{"type":"published","sdp":"v=0"}'), { type: 'published', sdp: 'v=0' });
  const tracks = [{ mid: '1', participantId: 'p_a', kind: 'video', source: 'screen' }];
  assert.deepEqual(decodeServerMessage(JSON.stringify({ type: 'subscribe', sdp: 'v=0', version: 1, tracks })), {
    type: 'subscribe',
    sdp: 'v=0',
    version: 1,
    tracks,
  });
  assert.deepEqual(decodeServerMessage('{"type":"data","from":"p_a","payload":"hi"}'), {
    type: 'data',
    from: 'p_a',
    payload: 'hi',
  });
  const resumed = { type: 'resumed', participantId: 'p1', mode: 'sfu', participants: [], iceServers: [] };
  assert.equal(decodeServerMessage(JSON.stringify(resumed)).type, 'resumed');
  const { mode: _, ...noMode } = resumed;
  assert.equal(
    codeOf(() => decodeServerMessage(JSON.stringify(noMode))),
    ErrorCode.BadMessage,
  );
  assert.equal(
    codeOf(() => decodeServerMessage('{"type":"subscribe","sdp":"v=0","version":1,"tracks":[{"mid":"0"}]}')),
    ErrorCode.BadMessage,
  );
});

test('the SFU error codes are stable', () => {
  for (const code of ['sfu_unavailable', 'sfu_bad_offer', 'sfu_bad_answer', 'sfu_stale_version', 'not_sfu_room']) {
    assert.ok((ERROR_CODES as readonly string[]).includes(code), code);
  }
  assert.equal(ErrorCode.NotP2pRoom, 'not_p2p_room');
});
