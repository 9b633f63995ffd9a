import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger, type LogFields } from '@itda/common';
import { CloseCode, ErrorCode } from '@itda/protocol';
import { coreHarness } from './testing.ts';
import { createTokenVerifier, signRoomToken } from './token.ts';

const NOW = 1_700_000_000_000;
const SDP_SEND = 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\n';
const SDP_RECV = 'v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=recvonly\r\n';

test('every bad input gets its code and ref, is logged once and counted, and bothers nobody else', () => {
  const records: LogFields[] = [];
  const logger = createLogger({ level: 'warn', sink: (r) => records.push(r) });
  const h = coreHarness({ logger });
  const { core, out, join, send } = h;
  const a = join('c1', 'r');
  const b = join('c2', 'r');
  out.take('c1');

  const cases: [input: unknown, code: string, ref: string | undefined][] = [
    ['{nope', ErrorCode.BadJson, undefined],
    ['[1]', ErrorCode.BadJson, undefined],
    [{ type: 'teleport' }, ErrorCode.UnknownType, 'teleport'],
    [{ type: 'offer', to: 5, sdp: 'v=0' }, ErrorCode.BadMessage, 'offer'],
    [{ type: 'offer', to: 'p_nobody', sdp: 'v=0' }, ErrorCode.UnknownParticipant, 'offer'],
    [{ type: 'candidate', to: a.participantId, candidate: null }, ErrorCode.UnknownParticipant, 'candidate'],
    [{ type: 'join', v: 1, room: 'r', name: 'again' }, ErrorCode.AlreadyJoined, 'join'],
    [{ type: 'x'.repeat(70_000) }, ErrorCode.MessageTooLarge, undefined],
  ];
  for (const [input, code, ref] of cases) {
    records.length = 0;
    send('c1', input);
    const sent = out.take('c1');
    assert.equal(sent.length, 1, `${code}: one reply`);
    const [err] = sent;
    assert.equal(err?.type, 'error');
    if (err?.type === 'error') {
      assert.equal(err.code, code);
      assert.equal(err.ref, ref);
    }
    assert.equal(records.length, 1, `${code}: logged once`);
    assert.equal(records[0]?.code, code);
    assert.equal(records[0]?.connId, 'c1');
    assert.equal(records[0]?.participantId, a.participantId);
    assert.equal(records[0]?.room, 'r');
  }
  core.receive('c1', new Uint8Array([1, 2, 3]), true);
  assert.equal(out.ofType('c1', 'error')[0]?.code, ErrorCode.BadMessage);
  assert.deepEqual(out.take('c2'), [], 'the other participant saw nothing');
  send('c2', { type: 'offer', to: a.participantId, sdp: 'v=0' });
  assert.equal(out.ofType('c1', 'offer').length, 1, 'the call still works');
  assert.equal(core.metrics.errors.get(ErrorCode.BadJson), 2);
  assert.equal(out.closed.size, 0);
  void b;
});

test('before joining: not_joined; wrong version: unsupported_version; bad room name: bad_message', () => {
  const { out, send } = coreHarness();
  send('c1', { type: 'offer', to: 'p_x', sdp: 'v=0' });
  send('c1', { type: 'update', name: 'x' });
  send('c1', { type: 'join', v: 99, room: 'r', name: 'x' });
  send('c1', { type: 'resume', v: 99, room: 'r', participantId: 'p', resumeToken: 't' });
  send('c1', { type: 'join', v: 1, room: 'no spaces', name: 'x' });
  assert.deepEqual(
    out.take('c1').map((m) => (m.type === 'error' ? [m.code, m.ref] : m.type)),
    [
      [ErrorCode.NotJoined, 'offer'],
      [ErrorCode.NotJoined, 'update'],
      [ErrorCode.UnsupportedVersion, 'join'],
      [ErrorCode.UnsupportedVersion, 'resume'],
      [ErrorCode.BadMessage, 'join'],
    ],
  );
});

