import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AttrType, longTermKey, StunMethod, userhash, verifyIntegrity } from '@itda/stun';
import { restCredential } from './rest.ts';
import { codeOf, harness, TestClient } from './test-harness.ts';

const T0 = 1_700_000_000_000;

test('401 challenge carries REALM, NONCE (nonce cookie) and PASSWORD-ALGORITHMS; then Allocate succeeds, signed', () => {
  const h = harness({ users: { alice: 'secret' } });
  const c = new TestClient(h);
  const first = c.request(StunMethod.Allocate, [{ type: AttrType.RequestedTransport, value: 17 }]);
  assert.equal(codeOf(first), 401);
  assert.equal(first?.get(AttrType.Realm), 'itda');
  assert.match(first?.get(AttrType.Nonce) ?? '', /^obMatJos2/);
  assert.deepEqual(
    first?.get(AttrType.PasswordAlgorithms)?.map((a) => a.algorithm),
    [2, 1],
  );
  assert.equal(first?.integrityAt, -1);
  c.creds = { username: 'alice', password: 'secret' };
  const ok = c.request(StunMethod.Allocate, [{ type: AttrType.RequestedTransport, value: 17 }]);
  assert.equal(codeOf(ok), 0);
  assert.ok(ok !== undefined && verifyIntegrity(ok, longTermKey('alice', 'itda', 'secret')));
  assert.equal(h.core.metrics.authFailures('missing_credentials'), 1);
  h.core.close();
});

test('wrong password and unknown user: 401; missing REALM/NONCE with integrity: 400', () => {
  const h = harness({ users: { alice: 'secret' } });
  const c = new TestClient(h);
  c.creds = { username: 'alice', password: 'wrong' };
  assert.equal(codeOf(c.allocate()), 401);
  c.creds = { username: 'mallory', password: 'secret' };
  assert.equal(codeOf(c.allocate()), 401);
  assert.equal(h.core.metrics.authFailures('bad_integrity'), 1);
  assert.equal(h.core.metrics.authFailures('unknown_user'), 2); // authed() retries once
  const bad = c.request(
    StunMethod.Allocate,
    [
      { type: AttrType.RequestedTransport, value: 17 },
      { type: AttrType.Username, value: 'alice' },
    ],
    { auth: false, encode: { integrityKey: longTermKey('alice', 'itda', 'secret') } },
  );
  assert.equal(codeOf(bad), 400);
  h.core.close();
});

test('stale nonce: 438 with a fresh nonce after nonceTtlSeconds, then the retry succeeds', () => {
  const h = harness({ users: { alice: 'secret' }, nonceTtlSeconds: 60 });
  const c = new TestClient(h);
  c.creds = { username: 'alice', password: 'secret' };
  assert.equal(codeOf(c.allocate()), 0);
  const oldNonce = c.nonce;
  h.clock.advance(61_000);
  const stale = c.request(StunMethod.Refresh, []);
  assert.equal(codeOf(stale), 438);
  assert.notEqual(c.nonce, oldNonce);
  assert.equal(codeOf(c.request(StunMethod.Refresh, [])), 0);
  // a nonce given to another client IP is not valid for this one
  const other = new TestClient(h, '203.0.113.6');
  other.creds = c.creds;
  other.nonce = c.nonce;
  assert.equal(codeOf(other.request(StunMethod.Allocate, [{ type: AttrType.RequestedTransport, value: 17 }])), 438);
  h.core.close();
});

