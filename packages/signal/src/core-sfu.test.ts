import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ItdaError } from '@itda/common';
import { CloseCode, ErrorCode, type ServerMessage } from '@itda/protocol';
import { SignalError } from './errors.ts';
import { coreHarness, FakeSfuBackend } from './testing.ts';
import { createTokenVerifier, signRoomToken } from './token.ts';

const NOW = 1_700_000_000_000;
const OFFER = 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendonly\r\n';

function errorsOf(sent: ServerMessage[]): { code: string; ref: string | undefined }[] {
  return sent.flatMap((m) => (m.type === 'error' ? [{ code: m.code, ref: m.ref }] : []));
}

test('without a backend: sfu rooms are unsupported, rooms are p2p and SFU messages are not_sfu_room', () => {
  const h = coreHarness();
  assert.deepEqual(h.core.config.supportedModes, ['p2p']);
  assert.throws(() => h.core.createRoom({ name: 'big', mode: 'sfu' }), { code: 'unsupported_mode' });
  const a = h.join('c1', 'r');
  assert.equal(a.mode, 'p2p');
  assert.equal(a.limits.roomCapacity, 4);
  for (const m of [
    { type: 'publish', sdp: OFFER, tracks: [] },
    { type: 'subscribed', sdp: OFFER, version: 1 },
    { type: 'resubscribe' },
    { type: 'quality', participantId: 'p', quality: 'high' },
  ]) {
    h.send('c1', m);
    assert.deepEqual(errorsOf(h.out.take('c1')), [{ code: ErrorCode.NotSfuRoom, ref: m.type }]);
  }
  assert.throws(() => coreHarness({ defaultRoomMode: 'sfu' }), { code: 'invalid_config' });
  h.core.shutdown();
});

test('with a backend: rooms default to sfu (capacity 50), joins and messages reach the backend, answers come back', () => {
  const sfu = new FakeSfuBackend();
  const h = coreHarness({ sfu });
  assert.deepEqual(h.core.config.supportedModes, ['p2p', 'sfu']);
  assert.equal(h.core.createRoom({ name: 'api' }).mode, 'sfu');
  assert.equal(h.core.createRoom({ name: 'api' + 2 }).capacity, 50);
  assert.equal(h.core.createRoom({ name: 'small', mode: 'p2p' }).capacity, 4);
  const a = h.join('c1', 'r', 'Ada');
  assert.equal(a.mode, 'sfu');
  assert.equal(a.limits.roomCapacity, 50);
  assert.deepEqual(sfu.callsOf('addParticipant'), [
    {
      method: 'addParticipant',
      participant: { room: 'r', id: a.participantId, name: 'Ada', canPublish: true, canSubscribe: true },
    },
  ]);

  sfu.onPublish = (_room, id) => sfu.sendTo(id, { type: 'published', sdp: 'v=0 answer' });
  const publish = { type: 'publish', sdp: OFFER, tracks: [{ mid: '0', source: 'microphone' }] };
  h.send('c1', publish);
  assert.deepEqual(sfu.callsOf('publish'), [
    { method: 'publish', room: 'r', participantId: a.participantId, msg: publish },
  ]);
  assert.deepEqual(h.out.take('c1'), [{ type: 'published', sdp: 'v=0 answer' }]);

  h.send('c1', { type: 'subscribed', sdp: 'v=0', version: 2 });
  h.send('c1', { type: 'resubscribe', iceRestart: true });
  assert.deepEqual(sfu.callsOf('subscribed')[0]?.msg, { type: 'subscribed', sdp: 'v=0', version: 2 });
  assert.deepEqual(sfu.callsOf('resubscribe')[0]?.msg, { type: 'resubscribe', iceRestart: true });
  h.send('c1', { type: 'quality', participantId: 'someone', quality: 'low' });
  assert.deepEqual(sfu.callsOf('setQuality')[0], {
    method: 'setQuality',
    room: 'r',
    participantId: a.participantId,
    msg: { type: 'quality', participantId: 'someone', quality: 'low' },
  });

  const b = h.join('c2', 'r');
  h.out.take('c1');
  for (const m of [
    { type: 'offer', to: b.participantId, sdp: OFFER },
    { type: 'candidate', to: b.participantId, candidate: null },
  ]) {
    h.send('c1', m);
    assert.deepEqual(errorsOf(h.out.take('c1')), [{ code: ErrorCode.NotP2pRoom, ref: m.type }]);
  }
  assert.deepEqual(h.out.take('c2'), []);
  h.core.shutdown();
  assert.deepEqual(
    sfu.callsOf('closeRoom').map((c) => c.room),
    ['api', 'api2', 'r'],
  );
});