test('rate limit: over the burst → rate_limited at most once a second, a persistent flood → 4008', () => {
  const { core, clock, out, join, send } = coreHarness({ ratePerSecond: 10, rateBurst: 20 });
  join('c1', 'r');
  const b = join('c2', 'r');
  out.take('c1');
  for (let i = 0; i < 30; i++) send('c2', { type: 'ping' });
  const sent = out.take('c2');
  assert.equal(sent.filter((m) => m.type === 'pong').length, 19, 'the join took one token');
  assert.deepEqual(
    sent.filter((m) => m.type === 'error').map((m) => m.type === 'error' && m.code),
    [ErrorCode.RateLimited],
  );
  clock.advance(1_000);
  for (let i = 0; i < 20; i++) send('c2', { type: 'ping' });
  assert.equal(out.ofType('c2', 'error').length, 1, 'a second error after a second');
  assert.equal(out.closed.get('c2'), undefined);
  for (let i = 0; i < 100; i++) send('c2', { type: 'ping' });
  assert.deepEqual(out.closed.get('c2'), { code: CloseCode.RateLimitExceeded, reason: 'rate limit exceeded' });
  assert.equal(core.connectionOf(b.participantId), null, 'the flooder is in resume grace');
  assert.deepEqual(out.take('c1'), [], 'the other participant saw nothing');
  assert.equal(core.metrics.errors.get('rate_limit_exceeded'), 1);
});

test('a quiet period resets the flood count', () => {
  const { clock, out, send } = coreHarness({ ratePerSecond: 10, rateBurst: 10, floodCloseFactor: 2 });
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < 25; i++) send('c1', { type: 'ping' }); // 15 dropped per round
    clock.advance(2_000);
  }
  assert.equal(out.closed.get('c1'), undefined);
});

test('tokens: required when open rooms are off; invalid, expired, wrong room and grants', () => {
  const verifyToken = createTokenVerifier({ secrets: ['k'], now: () => NOW });
  const token = (room: string, opts: { ttlSeconds?: number; canPublish?: boolean; name?: string } = {}) =>
    signRoomToken('k', {
      room,
      identity: 'ada',
      now: () => NOW,
      ...(opts.ttlSeconds === undefined ? {} : { ttlSeconds: opts.ttlSeconds }),
      ...(opts.name === undefined ? {} : { name: opts.name }),
      grants: { canPublish: opts.canPublish ?? true },
    });
  const { out, join, send } = coreHarness({ openRooms: false, verifyToken });
  const attempts: [string, Record<string, unknown>, string][] = [
    ['n1', {}, ErrorCode.Unauthorized],
    ['n2', { token: 'junk' }, ErrorCode.InvalidToken],
    ['n3', { token: token('other') }, ErrorCode.Forbidden],
    ['n4', { token: token('r', { ttlSeconds: -10 }) }, ErrorCode.TokenExpired],
  ];
  for (const [c, extra, code] of attempts) {
    send(c, { type: 'join', v: 1, room: 'r', name: 'x', ...extra });
    assert.equal(out.ofType(c, 'error')[0]?.code, code, c);
  }
  const a = join('c1', 'r', 'ignored', { token: token('r', { name: 'Ada' }) });
  assert.equal(a.grants.canPublish, true);
  const viewer = join('c2', 'r', 'Viewer', { token: token('r', { canPublish: false }) });
  assert.deepEqual(viewer.grants, { canPublish: false, canSubscribe: true, canRename: true });
  assert.deepEqual(
    viewer.participants.map((p) => [p.name, p.identity]),
    [['Ada', 'ada']],
  );
  send('c2', { type: 'answer', to: a.participantId, sdp: SDP_SEND });
  assert.equal(out.ofType('c2', 'error')[0]?.code, ErrorCode.Forbidden);
  send('c2', { type: 'answer', to: a.participantId, sdp: SDP_RECV });
  assert.equal(out.ofType('c1', 'answer').length, 1, 'a receive-only answer is relayed');
});

test('open rooms: a token is optional, but verified when given; no secret → invalid_token', () => {
  const { out, join, send } = coreHarness();
  join('c1', 'r');
  send('c2', { type: 'join', v: 1, room: 'r', name: 'x', token: 'a.b.c' });
  assert.equal(out.ofType('c2', 'error')[0]?.code, ErrorCode.InvalidToken);
});

test('a failing policy callback answers internal, changes nothing, and the connection stays usable', () => {
  let fail = true;
  const { core, out, send } = coreHarness({
    iceServers: () => {
      if (fail) throw new Error('provider down');
      return [];
    },
  });
  send('c1', { type: 'join', v: 1, room: 'r', name: 'A' });
  assert.deepEqual(out.take('c1'), [
    { type: 'error', code: ErrorCode.Internal, message: 'internal error', ref: 'join' },
  ]);
  assert.equal(core.stats().participants, 0, 'no half-joined participant');
  assert.equal(core.metrics.errors.get(ErrorCode.Internal), 1);
  fail = false;
  send('c1', { type: 'join', v: 1, room: 'r', name: 'A' });
  assert.equal(out.ofType('c1', 'joined').length, 1);
});
