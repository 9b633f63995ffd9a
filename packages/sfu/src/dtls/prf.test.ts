/** TLS 1.2 PRF (P_SHA256) against the widely used test vector (also what `openssl kdf … TLS1-PRF` prints). */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { finishedVerifyData, prfSha256 } from './prf.ts';

test('P_SHA256 test vector: 100 bytes', () => {
  const out = prfSha256(
    Buffer.from('9bbe436ba940f017b17652849a71db35', 'hex'),
    'test label',
    Buffer.from('a0ba9f936cda311827a6f796ffd5198c', 'hex'),
    100,
  );
  assert.equal(
    out.toString('hex'),
    'e3f229ba727be17b8d122620557cd453c2aab21d07c3d495329b52d4e61edb5a6b301791e90d35c9c9a46b4e14baf9af0fa022f7077def17abfd3797c0564bab4fbc91666e9def9b97fce34f796789baa48082d122ee42c5a72e5a5110fff70187347b66',
  );
});

test('Finished verify_data is 12 bytes and differs by side', () => {
  const master = Buffer.alloc(48, 7);
  const c = finishedVerifyData(master, true, Buffer.from('transcript'));
  const s = finishedVerifyData(master, false, Buffer.from('transcript'));
  assert.equal(c.length, 12);
  assert.notDeepEqual(c, s);
  const hash = createHash('sha256').update('transcript').digest();
  assert.deepEqual(c, prfSha256(master, 'client finished', hash, 12)); // RFC 5246 §7.4.9
});