test('defaultRoomMode p2p keeps join-created rooms p2p; sfu rooms come from the API', () => {
  const sfu = new FakeSfuBackend();
  const h = coreHarness({ sfu, defaultRoomMode: 'p2p', sfuRoomCapacity: 8 });
  assert.equal(h.join('c1', 'r').mode, 'p2p');
  assert.equal(sfu.calls.length, 0);
  assert.equal(h.core.createRoom({ name: 's', mode: 'sfu' }).capacity, 8);
  assert.equal(h.join('c2', 's').mode, 'sfu');
  assert.equal(sfu.callsOf('addParticipant').length, 1);
  h.core.shutdown();
});

test('grants: publish needs canPublish, subscribed and resubscribe need canSubscribe', () => {
  const sfu = new FakeSfuBackend();
  const verifyToken = createTokenVerifier({ secrets: ['k'], now: () => NOW });
  const h = coreHarness({ sfu, verifyToken, openRooms: false });
  h.core.createRoom({ name: 'r' });
  const token = (canPublish: boolean, canSubscribe: boolean): string =>
    signRoomToken('k', {
      room: 'r',
      identity: `u${canPublish}${canSubscribe}`,
      grants: { canPublish, canSubscribe },
      now: () => NOW,
    });
  h.join('viewer', 'r', 'V', { token: token(false, true) });
  h.join('sender', 'r', 'S', { token: token(true, false) });
  assert.deepEqual(
    sfu.callsOf('addParticipant').map((c) => [c.participant.canPublish, c.participant.canSubscribe]),
    [
      [false, true],
      [true, false],
    ],
  );
  h.out.take('viewer');
  h.send('viewer', { type: 'publish', sdp: OFFER, tracks: [] });
  h.send('viewer', { type: 'subscribed', sdp: 'v=0', version: 1 });
  assert.deepEqual(errorsOf(h.out.take('viewer')), [{ code: ErrorCode.Forbidden, ref: 'publish' }]);
  h.send('sender', { type: 'subscribed', sdp: 'v=0', version: 1 });
  h.send('sender', { type: 'resubscribe' });
  h.send('sender', { type: 'quality', participantId: 'p', quality: 'low' });
  h.send('sender', { type: 'publish', sdp: OFFER, tracks: [] });
  assert.deepEqual(errorsOf(h.out.take('sender')), [
    { code: ErrorCode.Forbidden, ref: 'subscribed' },
    { code: ErrorCode.Forbidden, ref: 'resubscribe' },
    { code: ErrorCode.Forbidden, ref: 'quality' },
  ]);
  assert.equal(sfu.callsOf('publish').length, 1);
  assert.equal(sfu.callsOf('subscribed').length, 1);
  assert.equal(sfu.callsOf('resubscribe').length, 0);
  assert.equal(sfu.callsOf('setQuality').length, 0);
  h.core.shutdown();
});

