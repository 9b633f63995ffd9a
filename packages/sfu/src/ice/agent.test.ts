import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '@itda/common';
import {
  AttrType,
  type DecodedStunMessage,
  decodeMessage,
  StunClass,
  StunMethod,
  shortTermKey,
  verifyIntegrity,
} from '@itda/stun';
import { IceLiteAgent, type IceLiteAgentOptions } from './agent.ts';
import { createIceCredentials } from './credentials.ts';
import { IceErrorCode } from './errors.ts';
import { check, encodeCheck } from './testing.ts';
import { type IceTuple, iceTuple } from './tuple.ts';

const LOCAL = { ufrag: 'sfuUfrag0123ABCD', pwd: 'sfuPassword0123456789abcdefABCDEF' };
const REMOTE_UFRAG = 'brwz';
const USER = `${LOCAL.ufrag}:${REMOTE_UFRAG}`;
const UDP = iceTuple('udp', '192.0.2.10', 50_000);

function setup(options: Partial<IceLiteAgentOptions> = {}) {
  const clock = new ManualClock(1000);
  const agent = new IceLiteAgent({ local: LOCAL, clock, ...options });
  const events: string[] = [];
  agent.on('selected', (t) => events.push(`selected ${t.key}`));
  agent.on('connected', () => events.push('connected'));
  agent.on('disconnected', () => events.push('disconnected'));
  return { clock, agent, events };
}

function answer(agent: IceLiteAgent, msg: DecodedStunMessage, tuple: IceTuple = UDP): DecodedStunMessage {
  const out = agent.handleBindingRequest(msg, tuple);
  assert.ok(out !== null, 'expected an answer');
  return decodeMessage(out); // verifies FINGERPRINT
}

function errorCode(res: DecodedStunMessage): number | undefined {
  return res.get(AttrType.ErrorCode)?.code;
}

test('a browser-like check is answered 200 with XOR-MAPPED-ADDRESS, MESSAGE-INTEGRITY and FINGERPRINT', () => {
  const { agent } = setup();
  const req = check({ username: USER, pwd: LOCAL.pwd, useCandidate: true });
  const res = answer(agent, req);
  assert.equal(res.class, StunClass.SuccessResponse);
  assert.equal(res.method, StunMethod.Binding);
  assert.deepEqual(res.transactionId, req.transactionId);
  assert.deepEqual(res.get(AttrType.XorMappedAddress), { family: 'IPv4', address: '192.0.2.10', port: 50_000 });
  assert.ok(res.fingerprintAt > 0);
  assert.ok(verifyIntegrity(res, shortTermKey(LOCAL.pwd)));
  assert.equal(res.has(AttrType.Username), false);
  assert.equal(agent.stats.success, 1);
  assert.equal(agent.stats.nominations, 1);
  assert.equal(agent.lastCheckAt, 1000);
});

test('IPv6 and TCP tuples are mapped as they are', () => {
  const { agent } = setup();
  const tuple = iceTuple('tcp', '2001:db8::7', 9);
  const res = answer(agent, check({ username: USER, pwd: LOCAL.pwd, useCandidate: true }), tuple);
  assert.deepEqual(res.get(AttrType.XorMappedAddress), { family: 'IPv6', address: '2001:db8::7', port: 9 });
  assert.equal(agent.selectedTuple?.key, 't2001:db8::7:9');
});

test('MESSAGE-INTEGRITY-SHA256 checks are verified and answered with both integrity attributes', () => {
  const { agent } = setup();
  const res = answer(agent, check({ username: USER, pwd: LOCAL.pwd, sha256: true }));
  assert.equal(res.class, StunClass.SuccessResponse);
  assert.ok(verifyIntegrity(res, shortTermKey(LOCAL.pwd), { algorithm: 'sha1' }));
  assert.ok(verifyIntegrity(res, shortTermKey(LOCAL.pwd), { algorithm: 'sha256' }));
});

test('nomination selects a tuple; renomination moves it (UDP → TCP); connected fires once', () => {
  const { agent, events } = setup();
  const tcp = iceTuple('tcp', '192.0.2.10', 40_000);
  answer(agent, check({ username: USER, pwd: LOCAL.pwd, useCandidate: true }));
  answer(agent, check({ username: USER, pwd: LOCAL.pwd, useCandidate: true })); // consent check, same tuple
  answer(agent, check({ username: USER, pwd: LOCAL.pwd }), tcp); // checked, not nominated
  assert.equal(agent.selectedTuple?.key, UDP.key);
  answer(agent, check({ username: USER, pwd: LOCAL.pwd, useCandidate: true }), tcp);
  assert.deepEqual(events, [`selected ${UDP.key}`, 'connected', `selected ${tcp.key}`]);
  assert.equal(agent.selectedTuple?.key, tcp.key);
  assert.equal(agent.state, 'connected');
  assert.equal(agent.stats.selections, 2);
  assert.equal(agent.pairCount, 2);
  assert.ok(agent.hasTuple(UDP.key));
});

