import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError, ManualClock } from '@itda/common';
import { AttrType, type StunAttribute, StunMethod } from '@itda/stun';
import { resolveCoreOptions } from './config.ts';
import { TurnCore } from './core.ts';
import { sourceKey } from './quota.ts';
import { restCredential } from './rest.ts';
import { codeOf, FakeRelay, harness, RecordingIo, TestClient } from './test-harness.ts';

const T0 = 1_700_000_000_000;
const alice = { username: 'alice', password: 'secret' };
const LIFETIME_0 = { type: AttrType.Lifetime, value: 0 } as StunAttribute;

test('per-source quota: 486 beyond it from one IPv4 address, whoever the user; other addresses unaffected', () => {
  const h = harness({ users: { alice: 'secret', bob: 'pw' }, quotas: { allocationsPerSource: 3 } });
  const from = (ip: string, port: number, creds = alice): TestClient => {
    const c = new TestClient(h, ip, port);
    c.creds = creds;
    return c;
  };
  const first = from('203.0.113.5', 1);
  assert.equal(codeOf(first.allocate()), 0);
  assert.equal(codeOf(from('203.0.113.5', 2).allocate()), 0);
  assert.equal(codeOf(from('203.0.113.5', 3, { username: 'bob', password: 'pw' }).allocate()), 0);
  const fourth = from('203.0.113.5', 4, { username: 'bob', password: 'pw' });
  assert.equal(codeOf(fourth.allocate()), 486);
  assert.equal(codeOf(from('203.0.113.6', 1).allocate()), 0);
  // Freed with the allocation (Refresh 0), the quota takes the next one.
  assert.equal(codeOf(first.request(StunMethod.Refresh, [LIFETIME_0])), 0);
  assert.equal(codeOf(fourth.allocate()), 0);
  h.core.close();
});

test('per-source quota counts an IPv6 /64 as one source', () => {
  assert.equal(sourceKey('203.0.113.5'), '203.0.113.5');
  assert.equal(sourceKey('2001:db8:1:2::5'), sourceKey('2001:db8:1:2:ffff:1:2:3'));
  assert.notEqual(sourceKey('2001:db8:1:2::5'), sourceKey('2001:db8:1:3::5'));
  // IPv6 forms of an IPv4 address count as that address, not as one shared /64.
  assert.equal(sourceKey('::ffff:203.0.113.5'), '203.0.113.5');
  assert.notEqual(sourceKey('::ffff:203.0.113.5'), sourceKey('::ffff:203.0.113.6'));
  const h = harness({ users: { alice: 'secret' }, quotas: { allocationsPerSource: 2 } }, { IPv4: '192.0.2.1' });
  const from = (ip: string): TestClient => {
    const c = new TestClient(h, ip, 40000);
    c.creds = alice;
    return c;
  };
  assert.equal(codeOf(from('2001:db8:1:2::1').allocate()), 0);
  assert.equal(codeOf(from('2001:db8:1:2::2').allocate()), 0);
  assert.equal(codeOf(from('2001:db8:1:2:abcd::3').allocate()), 486);
  assert.equal(codeOf(from('2001:db8:1:3::1').allocate()), 0);
  h.core.close();
});

test('defaults: one static account serves a 50-person meeting — 12 allocations each from 50 addresses, or 10 each behind one NAT', () => {
  const o = resolveCoreOptions({});
  assert.equal(o.allocationsPerUser, 1000);
  assert.equal(o.allocationsPerSource, 500);
  assert.equal(o.allocationsTotal, 10_000);
  const h = harness({ users: { alice: 'secret' } });
  let ok = 0;
  for (let person = 0; person < 50; person++) {
    for (let k = 0; k < 12; k++) {
      const c = new TestClient(h, `198.51.100.${person + 1}`, 40000 + k);
      c.creds = alice;
      if (codeOf(c.allocate()) === 0) ok++;
    }
  }
  assert.equal(ok, 600);
  h.core.close();
  const nat = harness({ users: { alice: 'secret' } });
  const codes: number[] = [];
  // Clients behind one NAT: the nonce of the first 401 serves them all (itda binds nonces
  // to the client IP, nonce.ts), which spares this test the unauthenticated-answer rate limit.
  let nonce: string | undefined;
  for (let port = 1; port <= 501; port++) {
    const c = new TestClient(nat, '198.51.100.1', port);
    c.creds = alice;
    c.nonce = nonce;
    codes.push(codeOf(c.allocate()));
    nonce = c.nonce;
  }
  assert.equal(codes.filter((c) => c === 0).length, 500);
  assert.equal(codes.at(-1), 486);
  nat.core.close();
});

test('quota options are validated: allocationsPerSource 1–1,000,000, restIdentityActive a function', () => {
  for (const bad of [0, 1_000_001, 1.5]) {
    assert.throws(
      () => resolveCoreOptions({ quotas: { allocationsPerSource: bad } }),
      (e) => isItdaError(e, 'turn_bad_options'),
    );
  }
  assert.throws(
    // A wrong type on purpose, as a JavaScript caller could pass.
    () => resolveCoreOptions({ restIdentityActive: 'yes' as unknown as (id: string) => boolean }),
    (e) => isItdaError(e, 'turn_bad_options'),
  );
});

function restClient(h: ReturnType<typeof harness>, identity: string, ip: string, port = 40000): TestClient {
  const cred = restCredential({ secret: 's3cret', identity, ttlSeconds: 43_200, now: T0 });
  const c = new TestClient(h, ip, port);
  c.creds = { username: cred.username, password: cred.credential };
  return c;
}

