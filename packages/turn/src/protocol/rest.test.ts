import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import { parseRestUsername, restCredential } from './rest.ts';

test('restCredential: expiry:identity username and base64 HMAC-SHA1 password (coturn use-auth-secret)', () => {
  const c = restCredential({ secret: 's3cret', identity: 'ada', ttlSeconds: 3600, now: 1_700_000_000_500 });
  assert.equal(c.username, '1700003600:ada');
  assert.equal(c.expiresAt, 1_700_003_600);
  assert.equal(c.credential, createHmac('sha1', 's3cret').update('1700003600:ada').digest('base64'));
  assert.equal(restCredential({ secret: 'x', now: 0, ttlSeconds: 5 }).username, '5');
  assert.deepEqual(parseRestUsername('1700003600:ada:x'), { expiresAt: 1_700_003_600, identity: 'ada:x' });
  assert.deepEqual(parseRestUsername('17'), { expiresAt: 17, identity: '' });
  assert.equal(parseRestUsername('alice'), undefined);
  assert.equal(parseRestUsername(':ada'), undefined);
  for (const input of [{ secret: '' }, { secret: 'a', identity: 'a:b' }, { secret: 'a', ttlSeconds: 0 }]) {
    assert.throws(
      () => restCredential(input),
      (e) => isItdaError(e, 'turn_bad_credential_input'),
    );
  }
});
