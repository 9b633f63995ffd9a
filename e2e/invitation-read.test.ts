/** The web app's reading of an invitation token (apps/web/src/invitation.ts), without a browser. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { signRoomToken } from '@itda/signal';
import { readInvitation } from '../apps/web/src/invitation-token.ts';

const NOW = 1_800_000_000;
const sign = (extra: Partial<Parameters<typeof signRoomToken>[1]> = {}): string =>
  signRoomToken('s', { room: 'r', identity: 'ada', now: () => NOW * 1000, ...extra });

test('a token for the room: its name, whether the name may change, its expiry', () => {
  assert.deepEqual(readInvitation(sign({ name: 'Ada' }), 'r', NOW), {
    kind: 'ok',
    invitation: { token: sign({ name: 'Ada' }), name: 'Ada', canRename: false, expiresAt: NOW + 3600 },
  });
  const free = readInvitation(sign(), 'r', NOW);
  assert.ok(free.kind === 'ok' && free.invitation.canRename && free.invitation.name === undefined);
  const renamable = readInvitation(sign({ name: 'Ada', grants: { canRename: true } }), 'r', NOW);
  assert.ok(renamable.kind === 'ok' && renamable.invitation.canRename);
});

test('damaged, expired and wrong-room tokens are problems', () => {
  for (const bad of ['', 'abc', 'a.b.c', 'a.!!!.c', `x.${Buffer.from('[1]').toString('base64url')}.y`]) {
    assert.deepEqual(readInvitation(bad, 'r', NOW), { kind: 'problem', problem: 'invitation_malformed' }, bad);
  }
  assert.deepEqual(readInvitation(sign({ ttlSeconds: 60 }), 'r', NOW + 60), {
    kind: 'problem',
    problem: 'invitation_expired',
  });
  assert.deepEqual(readInvitation(sign({ room: 'other' }), 'r', NOW), {
    kind: 'problem',
    problem: 'invitation_wrong_room',
    room: 'other',
  });
});
