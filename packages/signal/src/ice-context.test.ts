import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { IceServersContext } from './config.ts';
import { coreHarness } from './testing.ts';

test('the ICE servers provider sees the Host header of the joining and the resuming connection', () => {
  const seen: IceServersContext[] = [];
  const h = coreHarness({
    iceServers: (ctx) => {
      seen.push(ctx);
      return [{ urls: `stun:${ctx.host ?? 'none'}` }];
    },
  });
  h.core.open('c1', { host: 'meet.example:8080' });
  h.core.receive('c1', JSON.stringify({ type: 'join', v: 1, room: 'hosts', name: 'A' }));
  const [joined] = h.out.ofType('c1', 'joined');
  assert.ok(joined);
  assert.deepEqual(joined.iceServers, [{ urls: 'stun:meet.example:8080' }]);
  assert.equal(seen[0]?.host, 'meet.example:8080');
  assert.equal(seen[0]?.participantId, joined.participantId);

  h.core.disconnect('c1');
  h.core.open('c2', { host: '192.0.2.5:8080' });
  h.core.receive(
    'c2',
    JSON.stringify({
      type: 'resume',
      v: 1,
      room: 'hosts',
      participantId: joined.participantId,
      resumeToken: joined.resumeToken,
    }),
  );
  const [resumed] = h.out.ofType('c2', 'resumed');
  assert.deepEqual(resumed?.iceServers, [{ urls: 'stun:192.0.2.5:8080' }]);

  // Without a Host (an adapter that does not know it), the context has no `host`.
  h.join('c3', 'hosts');
  assert.equal('host' in (seen.at(-1) ?? {}), false);
  h.core.shutdown();
});