test('before any nomination the first valid tuple is selected; later unnominated ones are not', () => {
  const { agent, events } = setup();
  answer(agent, check({ username: USER, pwd: LOCAL.pwd }));
  answer(agent, check({ username: USER, pwd: LOCAL.pwd }), iceTuple('udp', '192.0.2.10', 50_001));
  assert.deepEqual(events, [`selected ${UDP.key}`, 'connected']);
});

test('NAT rebinding: a nomination from a new port moves the selected tuple', () => {
  const { agent, events } = setup();
  const moved = iceTuple('udp', '192.0.2.10', 50_002);
  answer(agent, check({ username: USER, pwd: LOCAL.pwd, useCandidate: true }));
  answer(agent, check({ username: USER, pwd: LOCAL.pwd, useCandidate: true }), moved);
  assert.deepEqual(events, [`selected ${UDP.key}`, 'connected', `selected ${moved.key}`]);
});

test('the caller may reuse its tuple object', () => {
  const { agent } = setup();
  const scratch = { ...UDP };
  agent.handleBindingRequest(check({ username: USER, pwd: LOCAL.pwd, useCandidate: true }), scratch);
  scratch.port = 1;
  scratch.key = 'changed';
  assert.equal(agent.selectedTuple?.key, UDP.key);
  assert.equal(agent.selectedTuple?.port, 50_000);
});

test('wrong password → 401 without MESSAGE-INTEGRITY; nothing selected', () => {
  const { agent, events } = setup();
  const res = answer(agent, check({ username: USER, pwd: 'wrongPassword0123456789abcdefABC', useCandidate: true }));
  assert.equal(res.class, StunClass.ErrorResponse);
  assert.equal(errorCode(res), 401);
  assert.equal(res.integrityAt, -1);
  assert.ok(res.fingerprintAt > 0);
  assert.equal(agent.stats.badIntegrity, 1);
  assert.deepEqual(events, []);
  assert.equal(agent.selectedTuple, undefined);
});

test('wrong local ufrag → 401; wrong remote ufrag → 401 once the remote ufrag is known', () => {
  const { agent } = setup();
  assert.equal(
    errorCode(answer(agent, check({ username: `xxxx${LOCAL.ufrag}:${REMOTE_UFRAG}`, pwd: LOCAL.pwd }))),
    401,
  );
  assert.equal(errorCode(answer(agent, check({ username: `${LOCAL.ufrag.slice(1)}:a`, pwd: LOCAL.pwd }))), 401);
  assert.equal(errorCode(answer(agent, check({ username: LOCAL.ufrag, pwd: LOCAL.pwd }))), 401);
  // Any remote part until setRemoteUfrag.
  assert.equal(
    answer(agent, check({ username: `${LOCAL.ufrag}:other`, pwd: LOCAL.pwd })).class,
    StunClass.SuccessResponse,
  );
  agent.setRemoteUfrag(REMOTE_UFRAG);
  assert.equal(errorCode(answer(agent, check({ username: `${LOCAL.ufrag}:other`, pwd: LOCAL.pwd }))), 401);
  assert.equal(errorCode(answer(agent, check({ username: `${USER}x`, pwd: LOCAL.pwd }))), 401);
  assert.equal(answer(agent, check({ username: USER, pwd: LOCAL.pwd })).class, StunClass.SuccessResponse);
  assert.equal(agent.stats.badUsername, 5);
  assert.equal(agent.stats.success, 2);
});

test('missing USERNAME or MESSAGE-INTEGRITY → 400', () => {
  const { agent } = setup();
  assert.equal(errorCode(answer(agent, check({ pwd: LOCAL.pwd }))), 400);
  assert.equal(errorCode(answer(agent, check({ username: USER, pwd: LOCAL.pwd, integrity: false }))), 400);
  assert.equal(agent.stats.badRequest, 2);
});

test('missing or wrong FINGERPRINT → dropped', () => {
  const { agent } = setup();
  assert.equal(agent.handleBindingRequest(check({ username: USER, pwd: LOCAL.pwd, fingerprint: false }), UDP), null);
  const bytes = encodeCheck({ username: USER, pwd: LOCAL.pwd });
  bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 1;
  assert.throws(() => decodeMessage(bytes), { code: 'stun_bad_fingerprint' });
  assert.equal(agent.handleBindingRequest(decodeMessage(bytes, { checkFingerprint: false }), UDP), null);
  assert.equal(agent.stats.badFingerprint, 2);
});

