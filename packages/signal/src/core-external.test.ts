import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode, type ServerMessage } from '@itda/protocol';
import { coreHarness, FakeSfuBackend } from './testing.ts';

test('an external participant joins through the join path: participant-joined, the SFU backend, its own deliver', () => {
  const sfu = new FakeSfuBackend();
  const h = coreHarness({ sfu });
  const a = h.join('c1', 'r', 'Ada');
  const delivered: ServerMessage[] = [];
  const removed: string[] = [];
  const info = h.core.addExternalParticipant('r', {
    name: 'OBS',
    grants: { canPublish: true, canSubscribe: false, canRename: false },
    requireMode: 'sfu',
    deliver: (m) => delivered.push(m),
    onRemoved: (reason) => removed.push(reason),
  });
  assert.match(info.id, /^p_/);
  assert.equal(info.name, 'OBS');
  assert.deepEqual(
    h.out.take('c1').map((m) => m.type),
    ['participant-joined'],
  );
  assert.deepEqual(sfu.callsOf('addParticipant').at(-1)?.participant, {
    room: 'r',
    id: info.id,
    name: 'OBS',
    canPublish: true,
    canSubscribe: false,
  });
  // What the backend sends it goes to deliver, not to a connection.
  assert.ok(sfu.sendTo(info.id, { type: 'published', sdp: 'v=0' }));
  assert.deepEqual(delivered, [{ type: 'published', sdp: 'v=0' }]);
  assert.equal(h.core.stats().participants, 2);
  assert.equal(h.core.getRoom('r')?.participants.find((p) => p.id === info.id)?.connected, true);

  // Removed by its owner: participant-left reason left, the backend told, no onRemoved.
  assert.equal(h.core.removeExternalParticipant(info.id), true);
  assert.equal(h.core.removeExternalParticipant(info.id), false);
  assert.deepEqual(h.out.take('c1'), [{ type: 'participant-left', participantId: info.id, reason: 'left' }]);
  assert.deepEqual(sfu.callsOf('removeParticipant').at(-1), {
    method: 'removeParticipant',
    room: 'r',
    participantId: info.id,
  });
  assert.deepEqual(removed, []);
  assert.equal(h.core.stats().participants, 1);
  assert.ok(a.participantId);
  h.core.shutdown();
});

test('external participants: room rules (not found, mode, full), kick and room close call onRemoved', () => {
  const sfu = new FakeSfuBackend();
  const h = coreHarness({ sfu, sfuRoomCapacity: 2 });
  assert.throws(() => h.core.addExternalParticipant('nope', { name: 'x' }), { code: ErrorCode.RoomNotFound });
  assert.equal(h.core.getRoom('nope'), undefined);
  h.core.createRoom({ name: 'p', mode: 'p2p' });
  assert.throws(() => h.core.addExternalParticipant('p', { name: 'x', requireMode: 'sfu' }), {
    code: ErrorCode.NotSfuRoom,
  });
  const removed: string[] = [];
  const one = h.core.addExternalParticipant('s', { name: 'a', create: true, onRemoved: (r) => removed.push(r) });
  assert.equal(h.core.getRoom('s')?.mode, 'sfu');
  h.core.addExternalParticipant('s', { name: 'b', onRemoved: (r) => removed.push(r) });
  assert.throws(() => h.core.addExternalParticipant('s', { name: 'c' }), { code: ErrorCode.RoomFull });
  assert.equal(h.core.removeParticipant('s', one.id), true);
  assert.deepEqual(removed, ['removed']);
  assert.equal(h.core.closeRoom('s'), true);
  assert.deepEqual(removed, ['removed', 'room_closed']);
  assert.equal(h.core.stats().participants, 0);

  const late: string[] = [];
  h.core.addExternalParticipant('t', { name: 'z', create: true, onRemoved: (r) => late.push(r) });
  h.core.shutdown();
  assert.deepEqual(late, ['server_shutdown']);
  assert.throws(() => h.core.addExternalParticipant('t', { name: 'z', create: true }), { code: 'server_shutdown' });
});