test('session-bound REST identities: refused with 401 once the session ends; releaseRestIdentity frees their allocations', () => {
  const live = new Set(['p_ada', 'p_bob']);
  const asked: string[] = [];
  const h = harness({
    secrets: ['s3cret'],
    users: { alice: 'secret' },
    restIdentityActive: (id) => {
      asked.push(id);
      return live.has(id);
    },
  });
  const ada = [restClient(h, 'p_ada', '203.0.113.5', 1), restClient(h, 'p_ada', '203.0.113.5', 2)];
  const bob = restClient(h, 'p_bob', '203.0.113.6');
  for (const c of [...ada, bob]) assert.equal(codeOf(c.allocate()), 0);
  const staticUser = new TestClient(h, '203.0.113.7');
  staticUser.creds = alice;
  assert.equal(codeOf(staticUser.allocate()), 0);
  assert.ok(asked.includes('p_ada') && !asked.includes('alice'));
  assert.equal(h.core.allocationCount, 4);

  // Ada leaves: her allocations go at once, her relays close, and her credential is refused.
  live.delete('p_ada');
  assert.equal(h.core.releaseRestIdentity('p_ada'), 2);
  assert.equal(h.core.allocationCount, 2);
  assert.equal(h.io.binds.length, 4);
  assert.equal(codeOf(ada[0]?.request(StunMethod.Refresh, [])), 401);
  assert.equal(codeOf(restClient(h, 'p_ada', '203.0.113.8').allocate()), 401);
  assert.equal(h.core.metrics.authFailures('session_ended'), 2);
  assert.equal(h.core.releaseRestIdentity('p_ada'), 0);
  // Bob and the static user are untouched.
  assert.equal(codeOf(bob.request(StunMethod.Refresh, [])), 0);
  assert.equal(codeOf(staticUser.request(StunMethod.Refresh, [])), 0);
  h.core.close();
});

test('an Allocate whose session ends while its relay is binding gets 401 and no allocation; the quota is given back', () => {
  const live = new Set(['p_cy']);
  const h = harness({
    secrets: ['s3cret'],
    restIdentityActive: (id) => live.has(id),
    quotas: { allocationsPerSource: 1 },
  });
  h.io.autoBind = false;
  const cy = restClient(h, 'p_cy', '203.0.113.5');
  assert.equal(cy.allocate(), undefined); // waiting for the relay
  live.delete('p_cy');
  assert.equal(h.core.releaseRestIdentity('p_cy'), 0);
  const before = h.io.toClient.length;
  h.io.autoBind = true;
  const relay = new FakeRelay('127.0.0.1', 50000);
  h.core.relayBound(h.io.binds[0]?.id ?? -1, relay);
  assert.equal(h.core.allocationCount, 0);
  assert.equal(relay.closed, true);
  const answer = h.io.toClient.slice(before);
  assert.equal(answer.length, 1);
  assert.equal(codeOf(cy.request(StunMethod.Refresh, [])), 401);
  // The per-source quota was given back: another identity from the same address allocates.
  live.add('p_dee');
  assert.equal(codeOf(restClient(h, 'p_dee', '203.0.113.5', 40001).allocate()), 0);
  h.core.close();
});

test('a restIdentityActive callback that throws refuses the request (401), it does not break the server', () => {
  const h = harness({
    secrets: ['s3cret'],
    restIdentityActive: () => {
      throw new Error('session store down');
    },
  });
  assert.equal(codeOf(restClient(h, 'p_x', '203.0.113.5').allocate()), 401);
  h.core.close();
});

test('quota refusals are logged at most once per 10 s, with how many were held back', () => {
  const lines: { msg: string; fields: Record<string, unknown> | undefined }[] = [];
  const logger = {
    debug: () => {},
    info: (msg: string, fields?: Record<string, unknown>) => lines.push({ msg, fields }),
    warn: () => {},
    error: () => {},
    child() {
      return logger;
    },
  };
  const clock = new ManualClock(0);
  const io = new RecordingIo();
  const core = new TurnCore<FakeRelay, string>({
    io,
    clock,
    logger,
    options: { users: { alice: 'secret' }, quotas: { allocationsPerUser: 1 }, wallClock: () => T0 + clock.now() },
    relayAddresses: { IPv4: '192.0.2.1' },
  });
  io.core = core;
  const udp = core.addEndpoint({ transport: 'udp', address: '192.0.2.1', port: 3478, family: 'IPv4' });
  const h = { core, io, clock, udp, tcp: udp };
  const c = (port: number): TestClient => {
    const t = new TestClient(h, '203.0.113.5', port);
    t.creds = alice;
    return t;
  };
  assert.equal(codeOf(c(1).allocate()), 0);
  for (let port = 2; port <= 6; port++) assert.equal(codeOf(c(port).allocate()), 486);
  const quotaLines = (): unknown[] => lines.filter((l) => l.msg === 'allocation quota reached').map((l) => l.fields);
  assert.deepEqual(quotaLines(), [{ quota: 'user', transport: 'udp' }]);
  clock.advance(10_000);
  assert.equal(codeOf(c(7).allocate()), 486);
  assert.deepEqual(quotaLines().at(-1), { quota: 'user', transport: 'udp', suppressed: 4 });
  core.close();
});
