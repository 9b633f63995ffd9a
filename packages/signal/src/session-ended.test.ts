import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SessionEndedContext } from './config.ts';
import { coreHarness } from './testing.ts';

test('onSessionEnded: once per session, for every way it ends; hasSession holds through the resume grace', () => {
  const ended: SessionEndedContext[] = [];
  const { core, clock, join, send } = coreHarness({
    resumeGraceMs: 10_000,
    heartbeatTimeoutMs: 60_000,
    onSessionEnded: (s) => ended.push(s),
  });
  const reasons = (): [string, string][] => ended.map((e) => [e.participantId, e.reason]);

  const ada = join('c1', 'r');
  assert.equal(core.hasSession(ada.participantId), true);
  send('c1', { type: 'leave' });
  assert.deepEqual(reasons(), [[ada.participantId, 'left']]);
  assert.deepEqual(ended[0], { room: 'r', participantId: ada.participantId, identity: null, reason: 'left' });
  assert.equal(core.hasSession(ada.participantId), false);

  // A dropped connection is not the end: the session lives through the grace, and a resume keeps it.
  const bob = join('c2', 'r');
  core.disconnect('c2');
  assert.equal(core.hasSession(bob.participantId), true);
  clock.advance(9_000);
  send('c3', { type: 'resume', v: 1, room: 'r', participantId: bob.participantId, resumeToken: bob.resumeToken });
  clock.advance(10_000);
  assert.equal(ended.length, 1);
  // Dropped again and not back within the grace: ended, reason timeout.
  core.disconnect('c3');
  clock.advance(10_000);
  assert.deepEqual(reasons().at(-1), [bob.participantId, 'timeout']);
  assert.equal(core.hasSession(bob.participantId), false);

  const cy = join('c4', 'r');
  assert.equal(core.removeParticipant('r', cy.participantId), true);
  assert.deepEqual(reasons().at(-1), [cy.participantId, 'removed']);

  const dee = join('c5', 'other');
  assert.equal(core.closeRoom('other'), true);
  assert.deepEqual(reasons().at(-1), [dee.participantId, 'room_closed']);

  const eve = join('c6', 'r');
  const fay = join('c7', 'r');
  core.disconnect('c7'); // in grace at shutdown: ends too
  core.shutdown();
  assert.deepEqual(
    reasons().slice(-2).sort(),
    [
      [eve.participantId, 'server_shutdown'],
      [fay.participantId, 'server_shutdown'],
    ].sort(),
  );
  const ids = ended.map((e) => e.participantId);
  assert.equal(new Set(ids).size, ids.length, 'each session ends once');
  assert.equal(ended.length, 6);
  clock.advance(60_000);
  assert.equal(ended.length, 6, 'no late call from a grace timer');
});

test('an onSessionEnded that throws is logged; the leave goes on', () => {
  const lines: string[] = [];
  const { core, join, send, out } = coreHarness({
    onSessionEnded: () => {
      throw new Error('turn gone');
    },
    logger: {
      debug: () => {},
      info: () => {},
      warn: (msg: string) => lines.push(msg),
      error: () => {},
      child() {
        return this;
      },
    },
  });
  const a = join('c1', 'r');
  join('c2', 'r');
  out.take('c2');
  send('c1', { type: 'leave' });
  assert.deepEqual(lines, ['onSessionEnded failed']);
  assert.deepEqual(out.take('c2'), [{ type: 'participant-left', participantId: a.participantId, reason: 'left' }]);
  assert.equal(core.hasSession(a.participantId), false);
});