test('backend faults: sfu_* codes pass through, other throws are internal, a failed add is sfu_unavailable', () => {
  const sfu = new FakeSfuBackend();
  const h = coreHarness({ sfu });
  h.join('c1', 'r');
  for (const [code, ref] of [
    [ErrorCode.SfuBadOffer, 'publish'],
    [ErrorCode.SfuBadAnswer, 'subscribed'],
    [ErrorCode.SfuStaleVersion, 'subscribed'],
  ] as const) {
    sfu.throwOn = { [ref]: new ItdaError(code, 'no') };
    h.send(
      'c1',
      ref === 'publish' ? { type: 'publish', sdp: OFFER, tracks: [] } : { type: 'subscribed', sdp: 'v=0', version: 1 },
    );
    assert.deepEqual(errorsOf(h.out.take('c1')), [{ code, ref }]);
  }
  sfu.throwOn = { resubscribe: new Error('boom') };
  h.send('c1', { type: 'resubscribe' });
  assert.deepEqual(errorsOf(h.out.take('c1')), [{ code: ErrorCode.Internal, ref: 'resubscribe' }]);
  sfu.throwOn = { publish: new SignalError(ErrorCode.SfuUnavailable, 'down') };
  h.send('c1', { type: 'publish', sdp: OFFER, tracks: [] });
  assert.deepEqual(errorsOf(h.out.take('c1')), [{ code: ErrorCode.SfuUnavailable, ref: 'publish' }]);

  sfu.throwOn = { addParticipant: new Error('full') };
  h.send('c2', { type: 'join', v: 1, room: 'r', name: 'B' });
  const sent = h.out.take('c2');
  assert.equal(sent[0]?.type, 'joined');
  assert.deepEqual(errorsOf(sent), [{ code: ErrorCode.SfuUnavailable, ref: 'join' }]);
  // Lifecycle faults are contained.
  sfu.throwOn = { removeParticipant: new Error('x'), closeRoom: new Error('y') };
  h.send('c1', { type: 'leave' });
  assert.equal(h.out.closed.get('c1')?.code, CloseCode.Normal);
  h.core.shutdown();
});

test('lifecycle: resumed after resume (sends in grace dropped), removeParticipant on leave, kick and grace, closeRoom on delete and expiry', () => {
  const sfu = new FakeSfuBackend();
  const h = coreHarness({ sfu, resumeGraceMs: 1000, emptyRoomGraceMs: 500 });
  const a = h.join('c1', 'r');
  const b = h.join('c2', 'r');
  const c = h.join('c3', 'r');
  h.out.take('c1');
  h.core.disconnect('c1');
  assert.equal(sfu.sendTo(a.participantId, { type: 'published', sdp: 'lost' }), true);
  h.send('c1b', { type: 'resume', v: 1, room: 'r', participantId: a.participantId, resumeToken: a.resumeToken });
  const resumed = h.out.take('c1b');
  assert.equal(resumed[0]?.type, 'resumed');
  if (resumed[0]?.type === 'resumed') assert.equal(resumed[0].mode, 'sfu');
  assert.deepEqual(sfu.callsOf('resumed'), [{ method: 'resumed', room: 'r', participantId: a.participantId }]);
  assert.deepEqual(h.out.take('c1'), []);
  sfu.sendTo(a.participantId, { type: 'published', sdp: 'again' });
  assert.deepEqual(h.out.take('c1b'), [{ type: 'published', sdp: 'again' }]);

  h.send('c2', { type: 'leave' });
  h.core.removeParticipant('r', c.participantId);
  assert.deepEqual(
    sfu.callsOf('removeParticipant').map((x) => x.participantId),
    [b.participantId, c.participantId],
  );
  h.core.disconnect('c1b');
  h.clock.advance(1000);
  assert.deepEqual(sfu.callsOf('removeParticipant').at(-1)?.participantId, a.participantId);
  assert.equal(sfu.callsOf('closeRoom').length, 0);
  h.clock.advance(500);
  assert.deepEqual(sfu.callsOf('closeRoom'), [{ method: 'closeRoom', room: 'r' }]);

  h.core.createRoom({ name: 'api' });
  h.join('c4', 'api');
  assert.equal(h.core.closeRoom('api'), true);
  assert.deepEqual(sfu.callsOf('closeRoom').at(-1), { method: 'closeRoom', room: 'api' });
  assert.equal(sfu.callsOf('removeParticipant').length, 3, 'closeRoom covers its participants');
  h.core.shutdown();
});

