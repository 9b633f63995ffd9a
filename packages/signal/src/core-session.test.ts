import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CloseCode, PROTOCOL_VERSION } from '@itda/protocol';
import { coreHarness } from './testing.ts';

test('join answers joined and tells the others; leave tells them too', () => {
  const { core, out, join, send } = coreHarness();
  const a = join('c1', 'room', 'Ada');
  assert.equal(a.v, PROTOCOL_VERSION);
  assert.equal(a.mode, 'p2p');
  assert.deepEqual(a.participants, []);
  // The first into an open room hosts it (config.firstJoinerHost).
  assert.deepEqual(a.grants, { canPublish: true, canSubscribe: true, canRename: true, roomAdmin: true });
  assert.deepEqual(a.limits, {
    maxMessageBytes: 65536,
    ratePerSecond: 50,
    rateBurst: 200,
    roomCapacity: 4,
    maxDataPayload: 49152,
    dataBytesPerSecond: 262144,
    dataBurstBytes: 1048576,
    sdpBytesPerSecond: 262144,
    sdpBurstBytes: 1048576,
  });
  assert.equal(a.resumeGraceMs, 15_000);
  assert.match(a.participantId, /^p_/);
  assert.ok(a.resumeToken.length >= 32);

  const b = join('c2', 'room', 'Bob');
  assert.deepEqual(b.grants, { canPublish: true, canSubscribe: true, canRename: true });
  assert.deepEqual(
    b.participants.map((p) => [p.id, p.name, p.identity, p.host]),
    [[a.participantId, 'Ada', null, true]],
  );
  const [joinedNote] = out.take('c1');
  assert.deepEqual(joinedNote, {
    type: 'participant-joined',
    participant: {
      id: b.participantId,
      name: 'Bob',
      identity: null,
      joinedAt: 1_700_000_000_000,
      media: b.participants[0]?.media ?? { audio: false, video: false, screenStreamId: null },
    },
  });
  assert.deepEqual(core.stats(), { rooms: 1, participants: 2, connections: 2 });

  send('c2', { type: 'leave' });
  assert.deepEqual(out.take('c1'), [{ type: 'participant-left', participantId: b.participantId, reason: 'left' }]);
  assert.deepEqual(out.closed.get('c2'), { code: CloseCode.Normal, reason: 'left' });
  assert.deepEqual(core.stats(), { rooms: 1, participants: 1, connections: 1 });
});

test('relay: offer, answer, candidate and end-of-candidates reach the addressee with from', () => {
  const { out, join, send } = coreHarness();
  const a = join('c1', 'r');
  const b = join('c2', 'r');
  out.take('c1');
  send('c1', { type: 'offer', to: b.participantId, sdp: 'v=0 offer' });
  send('c2', { type: 'answer', to: a.participantId, sdp: 'v=0 answer' });
  const cand = { candidate: 'candidate:1 1 udp 1 127.0.0.1 5000 typ host', sdpMid: '0', sdpMLineIndex: 0 };
  send('c1', { type: 'candidate', to: b.participantId, candidate: cand });
  send('c1', { type: 'candidate', to: b.participantId, candidate: null });
  assert.deepEqual(out.take('c2'), [
    { type: 'offer', from: a.participantId, sdp: 'v=0 offer' },
    { type: 'candidate', from: a.participantId, candidate: cand },
    { type: 'candidate', from: a.participantId, candidate: null },
  ]);
  assert.deepEqual(out.take('c1'), [{ type: 'answer', from: b.participantId, sdp: 'v=0 answer' }]);
});