test('ICE-CONTROLLED from the peer → 487 with MESSAGE-INTEGRITY; no role attribute is accepted', () => {
  const { agent } = setup();
  const res = answer(agent, check({ username: USER, pwd: LOCAL.pwd, role: 'controlled', useCandidate: true }));
  assert.equal(errorCode(res), 487);
  assert.ok(verifyIntegrity(res, shortTermKey(LOCAL.pwd)));
  assert.equal(agent.stats.roleConflict, 1);
  assert.equal(agent.selectedTuple, undefined);
  assert.equal(answer(agent, check({ username: USER, pwd: LOCAL.pwd, role: 'none' })).class, StunClass.SuccessResponse);
});

test('unknown comprehension-required attribute → 420 with UNKNOWN-ATTRIBUTES', () => {
  const { agent } = setup();
  const res = answer(
    agent,
    check({ username: USER, pwd: LOCAL.pwd, extra: [{ type: 0x7ff0, raw: new Uint8Array([1, 2, 3, 4]) }] }),
  );
  assert.equal(errorCode(res), 420);
  assert.deepEqual(res.get(AttrType.UnknownAttributes), [0x7ff0]);
  assert.ok(verifyIntegrity(res, shortTermKey(LOCAL.pwd)));
});

test('indications, responses and other methods are dropped', () => {
  const { agent } = setup();
  assert.equal(
    agent.handleBindingRequest(check({ username: USER, pwd: LOCAL.pwd, class: StunClass.Indication }), UDP),
    null,
  );
  assert.equal(
    agent.handleBindingRequest(check({ username: USER, pwd: LOCAL.pwd, class: StunClass.SuccessResponse }), UDP),
    null,
  );
  assert.equal(
    agent.handleBindingRequest(check({ username: USER, pwd: LOCAL.pwd, method: StunMethod.Allocate }), UDP),
    null,
  );
  assert.equal(agent.stats.notRequest, 3);
  assert.equal(agent.stats.requests, 3);
});

test('consent: a check refreshes it; without one for 30 s the tuple expires (RFC 7675)', () => {
  const { agent, clock, events } = setup();
  assert.equal(agent.nextTimeout(), undefined);
  answer(agent, check({ username: USER, pwd: LOCAL.pwd, useCandidate: true }));
  assert.equal(agent.nextTimeout(), 31_000);
  clock.advance(20_000);
  agent.tick();
  answer(agent, check({ username: USER, pwd: LOCAL.pwd })); // consent refresh, no USE-CANDIDATE
  assert.equal(agent.nextTimeout(), 51_000);
  agent.tick(50_999);
  assert.equal(agent.state, 'connected');
  agent.tick(51_000);
  assert.equal(agent.state, 'disconnected');
  assert.equal(agent.selectedTuple, undefined);
  assert.equal(agent.nextTimeout(), undefined);
  assert.equal(agent.stats.consentExpired, 1);
  agent.tick(60_000); // nothing more
  assert.deepEqual(events, [`selected ${UDP.key}`, 'connected', 'disconnected']);
  // A later nomination connects again.
  clock.advance(40_000);
  answer(agent, check({ username: USER, pwd: LOCAL.pwd, useCandidate: true }));
  assert.deepEqual(events.slice(3), [`selected ${UDP.key}`, 'connected']);
});

test('consent is per tuple: checks on another tuple do not keep the selected one alive', () => {
  const { agent, clock } = setup({ consentTimeoutMs: 5000 });
  answer(agent, check({ username: USER, pwd: LOCAL.pwd, useCandidate: true }));
  const other = iceTuple('udp', '192.0.2.99', 1);
  for (let i = 0; i < 5; i++) {
    clock.advance(1000);
    answer(agent, check({ username: USER, pwd: LOCAL.pwd }), other);
    agent.tick();
  }
  assert.equal(agent.state, 'disconnected');
  assert.equal(agent.lastCheckAt, 6000);
});

test('stale non-selected tuples are forgotten by tick', () => {
  const { agent, clock } = setup({ consentTimeoutMs: 5000 });
  answer(agent, check({ username: USER, pwd: LOCAL.pwd, useCandidate: true }));
  answer(agent, check({ username: USER, pwd: LOCAL.pwd }), iceTuple('udp', '192.0.2.99', 1));
  assert.equal(agent.pairCount, 2);
  for (let i = 0; i < 6; i++) {
    clock.advance(1000);
    answer(agent, check({ username: USER, pwd: LOCAL.pwd })); // keeps the selected one
    agent.tick();
  }
  assert.equal(agent.pairCount, 1);
  assert.equal(agent.state, 'connected');
  assert.equal(agent.stats.pairsForgotten, 1);
});

