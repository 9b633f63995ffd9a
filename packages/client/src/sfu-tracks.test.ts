import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { SubscribeTrack } from '@itda/protocol';
import { publishSourceOf, SubscribeTrackTable, streamGroupOf } from './sfu-tracks.ts';

test('publishSourceOf: screen tracks by membership, the rest by kind, a null track keeps its kind', () => {
  const screen = { getTracks: () => [{ id: 's-v' }, { id: 's-a' }] };
  assert.equal(publishSourceOf('audio', { id: 'mic' }, screen), 'microphone');
  assert.equal(publishSourceOf('video', { id: 'cam' }, screen), 'camera');
  assert.equal(publishSourceOf('video', { id: 's-v' }, screen), 'screen');
  assert.equal(publishSourceOf('audio', { id: 's-a' }, screen), 'screen-audio');
  assert.equal(publishSourceOf('video', null, screen), 'camera');
  assert.equal(publishSourceOf('video', { id: 's-v' }, null), 'camera');
  assert.equal(streamGroupOf('screen-audio'), 'screen');
  assert.equal(streamGroupOf('microphone'), 'camera');
});

test('SubscribeTrackTable: added, removed (port 0 / gone), recycled mids, per participant', () => {
  const t = (mid: string, participantId: string, kind: 'audio' | 'video', source: SubscribeTrack['source']) => ({
    mid,
    participantId,
    kind,
    source,
  });
  const table = new SubscribeTrackTable();
  const v1 = [t('0', 'p_a', 'audio', 'microphone'), t('1', 'p_a', 'video', 'camera')];
  assert.deepEqual(table.apply(v1), { added: v1, removed: [] });
  assert.deepEqual(table.apply(v1), { added: [], removed: [] });
  const v2 = [...v1, t('2', 'p_b', 'audio', 'microphone'), t('3', 'p_a', 'video', 'screen')];
  assert.deepEqual(table.apply(v2), { added: v2.slice(2), removed: [] });
  assert.deepEqual(
    table.ofParticipant('p_a').map((x) => x.source),
    ['microphone', 'camera', 'screen'],
  );
  // The screen share stops (its m-line is port 0, not listed) and p_b's slot is recycled with a fresh mid.
  const v3 = [...v1, t('4', 'p_b', 'audio', 'microphone')];
  assert.deepEqual(table.apply(v3), { added: [v3[2]], removed: [v2[2], v2[3]] });
  assert.equal(table.get('3'), undefined);
  assert.equal(table.get('4')?.participantId, 'p_b');
  assert.equal(table.get(null), undefined);
  // A mid reused for another participant counts as removed and added.
  const v4 = [t('0', 'p_c', 'audio', 'microphone')];
  const change = table.apply(v4);
  assert.deepEqual(change.added, v4);
  assert.equal(change.removed.length, 3);
  assert.equal(table.size, 1);
});