test('update changes name and media and is announced; ping answers pong before joining', () => {
  const { out, join, send } = coreHarness();
  send('c0', { type: 'ping', ts: 42 });
  assert.deepEqual(out.take('c0'), [{ type: 'pong', ts: 42 }]);
  const a = join('c1', 'r', 'Ada', { media: { audio: true, video: false, screenStreamId: null } });
  join('c2', 'r');
  send('c1', { type: 'update', name: 'Ada L.', media: { audio: true, video: true, screenStreamId: 's1' } });
  const [note] = out.take('c2');
  assert.equal(note?.type, 'participant-updated');
  if (note?.type === 'participant-updated') {
    assert.equal(note.participant.id, a.participantId);
    assert.equal(note.participant.name, 'Ada L.');
    assert.deepEqual(note.participant.media, { audio: true, video: true, screenStreamId: 's1' });
  }
});

test('capacity: the room takes roomCapacity participants and answers room_full, per room too', () => {
  const { core, out, join, send } = coreHarness({ roomCapacity: 2 });
  join('c1', 'r');
  join('c2', 'r');
  send('c3', { type: 'join', v: 1, room: 'r', name: 'x' });
  assert.deepEqual(out.take('c3'), [
    { type: 'error', code: 'room_full', message: 'the room is full (2)', ref: 'join' },
  ]);
  core.createRoom({ name: 'big', capacity: 3 });
  join('d1', 'big');
  join('d2', 'big');
  const third = join('d3', 'big');
  assert.equal(third.limits.roomCapacity, 3);
});

test('a dropped connection keeps its place for the grace period; resume restores it silently', () => {
  const { core, clock, out, join, send } = coreHarness({ resumeGraceMs: 10_000, heartbeatTimeoutMs: 60_000 });
  const a = join('c1', 'r');
  const b = join('c2', 'r');
  out.take('c1');
  core.disconnect('c2');
  assert.equal(core.connectionOf(b.participantId), null);
  // Messages to a participant in grace are dropped, without error to the sender.
  send('c1', { type: 'offer', to: b.participantId, sdp: 'v=0' });
  assert.deepEqual(out.take('c1'), []);
  clock.advance(9_000);
  send('c3', { type: 'resume', v: 1, room: 'r', participantId: b.participantId, resumeToken: b.resumeToken });
  const [resumed] = out.take('c3');
  assert.equal(resumed?.type, 'resumed');
  if (resumed?.type === 'resumed') {
    assert.equal(resumed.participantId, b.participantId);
    assert.deepEqual(
      resumed.participants.map((p) => p.id),
      [a.participantId],
    );
  }
  clock.advance(10_000);
  assert.deepEqual(out.take('c1'), [], 'no left/joined flicker for the others');
  send('c1', { type: 'offer', to: b.participantId, sdp: 'v=0' });
  assert.deepEqual(out.take('c3'), [{ type: 'offer', from: a.participantId, sdp: 'v=0' }]);
  assert.equal(core.connectionOf(b.participantId), 'c3');
});

test('after the grace the others get participant-left reason timeout, and resume fails', () => {
  const { core, clock, out, join, send } = coreHarness({ resumeGraceMs: 10_000 });
  join('c1', 'r');
  const b = join('c2', 'r');
  out.take('c1');
  core.disconnect('c2');
  clock.advance(10_000);
  assert.deepEqual(out.take('c1'), [{ type: 'participant-left', participantId: b.participantId, reason: 'timeout' }]);
  send('c3', { type: 'resume', v: 1, room: 'r', participantId: b.participantId, resumeToken: b.resumeToken });
  assert.equal(out.ofType('c3', 'error')[0]?.code, 'resume_failed');
});

test('resume with a wrong token or wrong room fails; resume while still connected replaces the old socket', () => {
  const { out, join, send } = coreHarness();
  const a = join('c1', 'r');
  send('x1', { type: 'resume', v: 1, room: 'r', participantId: a.participantId, resumeToken: `${a.resumeToken}x` });
  send('x2', { type: 'resume', v: 1, room: 'other', participantId: a.participantId, resumeToken: a.resumeToken });
  send('x3', { type: 'resume', v: 1, room: 'r', participantId: 'p_nobody', resumeToken: a.resumeToken });
  for (const c of ['x1', 'x2', 'x3']) assert.equal(out.ofType(c, 'error')[0]?.code, 'resume_failed', c);
  send('c9', { type: 'resume', v: 1, room: 'r', participantId: a.participantId, resumeToken: a.resumeToken });
  assert.equal(out.ofType('c9', 'resumed').length, 1);
  assert.deepEqual(out.closed.get('c1'), { code: CloseCode.Replaced, reason: 'session resumed on another connection' });
});