test('data: to one or to everyone else, with from; unknown or self target is unknown_participant', () => {
  const h = coreHarness();
  const a = h.join('c1', 'r');
  const b = h.join('c2', 'r');
  const c = h.join('c3', 'r');
  h.out.take('c1');
  h.out.take('c2');
  h.send('c1', { type: 'data', payload: 'hello' });
  const relayed = { type: 'data', from: a.participantId, payload: 'hello' };
  assert.deepEqual(h.out.take('c2'), [relayed]);
  assert.deepEqual(h.out.take('c3'), [relayed]);
  assert.deepEqual(h.out.take('c1'), []);
  h.send('c1', { type: 'data', to: c.participantId, payload: 'psst' });
  assert.deepEqual(h.out.take('c3'), [{ type: 'data', from: a.participantId, payload: 'psst' }]);
  assert.deepEqual(h.out.take('c2'), []);
  h.send('c1', { type: 'data', to: a.participantId, payload: 'me' });
  h.send('c1', { type: 'data', to: 'p_nobody', payload: 'x' });
  assert.deepEqual(errorsOf(h.out.take('c1')), [
    { code: ErrorCode.UnknownParticipant, ref: 'data' },
    { code: ErrorCode.UnknownParticipant, ref: 'data' },
  ]);
  h.send('c9', { type: 'data', payload: 'x' });
  assert.deepEqual(errorsOf(h.out.take('c9')), [{ code: ErrorCode.NotJoined, ref: 'data' }]);
  assert.equal(b.participantId !== c.participantId, true);
  h.core.shutdown();
});

test('data budget: a 300 KiB file in 16 KiB base64 chunks passes the defaults at once; a flood is dropped, then closed', () => {
  const h = coreHarness();
  h.join('c1', 'r');
  h.join('c2', 'r');
  h.out.take('c1');
  const chunk = Buffer.alloc(16 * 1024, 7).toString('base64');
  const frames = 1 + Math.ceil((300 * 1024) / (16 * 1024)) + 1;
  for (let i = 0; i < frames; i++)
    h.send('c1', { type: 'data', payload: i === 0 || i === frames - 1 ? '{"t":"x"}' : `b${chunk}` });
  assert.deepEqual(h.out.take('c1'), []);
  assert.equal(h.out.take('c2').length, frames);
  h.core.shutdown();

  const f = coreHarness({
    ratePerSecond: 100_000,
    rateBurst: 100,
    floodCloseFactor: 1,
    dataBurstBytes: 100_000,
    dataBytesPerSecond: 1024,
  });
  f.join('c1', 'r');
  f.join('c2', 'r');
  f.out.take('c1');
  f.out.take('c2');
  const big = 'x'.repeat(40_000);
  for (let i = 0; i < 2; i++) f.send('c1', { type: 'data', payload: big });
  assert.equal(f.out.take('c2').length, 2);
  f.send('c1', { type: 'data', payload: big });
  f.send('c1', { type: 'data', payload: big });
  assert.deepEqual(errorsOf(f.out.take('c1')), [{ code: ErrorCode.RateLimited, ref: 'data' }], 'one error a second');
  assert.deepEqual(f.out.take('c2'), []);
  // A small message still fits what is left of the budget.
  f.send('c1', { type: 'data', payload: 'ok' });
  assert.equal(f.out.take('c2').length, 1);
  for (let i = 0; i < 100 && !f.out.closed.has('c1'); i++) f.send('c1', { type: 'data', payload: big });
  assert.equal(f.out.closed.get('c1')?.code, CloseCode.RateLimitExceeded);
  assert.deepEqual(
    f.out.take('c2').filter((m) => m.type === 'data'),
    [],
  );
  f.core.shutdown();
});

test('SFU session descriptions may exceed the message limit up to 3 × (a 50-person room); other messages may not', () => {
  const sfu = new FakeSfuBackend();
  const h = coreHarness({ sfu });
  h.join('c1', 'r');
  h.out.take('c1');
  const big = `v=0\r\n${'a=x\r\n'.repeat(20_000)}`; // 100,005 bytes: over 64 KiB, under 3 × 64 KiB
  h.send('c1', { type: 'subscribed', sdp: big, version: 1 });
  h.send('c1', { type: 'publish', sdp: big, tracks: [] });
  assert.deepEqual(errorsOf(h.out.take('c1')), []);
  assert.equal(sfu.callsOf('subscribed').length, 1);
  assert.equal(sfu.callsOf('publish').length, 1);
  h.send('c1', { type: 'data', payload: 'x', pad: big });
  h.send('c1', { type: 'subscribed', sdp: `${big}${big}`, version: 2 });
  assert.deepEqual(
    errorsOf(h.out.take('c1')).map((e) => e.code),
    [ErrorCode.MessageTooLarge, ErrorCode.MessageTooLarge],
  );
  h.core.shutdown();
});
