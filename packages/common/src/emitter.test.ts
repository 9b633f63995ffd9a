import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TypedEmitter } from './emitter.ts';

type Events = { joined: [id: string, n: number]; closed: [] };

test('TypedEmitter delivers typed arguments, once, off, and isolates throwing listeners', async () => {
  const e = new TypedEmitter<Events>();
  const errors: unknown[] = [];
  e.onListenerError = (err) => errors.push(err);
  const got: string[] = [];
  e.on('joined', () => {
    throw new Error('boom');
  });
  e.on('joined', (id, n) => got.push(`${id}:${n}`));
  e.once('closed', () => got.push('closed'));
  assert.equal(e.emit('joined', 'p1', 2), true);
  e.emit('closed');
  e.emit('closed');
  assert.deepEqual(got, ['p1:2', 'closed']);
  assert.equal(errors.length, 1);
  const next = e.next('joined');
  e.emit('joined', 'p2', 3);
  assert.deepEqual(await next, ['p2', 3]);
  assert.equal(e.emit('closed'), false);
});