test('REST credentials: valid, expired, rotated secrets; quota per identity', () => {
  const h = harness({ secrets: ['new-secret', 'old-secret'], quotas: { allocationsPerUser: 1 } });
  const now = T0;
  const ok = restCredential({ secret: 'new-secret', identity: 'ada', ttlSeconds: 600, now });
  const c1 = new TestClient(h, '203.0.113.5');
  c1.creds = { username: ok.username, password: ok.credential };
  assert.equal(codeOf(c1.allocate()), 0);
  const rotated = restCredential({ secret: 'old-secret', identity: 'bob', ttlSeconds: 600, now });
  const c2 = new TestClient(h, '203.0.113.6');
  c2.creds = { username: rotated.username, password: rotated.credential };
  assert.equal(codeOf(c2.allocate()), 0);
  const unknownSecret = restCredential({ secret: 'never', identity: 'eve', ttlSeconds: 600, now });
  const c3 = new TestClient(h, '203.0.113.7');
  c3.creds = { username: unknownSecret.username, password: unknownSecret.credential };
  assert.equal(codeOf(c3.allocate()), 401);
  const expired = restCredential({ secret: 'new-secret', identity: 'cy', ttlSeconds: 10, now: now - 60_000 });
  const c4 = new TestClient(h, '203.0.113.8');
  c4.creds = { username: expired.username, password: expired.credential };
  assert.equal(codeOf(c4.allocate()), 401);
  assert.equal(h.core.metrics.authFailures('expired'), 1);
  // the same identity with a second credential counts against the same quota: 486
  const again = restCredential({ secret: 'new-secret', identity: 'ada', ttlSeconds: 900, now });
  const c5 = new TestClient(h, '203.0.113.9');
  c5.creds = { username: again.username, password: again.credential };
  assert.equal(codeOf(c5.allocate()), 486);
  // once the credential expires, a Refresh is refused (401): the allocation dies with its lifetime
  h.clock.advance(601_000);
  assert.equal(codeOf(c1.request(StunMethod.Refresh, [])), 401);
  h.core.close();
});

test('PASSWORD-ALGORITHM SHA-256 with MESSAGE-INTEGRITY-SHA256; USERHASH for static users', () => {
  const h = harness({ users: { alice: 'secret' } });
  const c = new TestClient(h);
  c.creds = { username: 'alice', password: 'secret' };
  c.sha256 = true;
  const ok = c.allocate();
  assert.equal(codeOf(ok), 0);
  assert.ok(ok !== undefined && ok.integritySha256At > 0);
  assert.ok(verifyIntegrity(ok, longTermKey('alice', 'itda', 'secret', { algorithm: 2 })));
  // USERHASH instead of USERNAME
  const d = new TestClient(h, '203.0.113.9');
  d.request(StunMethod.Allocate, [{ type: AttrType.RequestedTransport, value: 17 }]);
  const res = d.request(
    StunMethod.Allocate,
    [
      { type: AttrType.RequestedTransport, value: 17 },
      { type: AttrType.Userhash, value: userhash('alice', 'itda') },
      { type: AttrType.Realm, value: 'itda' },
      { type: AttrType.Nonce, value: d.nonce ?? '' },
    ],
    { auth: false, encode: { integrityKey: longTermKey('alice', 'itda', 'secret') } },
  );
  assert.equal(codeOf(res), 0);
  // PASSWORD-ALGORITHMS that is not what the server offered: 400 (bid-down protection)
  const e = new TestClient(h, '203.0.113.10');
  e.request(StunMethod.Allocate, []);
  const downgraded = e.request(
    StunMethod.Allocate,
    [
      { type: AttrType.RequestedTransport, value: 17 },
      { type: AttrType.Username, value: 'alice' },
      { type: AttrType.Realm, value: 'itda' },
      { type: AttrType.Nonce, value: e.nonce ?? '' },
      { type: AttrType.PasswordAlgorithms, value: [{ algorithm: 1, parameters: new Uint8Array(0) }] },
      { type: AttrType.PasswordAlgorithm, value: { algorithm: 1, parameters: new Uint8Array(0) } },
    ],
    { auth: false, encode: { integrityKey: longTermKey('alice', 'itda', 'secret') } },
  );
  assert.equal(codeOf(downgraded), 400);
  h.core.close();
});

test('an unauthenticated flood from one source is answered at a bounded rate', () => {
  const h = harness({ users: { alice: 'secret' }, unauthenticatedRate: { perSecond: 10, burst: 20 } });
  const c = new TestClient(h);
  for (let i = 0; i < 1000; i++) c.request(StunMethod.Allocate, [{ type: AttrType.RequestedTransport, value: 17 }]);
  assert.equal(c.received().length, 20);
  h.clock.advance(1000);
  for (let i = 0; i < 1000; i++) c.request(StunMethod.Allocate, []);
  assert.equal(c.received().length, 30);
  assert.equal(h.core.metrics.dropped('rate_limited'), 1970);
  // another source is not affected; Binding is not rate limited
  const d = new TestClient(h, '203.0.113.77');
  assert.equal(codeOf(d.request(StunMethod.Allocate, [])), 401);
  for (let i = 0; i < 100; i++) assert.equal(codeOf(c.request(StunMethod.Binding, [])), 0);
  h.core.close();
});
