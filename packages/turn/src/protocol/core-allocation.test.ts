import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AttrType, createTransactionId, decodeMessage, type StunAttribute, StunMethod } from '@itda/stun';
import { codeOf, harness, TestClient } from './test-harness.ts';

const UDP = { type: AttrType.RequestedTransport, value: 17 } as StunAttribute;
const alice = { username: 'alice', password: 'secret' };

function client(h: ReturnType<typeof harness>, ip = '203.0.113.5', port = 40000): TestClient {
  const c = new TestClient(h, ip, port);
  c.creds = alice;
  return c;
}

test('Allocate: XOR-RELAYED-ADDRESS (advertised IP), LIFETIME, XOR-MAPPED-ADDRESS; retransmission answered the same; 437', () => {
  const h = harness({ users: { alice: 'secret' } });
  const c = client(h);
  c.request(StunMethod.Allocate, [UDP]); // 401, learn the nonce
  const tx = createTransactionId();
  const ok = c.request(StunMethod.Allocate, [UDP], { transactionId: tx });
  assert.equal(codeOf(ok), 0);
  assert.deepEqual(ok?.get(AttrType.XorRelayedAddress), { family: 'IPv4', address: '192.0.2.1', port: 50000 });
  assert.equal(ok?.get(AttrType.Lifetime), 600);
  assert.deepEqual(ok?.get(AttrType.XorMappedAddress), { family: 'IPv4', address: '203.0.113.5', port: 40000 });
  const first = h.io.toClient.at(-1)?.bytes;
  const again = c.request(StunMethod.Allocate, [UDP], { transactionId: tx });
  assert.equal(codeOf(again), 0);
  assert.deepEqual(h.io.toClient.at(-1)?.bytes, first);
  assert.equal(h.io.binds.length, 1);
  assert.equal(codeOf(c.request(StunMethod.Allocate, [UDP])), 437);
  h.core.close();
});

test('Allocate errors: 400 without REQUESTED-TRANSPORT, 442 for TCP, 440 for IPv6, 420 DONT-FRAGMENT, 508 when no port', () => {
  const h = harness({ users: { alice: 'secret' } });
  const c = client(h);
  c.request(StunMethod.Allocate, []);
  assert.equal(codeOf(c.request(StunMethod.Allocate, [])), 400);
  assert.equal(
    codeOf(c.request(StunMethod.Allocate, [{ type: AttrType.RequestedTransport, value: 6 } as StunAttribute])),
    442,
  );
  const v6 = c.request(StunMethod.Allocate, [
    UDP,
    { type: AttrType.RequestedAddressFamily, value: 2 } as StunAttribute,
  ]);
  assert.equal(codeOf(v6), 440);
  const df = c.request(StunMethod.Allocate, [UDP, { type: AttrType.DontFragment, value: true } as StunAttribute]);
  assert.equal(codeOf(df), 420);
  assert.deepEqual(df?.get(AttrType.UnknownAttributes), [AttrType.DontFragment]);
  const unknown = c.request(StunMethod.Allocate, [UDP, { type: 0x7777, raw: new Uint8Array(4) }]);
  assert.equal(codeOf(unknown), 420);
  assert.deepEqual(unknown?.get(AttrType.UnknownAttributes), [0x7777]);
  h.io.autoBind = false;
  c.request(StunMethod.Allocate, [UDP]);
  const id = h.io.binds.at(-1)?.id ?? 0;
  h.core.relayBound(id, undefined);
  assert.equal(codeOf(decodeMessage(h.io.toClient.at(-1)?.bytes ?? new Uint8Array())), 508);
  h.core.close();
});