test('heartbeat: silence for timeoutMs closes with 4002 and starts the resume grace', () => {
  const { core, clock, out, join, send } = coreHarness({ heartbeatTimeoutMs: 3_000, heartbeatIntervalMs: 1_000 });
  join('c1', 'r');
  const b = join('c2', 'r');
  out.take('c1');
  for (let i = 0; i < 5; i++) {
    clock.advance(1_000);
    send('c1', { type: 'ping' });
  }
  assert.equal(out.closed.get('c1'), undefined, 'pinging keeps c1 open');
  assert.deepEqual(out.closed.get('c2'), { code: CloseCode.HeartbeatTimeout, reason: 'heartbeat timeout' });
  assert.equal(core.connectionOf(b.participantId), null);
  assert.equal(out.ofType('c1', 'participant-left').length, 0, 'in grace, not gone');
  for (let i = 0; i < 15; i++) {
    clock.advance(1_000);
    send('c1', { type: 'ping' });
  }
  assert.equal(out.ofType('c1', 'participant-left')[0]?.reason, 'timeout');
  assert.equal(core.metrics.errors.get('heartbeat_timeout'), 1);
});

test('an empty join-created room closes after its grace; API rooms stay; delete closes with 4000', () => {
  const { core, clock, out, join, send } = coreHarness({ emptyRoomGraceMs: 5_000 });
  join('c1', 'r');
  send('c1', { type: 'leave' });
  clock.advance(4_000);
  join('c2', 'r');
  send('c2', { type: 'leave' });
  clock.advance(4_999);
  assert.ok(core.getRoom('r'), 'rejoining cancelled the first timer');
  clock.advance(1);
  assert.equal(core.getRoom('r'), undefined);

  core.createRoom({ name: 'kept' });
  clock.advance(60_000);
  assert.equal(core.getRoom('kept')?.origin, 'api');
  join('c3', 'kept');
  join('c4', 'kept');
  assert.equal(core.closeRoom('kept'), true);
  for (const c of ['c3', 'c4']) {
    assert.deepEqual(out.ofType(c, 'closed'), [{ type: 'closed', reason: 'room_closed' }]);
    assert.equal(out.closed.get(c)?.code, CloseCode.RoomClosed);
  }
  assert.equal(out.ofType('c3', 'participant-left').length, 0);
  assert.deepEqual(core.stats(), { rooms: 0, participants: 0, connections: 0 });
  assert.equal(clock.pending, 0, 'no timers left behind');
});

test('removeParticipant kicks one; shutdown closes everyone with 1001 and leaves no timers', () => {
  const { core, clock, out, join, send } = coreHarness();
  join('c1', 'r');
  const b = join('c2', 'r');
  out.take('c1');
  assert.equal(core.removeParticipant('r', b.participantId), true);
  assert.deepEqual(out.ofType('c2', 'closed'), [
    { type: 'closed', reason: 'removed', by: { id: null, name: 'the room API' } },
  ]);
  assert.equal(out.closed.get('c2')?.code, CloseCode.Removed);
  assert.deepEqual(out.take('c1'), [{ type: 'participant-left', participantId: b.participantId, reason: 'removed' }]);
  send('c5', { type: 'ping' });
  core.shutdown();
  for (const c of ['c1', 'c5']) {
    assert.deepEqual(out.ofType(c, 'closed'), [{ type: 'closed', reason: 'server_shutdown' }]);
    assert.equal(out.closed.get(c)?.code, CloseCode.GoingAway);
  }
  assert.equal(clock.pending, 0);
  core.shutdown();
  core.open('late');
  assert.equal(out.closed.get('late')?.code, CloseCode.GoingAway);
});
