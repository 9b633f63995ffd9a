import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ItdaError } from './errors.ts';
import { createLogger } from './logger.ts';

test('logger writes structured records with names, fields and error codes', () => {
  const records: Record<string, unknown>[] = [];
  const root = createLogger({ level: 'info', sink: (r) => records.push(r), now: () => 0 });
  const log = root.child('signal', { node: 'n1' });
  log.debug('hidden');
  log.warn('bad input', { err: new ItdaError('bad_json', 'nope', { closeCode: 1007 }) });
  assert.equal(records.length, 1);
  assert.deepEqual(records[0], {
    t: '1970-01-01T00:00:00.000Z',
    level: 'warn',
    name: 'itda.signal',
    msg: 'bad input',
    node: 'n1',
    err: { name: 'ItdaError', code: 'bad_json', message: 'nope', closeCode: 1007 },
  });
});