test('lifetime: expiry at 600 s frees the relay; Refresh extends; Refresh 0 deletes; 437 after', () => {
  const h = harness({ users: { alice: 'secret' } });
  const c = client(h);
  assert.equal(codeOf(c.allocate()), 0);
  assert.equal(h.core.metrics.allocations, 1);
  h.clock.advance(599_000);
  const refreshed = c.request(StunMethod.Refresh, [{ type: AttrType.Lifetime, value: 1200 } as StunAttribute]);
  assert.equal(codeOf(refreshed), 0);
  assert.equal(refreshed?.get(AttrType.Lifetime), 1200);
  h.clock.advance(1_199_000);
  assert.equal(h.core.metrics.allocations, 1);
  h.clock.advance(2000);
  assert.equal(h.core.metrics.allocations, 0);
  assert.equal(h.core.metrics.allocationsExpired, 1);
  assert.equal(h.io.binds.length, 1);
  assert.equal(codeOf(c.authed(StunMethod.Refresh, [])), 437);
  // the default lifetime: 600 s
  const e = client(h, '203.0.113.7');
  assert.equal(codeOf(e.allocate()), 0);
  h.clock.advance(599_000);
  assert.equal(h.core.metrics.allocations, 1);
  h.clock.advance(1000);
  assert.equal(h.core.metrics.allocations, 0);
  // Refresh with LIFETIME above the maximum is capped at 3600
  const d = client(h, '203.0.113.6');
  assert.equal(codeOf(d.allocate([UDP, { type: AttrType.Lifetime, value: 99_999 } as StunAttribute])), 0);
  assert.equal(codeOf(d.request(StunMethod.Refresh, [{ type: AttrType.Lifetime, value: 0 } as StunAttribute])), 0);
  assert.equal(h.core.metrics.allocations, 0);
  assert.equal(codeOf(d.request(StunMethod.Refresh, [])), 437);
  h.core.close();
});

test('quotas: 486 per user and in total; the quota frees with the allocation', () => {
  const h = harness({ users: { alice: 'secret', bob: 'pw' }, quotas: { allocationsPerUser: 2, allocationsTotal: 3 } });
  const a = [client(h, '203.0.113.1'), client(h, '203.0.113.2'), client(h, '203.0.113.3')];
  assert.equal(codeOf(a[0]?.allocate()), 0);
  assert.equal(codeOf(a[1]?.allocate()), 0);
  assert.equal(codeOf(a[2]?.allocate()), 486);
  const b1 = new TestClient(h, '203.0.113.4');
  b1.creds = { username: 'bob', password: 'pw' };
  assert.equal(codeOf(b1.allocate()), 0);
  const b2 = new TestClient(h, '203.0.113.5');
  b2.creds = b1.creds;
  assert.equal(codeOf(b2.allocate()), 486);
  assert.equal(codeOf(a[0]?.request(StunMethod.Refresh, [{ type: AttrType.Lifetime, value: 0 } as StunAttribute])), 0);
  assert.equal(codeOf(b2.allocate()), 0);
  h.core.close();
});

test('441 when another user refreshes the allocation; EVEN-PORT with R reserves the next port for RESERVATION-TOKEN', () => {
  const h = harness({ users: { alice: 'secret', bob: 'pw' } });
  const c = client(h);
  const ok = c.allocate([UDP, { type: AttrType.EvenPort, value: { reserve: true } } as StunAttribute]);
  assert.equal(codeOf(ok), 0);
  const port = ok?.get(AttrType.XorRelayedAddress)?.port ?? 1;
  assert.equal(port % 2, 0);
  const token = ok?.get(AttrType.ReservationToken);
  assert.equal(token?.length, 8);
  c.creds = { username: 'bob', password: 'pw' };
  assert.equal(codeOf(c.request(StunMethod.Refresh, [])), 441);
  const d = client(h, '203.0.113.6');
  const second = d.allocate([
    UDP,
    { type: AttrType.ReservationToken, value: token ?? new Uint8Array(8) } as StunAttribute,
  ]);
  assert.equal(codeOf(second), 0);
  assert.equal(second?.get(AttrType.XorRelayedAddress)?.port, port + 1);
  const e = client(h, '203.0.113.7');
  assert.equal(
    codeOf(e.allocate([UDP, { type: AttrType.ReservationToken, value: token ?? new Uint8Array(8) } as StunAttribute])),
    508,
  );
  h.core.close();
});

test('a reservation not claimed within 30 s is released', () => {
  const h = harness({ users: { alice: 'secret' } });
  const c = client(h);
  const ok = c.allocate([UDP, { type: AttrType.EvenPort, value: { reserve: true } } as StunAttribute]);
  const token = ok?.get(AttrType.ReservationToken) ?? new Uint8Array(8);
  h.clock.advance(31_000);
  const d = client(h, '203.0.113.6');
  assert.equal(codeOf(d.allocate([UDP, { type: AttrType.ReservationToken, value: token } as StunAttribute])), 508);
  h.core.close();
});
