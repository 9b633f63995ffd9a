import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ErrorCode } from '@itda/protocol';
import { coreHarness, FakeSfuBackend } from './testing.ts';
import { createTokenVerifier, signRoomToken } from './token.ts';

const NOW = 1_700_000_000_000;

test('update {name}: a token name is authoritative; renaming needs canRename; nothing reaches the others', () => {
  const verifyToken = createTokenVerifier({ secrets: ['k'], now: () => NOW });
  const token = (identity: string, name: string | undefined, canRename?: boolean) =>
    signRoomToken('k', {
      room: 'r',
      identity,
      now: () => NOW,
      ...(name === undefined ? {} : { name }),
      ...(canRename === undefined ? {} : { grants: { canRename } }),
    });
  const { out, join, send } = coreHarness({ verifyToken });
  const ada = join('c1', 'r', 'CEO', { token: token('ada', 'Ada') });
  assert.equal(ada.grants.canRename, false);
  const bob = join('c2', 'r', 'Bob', { token: token('bob', 'Bob', true) });
  assert.equal(bob.grants.canRename, true);
  const eve = join('c3', 'r', 'Eve', { token: token('eve', undefined) });
  assert.equal(eve.grants.canRename, true);
  const open = join('c4', 'r', 'Guest');
  assert.equal(open.grants.canRename, true);
  for (const c of ['c1', 'c2', 'c3', 'c4']) out.take(c);

  // Ada's token names her: no rename, not even along with a media change (nothing applies).
  send('c1', { type: 'update', name: 'CEO', media: { audio: true, video: false, screenStreamId: null } });
  const [err] = out.ofType('c1', 'error');
  assert.deepEqual([err?.code, err?.ref], [ErrorCode.Forbidden, 'update']);
  assert.deepEqual(out.take('c2'), [], 'the others see nothing of it');
  // Her own name again is no rename; media alone is fine.
  send('c1', { type: 'update', name: 'Ada', media: { audio: true, video: false, screenStreamId: null } });
  const seen = out.ofType('c2', 'participant-updated').map((m) => [m.participant.name, m.participant.media.audio]);
  assert.deepEqual(seen, [['Ada', true]]);

  // Granted, unnamed-by-token and open-room participants may rename.
  for (const [c, name] of [
    ['c2', 'Robert'],
    ['c3', 'Evelyn'],
    ['c4', 'Visitor'],
  ] as const) {
    out.take('c1');
    send(c, { type: 'update', name: `  ${name} ` });
    assert.deepEqual(
      out.ofType('c1', 'participant-updated').map((m) => m.participant.name),
      [name],
      c,
    );
  }
});

test('every entry point applies the name rule: join, update, external participants', () => {
  const { core, out, join, send } = coreHarness({ sfu: new FakeSfuBackend() });
  for (const name of ['    ', '\u200b\u200b\u200b', 'x'.repeat(65), 'A\u0000B']) {
    send('c9', { type: 'join', v: 1, room: 'r', name });
    assert.equal(out.ofType('c9', 'error').at(-1)?.code, ErrorCode.BadMessage, JSON.stringify(name));
  }
  join('c1', 'r', 'Ada');
  for (const name of ['    ', '\u200b\u200b\u200b', 'x'.repeat(65), 'A\nB']) {
    send('c1', { type: 'update', name });
    assert.equal(out.ofType('c1', 'error').at(-1)?.code, ErrorCode.BadMessage, JSON.stringify(name));
  }
  for (const name of ['    ', '\u200b', 'x'.repeat(65)]) {
    assert.throws(() => core.addExternalParticipant('r', { name }), { code: ErrorCode.BadMessage });
  }
  assert.equal(core.getRoom('r')?.participants.length, 1, 'no external participant joined');
  assert.equal(core.addExternalParticipant('r', { name: ' OBS ' }).name, 'OBS');
});
