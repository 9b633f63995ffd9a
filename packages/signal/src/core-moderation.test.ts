/**
 * Moderation and the lobby (moderation.ts, lobby.ts): who is host, what a host may do and
 * a non-host may not (`forbidden`), bans for the room's lifetime, the lock, knocks
 * admitted, denied and abandoned — also interleaved in seeded random orders, where every
 * knock must end exactly once and the room never passes its capacity.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { seededRandom } from '@itda/common/testing';
import { CloseCode, type ServerMessage } from '@itda/protocol';
import { coreHarness, FakeSfuBackend } from './testing.ts';
import { createTokenVerifier, signRoomToken } from './token.ts';

const SECRET = 'moderation-secret';
const NOW = 1_700_000_000_000;
const token = (identity: string, extra: Partial<Parameters<typeof signRoomToken>[1]> = {}): string =>
  signRoomToken(SECRET, { room: 'r', identity, now: () => NOW, ...extra });
const withTokens = { verifyToken: createTokenVerifier({ secrets: [SECRET], now: () => NOW }) };

test('host: the first into an open room hosts it, the next do not; when the host leaves the next newcomer does', () => {
  const { join, send } = coreHarness();
  const a = join('c1', 'r', 'Ada');
  const b = join('c2', 'r', 'Bob');
  assert.equal(a.grants.roomAdmin, true);
  assert.equal(b.grants.roomAdmin, undefined);
  send('c1', { type: 'leave' });
  assert.equal(join('c3', 'r', 'Cy').grants.roomAdmin, true);
  assert.equal(coreHarness({ firstJoinerHost: false }).join('x', 'r').grants.roomAdmin, undefined);
});

test('host by token: roomAdmin tokens host; a token without it never does, even first', () => {
  const { join } = coreHarness({ ...withTokens });
  assert.equal(join('c1', 'r', 'Guest', { token: token('guest') }).grants.roomAdmin, undefined);
  assert.equal(join('c2', 'r', 'Ada', { token: token('ada', { grants: { roomAdmin: true } }) }).grants.roomAdmin, true);
});

test('a participant who is not host gets forbidden for every action', () => {
  const { out, join, send } = coreHarness();
  const a = join('c1', 'r', 'Ada');
  join('c2', 'r', 'Bob');
  for (const action of ['mute', 'remove', 'lock', 'unlock', 'lobby-on', 'lobby-off', 'admit', 'deny'] as const) {
    send('c2', { type: 'moderate', action, participantId: a.participantId, kind: 'audio' });
    const [reply] = out.take('c2');
    assert.equal(reply?.type === 'error' ? reply.code : reply?.type, 'forbidden', action);
  }
});

test('mute: the participant is told which and by whom; bad requests are bad_message / unknown_participant', () => {
  const { out, join, send } = coreHarness();
  const a = join('c1', 'r', 'Ada');
  const b = join('c2', 'r', 'Bob');
  out.take('c1');
  send('c1', { type: 'moderate', action: 'mute', participantId: b.participantId, kind: 'video' });
  assert.deepEqual(out.take('c2'), [
    { type: 'moderated', action: 'mute', kind: 'video', by: { id: a.participantId, name: 'Ada' } },
  ]);
  const codes = (): string[] => out.take('c1').map((m) => (m.type === 'error' ? m.code : m.type));
  send('c1', { type: 'moderate', action: 'mute', participantId: b.participantId });
  send('c1', { type: 'moderate', action: 'mute', participantId: 'p_nobody', kind: 'audio' });
  send('c1', { type: 'moderate', action: 'mute', participantId: a.participantId, kind: 'audio' });
  send('c1', { type: 'moderate', action: 'remove' });
  assert.deepEqual(codes(), ['bad_message', 'unknown_participant', 'bad_message', 'bad_message']);
});

test('remove: closed removed by the host, 4009; the identity and the resume token are refused for the room’s lifetime', () => {
  const { core, out, join, send } = coreHarness({ ...withTokens });
  const a = join('c1', 'r', 'Ada', { token: token('ada', { grants: { roomAdmin: true } }) });
  const b = join('c2', 'r', 'Bob', { token: token('bob') });
  out.take('c1');
  send('c1', { type: 'moderate', action: 'remove', participantId: b.participantId });
  assert.deepEqual(out.ofType('c2', 'closed'), [
    { type: 'closed', reason: 'removed', by: { id: a.participantId, name: 'Ada' } },
  ]);
  assert.equal(out.closed.get('c2')?.code, CloseCode.Removed);
  assert.deepEqual(out.take('c1'), [{ type: 'participant-left', participantId: b.participantId, reason: 'removed' }]);
  send('c3', { type: 'join', v: 1, room: 'r', name: 'Bob again', token: token('bob') });
  send('c4', { type: 'resume', v: 1, room: 'r', participantId: b.participantId, resumeToken: b.resumeToken });
  for (const c of ['c3', 'c4']) assert.equal((out.ofType(c, 'error')[0] as { code?: string })?.code, 'banned', c);
  // The room API removes the same way, by "the room API".
  const c = join('c5', 'r', 'Cy', { token: token('cy') });
  assert.equal(core.removeParticipant('r', c.participantId), true);
  assert.deepEqual(out.ofType('c5', 'closed')[0], {
    type: 'closed',
    reason: 'removed',
    by: { id: null, name: 'the room API' },
  });
});

test('lock: everyone hears it; newcomers get room_locked unless their token hosts; unlock lets them in', () => {
  const { out, join, send } = coreHarness({ ...withTokens, openRooms: true });
  const a = join('c1', 'r', 'Ada');
  join('c2', 'r', 'Bob');
  out.take('c1');
  send('c1', { type: 'moderate', action: 'lock' });
  const state = { type: 'room-state', locked: true, lobby: false, by: { id: a.participantId, name: 'Ada' } };
  assert.deepEqual(out.take('c2'), [state]);
  assert.deepEqual(out.take('c1'), [state]);
  send('c3', { type: 'join', v: 1, room: 'r', name: 'Cy' });
  assert.equal((out.ofType('c3', 'error')[0] as { code?: string })?.code, 'room_locked');
  const admin = join('c4', 'r', 'Dee', { token: token('dee', { grants: { roomAdmin: true } }) });
  assert.deepEqual(admin.roomState, { locked: true, lobby: false });
  send('c1', { type: 'moderate', action: 'unlock' });
  join('c5', 'r', 'Eve');
});

test('lobby: a newcomer knocks; hosts see it (also a host who comes later); admit joins it, deny closes it with 4010', () => {
  const { out, join, send, core } = coreHarness();
  const a = join('c1', 'r', 'Ada');
  join('c2', 'r', 'Bob');
  send('c1', { type: 'moderate', action: 'lobby-on' });
  out.take('c1');
  out.take('c2');
  send('c3', { type: 'join', v: 1, room: 'r', name: 'Cy' });
  const [lobby] = out.take('c3');
  assert.equal(lobby?.type, 'lobby');
  const cyId = lobby?.type === 'lobby' ? lobby.participantId : '';
  assert.deepEqual(out.take('c1'), [{ type: 'knock', participant: { id: cyId, name: 'Cy', identity: null } }]);
  assert.deepEqual(out.take('c2'), [], 'only hosts hear knocks');
  // While waiting: nothing else is allowed, and a second join is already_joined.
  send('c3', { type: 'update', name: 'x' });
  send('c3', { type: 'join', v: 1, room: 'r', name: 'Cy' });
  assert.deepEqual(
    out.take('c3').map((m) => (m.type === 'error' ? m.code : m.type)),
    ['not_joined', 'already_joined'],
  );
  assert.equal(core.getRoom('r')?.knocking.length, 1);

  send('c1', { type: 'moderate', action: 'admit', participantId: cyId });
  const joined = out.ofType('c3', 'joined')[0];
  assert.equal(joined?.participantId, cyId);
  assert.deepEqual(joined?.roomState, { locked: false, lobby: true });
  assert.deepEqual(
    out.take('c1').map((m) => m.type),
    ['participant-joined', 'knock-ended'],
  );

  send('c4', { type: 'join', v: 1, room: 'r', name: 'Dee' });
  const deeId = (out.take('c4')[0] as { participantId: string }).participantId;
  send('c1', { type: 'moderate', action: 'deny', participantId: deeId });
  assert.deepEqual(out.take('c4'), [{ type: 'closed', reason: 'denied', by: { id: a.participantId, name: 'Ada' } }]);
  assert.equal(out.closed.get('c4')?.code, CloseCode.Denied);
  assert.deepEqual(out.take('c1').at(-1), { type: 'knock-ended', participantId: deeId, outcome: 'denied' });

  // A knock that goes away; a host who arrives later sees who waits.
  send('c5', { type: 'join', v: 1, room: 'r', name: 'Eve' });
  send('c6', { type: 'join', v: 1, room: 'r', name: 'Fay' });
  const eveId = (out.take('c5')[0] as { participantId: string }).participantId;
  core.disconnect('c5');
  assert.deepEqual(out.take('c1').at(-1), { type: 'knock-ended', participantId: eveId, outcome: 'left' });
  send('c1', { type: 'leave' });
  send('c2', { type: 'leave' });
  send('c3', { type: 'leave' });
  // Nobody hosts now: the next newcomer hosts (firstJoinerHost) and comes straight in, seeing Fay knock.
  send('c7', { type: 'join', v: 1, room: 'r', name: 'Gus' });
  assert.deepEqual(
    out.take('c7').map((m) => m.type),
    ['joined', 'knock'],
  );
});

test('lobby-off admits everyone waiting while there is room; the lobby holds lobbyCapacity; closing the room closes knocks', () => {
  const { core, out, join, send } = coreHarness({ lobbyCapacity: 2, roomCapacity: 2 });
  join('c1', 'r', 'Ada');
  send('c1', { type: 'moderate', action: 'lobby-on' });
  for (const c of ['k1', 'k2', 'k3']) send(c, { type: 'join', v: 1, room: 'r', name: c });
  assert.equal((out.ofType('k3', 'error')[0] as { code?: string })?.code, 'lobby_full');
  out.take('c1');
  send('c1', { type: 'moderate', action: 'lobby-off' });
  assert.equal(out.ofType('k1', 'joined').length, 1, 'the first waiting comes in');
  assert.equal((out.ofType('k2', 'error')[0] as { code?: string })?.code, 'room_full', 'the room is full for the next');
  assert.ok(out.closed.has('k2'));
  assert.deepEqual(
    out
      .take('c1')
      .filter((m) => m.type === 'knock-ended')
      .map((m) => (m.type === 'knock-ended' ? m.outcome : '')),
    ['admitted', 'denied'],
  );

  join('d1', 'q', 'Host');
  send('d1', { type: 'moderate', action: 'lobby-on' });
  send('d2', { type: 'join', v: 1, room: 'q', name: 'Waiting' });
  assert.equal(core.closeRoom('q'), true);
  assert.deepEqual(out.ofType('d2', 'closed'), [{ type: 'closed', reason: 'room_closed' }]);
  assert.equal(out.closed.get('d2')?.code, CloseCode.RoomClosed);
});

test('interleaved: knocks, admits, denies, departures and lobby-off in 200 seeded orders — every knock ends once, capacity holds', () => {
  for (let seed = 1; seed <= 200; seed++) {
    const random = seededRandom(seed);
    const capacity = 3 + Math.floor(random() * 3);
    const { core, out, join, send } = coreHarness({ roomCapacity: capacity, lobbyCapacity: 4 });
    join('host', 'r', 'Host');
    send('host', { type: 'moderate', action: 'lobby-on' });
    out.take('host');
    const waiting = new Map<string, string>(); // knock id → connection
    let next = 0;
    for (let step = 0; step < 40; step++) {
      const roll = random();
      const ids = [...waiting.keys()];
      const pick = ids[Math.floor(random() * ids.length)];
      if (roll < 0.4) {
        const conn = `n${next++}`;
        send(conn, { type: 'join', v: 1, room: 'r', name: conn });
        const [first] = out.take(conn);
        if (first?.type === 'lobby') waiting.set(first.participantId, conn);
      } else if (roll < 0.6 && pick !== undefined) {
        send('host', { type: 'moderate', action: 'admit', participantId: pick });
        if (out.ofType(waiting.get(pick) ?? '', 'joined').length > 0) waiting.delete(pick);
      } else if (roll < 0.75 && pick !== undefined) {
        send('host', { type: 'moderate', action: 'deny', participantId: pick });
        waiting.delete(pick);
      } else if (roll < 0.9 && pick !== undefined) {
        core.disconnect(waiting.get(pick) ?? '');
        waiting.delete(pick);
      } else if (roll < 0.95) {
        send('host', { type: 'moderate', action: 'lobby-off' });
        send('host', { type: 'moderate', action: 'lobby-on' });
        // Turning the lobby off admitted (or turned away) everyone waiting.
        const still = new Set(core.getRoom('r')?.knocking.map((k) => k.id));
        for (const id of [...waiting.keys()]) if (!still.has(id)) waiting.delete(id);
      }
      const room = core.getRoom('r');
      assert.ok(room !== undefined && room.participants.length <= capacity, `seed ${seed}: capacity`);
      assert.deepEqual(
        room.knocking.map((k) => k.id).sort(),
        [...waiting.keys()].sort(),
        `seed ${seed} step ${step}: the lobby is who waits`,
      );
    }
    const hostSaw: ServerMessage[] = out.take('host');
    const knocks = hostSaw.filter((m) => m.type === 'knock').map((m) => (m.type === 'knock' ? m.participant.id : ''));
    const ends = hostSaw
      .filter((m) => m.type === 'knock-ended')
      .map((m) => (m.type === 'knock-ended' ? m.participantId : ''));
    assert.equal(new Set(ends).size, ends.length, `seed ${seed}: a knock ends once`);
    assert.deepEqual(
      knocks.filter((id) => !ends.includes(id)).sort(),
      [...waiting.keys()].sort(),
      `seed ${seed}: every knock that is not waiting has ended`,
    );
  }
});

test('the lock and bans hold for external participants (WHIP publishers) too', () => {
  const { core, join, send } = coreHarness();
  join('c1', 'r', 'Ada');
  send('c1', { type: 'moderate', action: 'lock' });
  assert.throws(() => core.addExternalParticipant('r', { name: 'OBS' }), { code: 'room_locked' });
  send('c1', { type: 'moderate', action: 'unlock' });
  const obs = core.addExternalParticipant('r', { name: 'OBS', identity: 'obs-1' });
  assert.equal(core.removeParticipant('r', obs.id), true);
  assert.throws(() => core.addExternalParticipant('r', { name: 'OBS', identity: 'obs-1' }), { code: 'banned' });
});

test('a forced mute: the participant may not turn it on (update refused), the SFU holds the media, release undoes both', () => {
  const sfu = new FakeSfuBackend();
  const { out, join, send } = coreHarness({ sfu, defaultRoomMode: 'sfu' });
  const a = join('c1', 'r', 'Ada');
  const b = join('c2', 'r', 'Bob', { media: { audio: true, video: true, screenStreamId: null } });
  out.take('c1');
  send('c1', { type: 'moderate', action: 'mute', participantId: b.participantId, kind: 'audio', force: true });
  assert.deepEqual(out.take('c2'), [
    { type: 'moderated', action: 'mute', kind: 'audio', by: { id: a.participantId, name: 'Ada' }, forced: true },
  ]);
  const [updated] = out.take('c1');
  assert.equal(
    updated?.type === 'participant-updated' && updated.participant.media.audio,
    false,
    'the others see it off',
  );
  send('c2', { type: 'update', media: { audio: true, video: true, screenStreamId: null } });
  assert.equal((out.take('c2')[0] as { code?: string }).code, 'forbidden');
  send('c2', { type: 'update', media: { audio: false, video: false, screenStreamId: null } });
  assert.deepEqual(out.take('c2'), [], 'turning things off is always allowed');
  send('c1', { type: 'moderate', action: 'release', participantId: b.participantId, kind: 'audio' });
  assert.equal((out.take('c2')[0] as { action?: string }).action, 'release');
  send('c2', { type: 'update', media: { audio: true, video: false, screenStreamId: null } });
  assert.deepEqual(out.take('c2'), []);
  assert.deepEqual(
    sfu.calls.flatMap((c) => (c.method === 'holdMedia' ? [[c.participantId, c.kind, c.held]] : [])),
    [
      [b.participantId, 'audio', true],
      [b.participantId, 'audio', false],
    ],
  );
});

test('two hosts decide one knock at the same moment: the first decision stands, the second is unknown_participant', () => {
  for (const [first, second] of [
    ['admit', 'deny'],
    ['deny', 'admit'],
    ['admit', 'admit'],
  ] as const) {
    const { out, join, send } = coreHarness({ ...withTokens });
    join('h1', 'r', 'Ada', { token: token('ada', { grants: { roomAdmin: true } }) });
    join('h2', 'r', 'Bea', { token: token('bea', { grants: { roomAdmin: true } }) });
    send('h1', { type: 'moderate', action: 'lobby-on' });
    send('k', { type: 'join', v: 1, room: 'r', name: 'Cy', token: token('cy') });
    const id = (out.take('k')[0] as { participantId: string }).participantId;
    out.take('h1');
    out.take('h2');
    send('h1', { type: 'moderate', action: first, participantId: id });
    send('h2', { type: 'moderate', action: second, participantId: id });
    const refused = out.take('h2').filter((m) => m.type === 'error');
    assert.deepEqual(
      refused.map((m) => (m.type === 'error' ? m.code : '')),
      ['unknown_participant'],
    );
    assert.equal(out.ofType('k', 'joined').length, first === 'admit' ? 1 : 0);
    assert.equal(out.ofType('k', 'closed').length, first === 'deny' ? 1 : 0);
    const ends = out.take('h1').filter((m) => m.type === 'knock-ended');
    assert.equal(ends.length, 1, 'the knock ends once');
  }
});