test('maxCandidatePairs: the least recently checked non-selected tuple is forgotten', () => {
  const { agent, clock } = setup({ maxCandidatePairs: 3 });
  answer(agent, check({ username: USER, pwd: LOCAL.pwd, useCandidate: true }));
  for (let port = 1; port <= 4; port++) {
    clock.advance(10);
    answer(agent, check({ username: USER, pwd: LOCAL.pwd }), iceTuple('udp', '192.0.2.50', port));
  }
  assert.equal(agent.pairCount, 3);
  assert.ok(agent.hasTuple(UDP.key));
  assert.ok(!agent.hasTuple(iceTuple('udp', '192.0.2.50', 1).key));
  assert.ok(!agent.hasTuple(iceTuple('udp', '192.0.2.50', 2).key));
  assert.ok(agent.hasTuple(iceTuple('udp', '192.0.2.50', 4).key));
  assert.equal(agent.stats.pairsForgotten, 2);
});

test('ICE restart: old credentials keep the tuple alive until the first valid check with the new ones', () => {
  const { agent, clock, events } = setup({ consentTimeoutMs: 10_000 });
  agent.setRemoteUfrag(REMOTE_UFRAG);
  answer(agent, check({ username: USER, pwd: LOCAL.pwd, useCandidate: true }));
  const next = createIceCredentials();
  agent.restart(next);
  agent.setRemoteUfrag('newR');
  assert.deepEqual(agent.localCredentials, next);
  const newUser = `${next.ufrag}:newR`;
  // The old pair still answers and refreshes consent.
  clock.advance(8000);
  assert.equal(answer(agent, check({ username: USER, pwd: LOCAL.pwd })).class, StunClass.SuccessResponse);
  clock.advance(8000);
  agent.tick();
  assert.equal(agent.state, 'connected');
  assert.equal(agent.stats.previousCredentials, 1);
  // Old ufrag with the new remote part, or new ufrag with the old password: refused.
  assert.equal(errorCode(answer(agent, check({ username: `${LOCAL.ufrag}:newR`, pwd: LOCAL.pwd }))), 401);
  assert.equal(errorCode(answer(agent, check({ username: newUser, pwd: LOCAL.pwd }))), 401);
  // First valid check with the new credentials (from a new tuple, nominated).
  const tuple2 = iceTuple('udp', '192.0.2.10', 50_100);
  const res = answer(agent, check({ username: newUser, pwd: next.pwd, useCandidate: true }), tuple2);
  assert.ok(verifyIntegrity(res, shortTermKey(next.pwd)));
  assert.equal(agent.selectedTuple?.key, tuple2.key);
  // Now the old credentials are gone.
  assert.equal(errorCode(answer(agent, check({ username: USER, pwd: LOCAL.pwd }))), 401);
  assert.deepEqual(events, [`selected ${UDP.key}`, 'connected', `selected ${tuple2.key}`]);
});

test('options and credentials are validated', () => {
  const clock = new ManualClock();
  assert.throws(() => new IceLiteAgent({ local: { ufrag: 'abc', pwd: LOCAL.pwd }, clock }), {
    code: IceErrorCode.BadCredentials,
  });
  assert.throws(() => new IceLiteAgent({ local: { ufrag: LOCAL.ufrag, pwd: 'short' }, clock }), {
    code: IceErrorCode.BadCredentials,
  });
  assert.throws(() => new IceLiteAgent({ local: { ufrag: 'ab:cd', pwd: LOCAL.pwd }, clock }), {
    code: IceErrorCode.BadCredentials,
  });
  assert.throws(() => new IceLiteAgent({ local: LOCAL, clock, consentTimeoutMs: 0 }), { code: IceErrorCode.BadOption });
  assert.throws(() => new IceLiteAgent({ local: LOCAL, clock, maxCandidatePairs: 1 }), {
    code: IceErrorCode.BadOption,
  });
  const agent = new IceLiteAgent({ local: LOCAL, clock });
  assert.throws(() => agent.setRemoteUfrag('a b c d'), { code: IceErrorCode.BadCredentials });
  assert.throws(() => agent.restart({ ufrag: 'ok12', pwd: 'x' }), { code: IceErrorCode.BadCredentials });
  assert.deepEqual(agent.localCredentials, LOCAL);
});

test('close: no more answers or events; twice is a no-op', () => {
  const { agent, events } = setup();
  answer(agent, check({ username: USER, pwd: LOCAL.pwd, useCandidate: true }));
  agent.close();
  agent.close();
  assert.equal(agent.state, 'closed');
  assert.equal(agent.handleBindingRequest(check({ username: USER, pwd: LOCAL.pwd, useCandidate: true }), UDP), null);
  agent.tick(1e9);
  assert.equal(agent.nextTimeout(), undefined);
  assert.deepEqual(events, [`selected ${UDP.key}`, 'connected']);
});
