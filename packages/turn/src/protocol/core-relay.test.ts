import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  AttrType,
  CHANNEL_NUMBER_MAX_RFC5766,
  createTransactionId,
  decodeChannelData,
  decodeMessage,
  encodeChannelData,
  encodeMessage,
  type StunAttribute,
  StunClass,
  StunMethod,
} from '@itda/stun';
import type { FakeRelay } from './test-harness.ts';
import { codeOf, harness, peer, TestClient } from './test-harness.ts';

const alice = { username: 'alice', password: 'secret' };
const PEER = '8.8.8.8';

function send(c: TestClient, address: string, port: number, data: Uint8Array): void {
  c.raw(
    encodeMessage({
      class: StunClass.Indication,
      method: StunMethod.Send,
      transactionId: createTransactionId(),
      attributes: [peer(address, port), { type: AttrType.Data, value: data } as StunAttribute],
    }),
  );
}

/** What reached client `c` from peers: ChannelData messages and Data indications. */
function relayedTo(c: TestClient): Uint8Array[] {
  return c
    .received()
    .map((sent) => sent.bytes)
    .filter((b) => (b[0] as number) >= 0x40 || decodeMessage(b).method === StunMethod.Data);
}

test('CreatePermission → Send reaches the peer; the peer answers as a Data indication; permission expires at 300 s', () => {
  const h = harness({ users: { alice: 'secret' } });
  const c = new TestClient(h);
  c.creds = alice;
  assert.equal(codeOf(c.allocate()), 0);
  // no permission yet: dropped
  send(c, PEER, 5000, Buffer.from('x'));
  assert.equal(h.io.toPeer.length, 0);
  assert.equal(h.core.metrics.dropped('no_permission'), 1);
  assert.equal(codeOf(c.request(StunMethod.CreatePermission, [peer(PEER), peer('1.1.1.1')])), 0);
  assert.equal(h.core.metrics.permissions, 2);
  send(c, PEER, 5000, Buffer.from('hello'));
  assert.equal(h.io.toPeer.length, 1);
  const out = h.io.toPeer[0];
  assert.equal(out?.address, PEER);
  assert.equal(out?.port, 5000);
  assert.deepEqual(Buffer.from(out?.data ?? []), Buffer.from('hello'));
  const relay = out?.relay as FakeRelay;
  // peer → client: Data indication with XOR-PEER-ADDRESS and DATA
  const before = h.io.toClient.length;
  h.core.handlePeer(relay, Buffer.from('world!'), PEER, 5001);
  const data = decodeMessage(h.io.toClient[before]?.bytes ?? new Uint8Array());
  assert.equal(data.class, StunClass.Indication);
  assert.equal(data.method, StunMethod.Data);
  assert.deepEqual(data.get(AttrType.XorPeerAddress), { family: 'IPv4', address: PEER, port: 5001 });
  assert.deepEqual(Buffer.from(data.get(AttrType.Data) ?? []), Buffer.from('world!'));
  // a peer without permission is dropped
  h.core.handlePeer(relay, Buffer.from('spam'), '9.9.9.9', 1);
  assert.equal(h.io.toClient.length, before + 1);
  // 300 s later the permissions are gone
  h.clock.advance(299_000);
  send(c, PEER, 5000, Buffer.from('still'));
  assert.equal(h.io.toPeer.length, 2);
  h.clock.advance(1000);
  send(c, PEER, 5000, Buffer.from('late'));
  h.core.handlePeer(relay, Buffer.from('late'), PEER, 5001);
  assert.equal(h.io.toPeer.length, 2);
  assert.equal(h.io.toClient.length, before + 1);
  assert.equal(h.core.metrics.permissions, 0);
  h.core.close();
});

test('peer policy: CreatePermission and ChannelBind to forbidden peers get 403; nothing is sent; Send to them is dropped', () => {
  const h = harness({ users: { alice: 'secret' }, allowedPeers: ['10.9.0.0/16'] });
  const c = new TestClient(h);
  c.creds = alice;
  assert.equal(codeOf(c.allocate()), 0);
  for (const ip of ['127.0.0.1', '0.0.0.0', '10.0.0.1', '169.254.169.254', '100.64.0.1', '224.0.0.1', '192.168.0.1']) {
    assert.equal(codeOf(c.request(StunMethod.CreatePermission, [peer(ip)])), 403, ip);
    const bind = c.request(StunMethod.ChannelBind, [
      { type: AttrType.ChannelNumber, value: 0x4000 } as StunAttribute,
      peer(ip),
    ]);
    assert.equal(codeOf(bind), 403, ip);
  }
  // IPv6 forms on an IPv4 relay: 443 (family mismatch) before policy; the policy itself is tested in peer-policy.test.ts
  assert.equal(codeOf(c.request(StunMethod.CreatePermission, [peer('::1')])), 443);
  assert.equal(codeOf(c.request(StunMethod.CreatePermission, [peer('::ffff:127.0.0.1')])), 443);
  // all-or-nothing: one forbidden peer fails the whole request
  assert.equal(codeOf(c.request(StunMethod.CreatePermission, [peer(PEER), peer('127.0.0.1')])), 403);
  assert.equal(h.core.metrics.permissions, 0);
  assert.equal(codeOf(c.request(StunMethod.CreatePermission, [peer('10.9.1.1')])), 0);
  send(c, '127.0.0.1', 1, Buffer.from('x'));
  assert.equal(h.core.metrics.dropped('forbidden_peer'), 1);
  assert.equal(h.io.toPeer.length, 0);
  h.core.close();
});

test('allowLoopbackPeers lets tests relay to 127.0.0.1', () => {
  const h = harness({ users: { alice: 'secret' }, allowLoopbackPeers: true });
  const c = new TestClient(h);
  c.creds = alice;
  assert.equal(codeOf(c.allocate()), 0);
  assert.equal(codeOf(c.request(StunMethod.CreatePermission, [peer('127.0.0.1')])), 0);
  assert.equal(codeOf(c.request(StunMethod.CreatePermission, [peer('127.0.0.1', 3478)])), 0); // port ignored (RFC 8656 §10.2)
  assert.equal(
    codeOf(
      c.request(StunMethod.ChannelBind, [
        { type: AttrType.ChannelNumber, value: 0x4000 } as StunAttribute,
        peer('192.0.2.1', 3478),
      ]),
    ),
    403,
  );
  h.core.close();
});

test('ChannelBind: ChannelData both ways, rebinding rules (400), refresh of the permission, expiry at 600 s', () => {
  // RFC 8656's strict range: 0x5000 is refused (the default also accepts RFC 5766's range, below).
  const h = harness({ users: { alice: 'secret' }, legacyChannelNumbers: false });
  const c = new TestClient(h);
  c.creds = alice;
  assert.equal(codeOf(c.allocate()), 0);
  const ch = (n: number) => ({ type: AttrType.ChannelNumber, value: n }) as StunAttribute;
  assert.equal(codeOf(c.request(StunMethod.ChannelBind, [ch(0x3fff), peer(PEER)])), 400);
  assert.equal(codeOf(c.request(StunMethod.ChannelBind, [ch(0x5000), peer(PEER)])), 400);
  assert.equal(codeOf(c.request(StunMethod.ChannelBind, [peer(PEER)])), 400);
  assert.equal(codeOf(c.request(StunMethod.ChannelBind, [ch(0x4000), peer(PEER)])), 0);
  assert.equal(h.core.metrics.channels, 1);
  assert.equal(h.core.metrics.permissions, 1);
  // same number to another peer, or the same peer to another number: 400; the same pair again: refresh
  assert.equal(codeOf(c.request(StunMethod.ChannelBind, [ch(0x4000), peer(PEER, 5001)])), 400);
  assert.equal(codeOf(c.request(StunMethod.ChannelBind, [ch(0x4001), peer(PEER)])), 400);
  assert.equal(codeOf(c.request(StunMethod.ChannelBind, [ch(0x4000), peer(PEER)])), 0);
  c.raw(encodeChannelData(0x4000, Buffer.from('abc')));
  assert.equal(h.io.toPeer.length, 1);
  assert.deepEqual(Buffer.from(h.io.toPeer[0]?.data ?? []), Buffer.from('abc'));
  const relay = h.io.toPeer[0]?.relay as FakeRelay;
  const before = h.io.toClient.length;
  h.core.handlePeer(relay, Buffer.from('hello'), PEER, 5000);
  const back = decodeChannelData(h.io.toClient[before]?.bytes ?? new Uint8Array());
  assert.equal(back.channel, 0x4000);
  assert.deepEqual(Buffer.from(back.data), Buffer.from('hello'));
  // an unbound channel and a truncated frame are dropped
  c.raw(encodeChannelData(0x4444, Buffer.from('x')));
  c.raw(encodeChannelData(0x4000, Buffer.from('abcdef')).subarray(0, 6));
  assert.equal(h.io.toPeer.length, 1);
  // the permission lives 300 s; ChannelBind refreshes it (RFC 8656 §12.2)
  h.clock.advance(290_000);
  assert.equal(codeOf(c.authed(StunMethod.ChannelBind, [ch(0x4000), peer(PEER)])), 0);
  h.clock.advance(290_000);
  h.core.handlePeer(relay, Buffer.from('hi'), PEER, 5000);
  assert.equal(h.io.toClient.length, before + 2 + 1);
  // keep the allocation alive; let the channel and the permission lapse
  assert.equal(codeOf(c.authed(StunMethod.Refresh, [{ type: AttrType.Lifetime, value: 3600 } as StunAttribute])), 0);
  h.clock.advance(600_000);
  assert.equal(h.core.metrics.channels, 0);
  c.raw(encodeChannelData(0x4000, Buffer.from('gone')));
  assert.equal(h.io.toPeer.length, 1);
  // within 5 minutes after expiry the number cannot go to another peer, the same pair can be rebound
  assert.equal(codeOf(c.authed(StunMethod.ChannelBind, [ch(0x4000), peer(PEER, 6000)])), 400);
  assert.equal(codeOf(c.authed(StunMethod.ChannelBind, [ch(0x4000), peer(PEER)])), 0);
  assert.equal(h.core.metrics.channels, 1);
  h.core.close();
});

test('over TCP: framing across chunks, ChannelData padded to 4 bytes both ways', () => {
  const h = harness({ users: { alice: 'secret' } });
  const c = new TestClient(h, '203.0.113.5', 40000, true);
  c.creds = alice;
  assert.equal(codeOf(c.allocate()), 0);
  assert.equal(
    codeOf(
      c.request(StunMethod.ChannelBind, [{ type: AttrType.ChannelNumber, value: 0x4002 } as StunAttribute, peer(PEER)]),
    ),
    0,
  );
  const frames = Buffer.concat([
    encodeChannelData(0x4002, Buffer.from('a'), true),
    encodeChannelData(0x4002, Buffer.from('bcdef'), true),
  ]);
  for (const b of frames) c.raw(Buffer.from([b])); // one byte at a time
  assert.deepEqual(
    h.io.toPeer.map((p) => Buffer.from(p.data).toString()),
    ['a', 'bcdef'],
  );
  const before = h.io.toClient.length;
  h.core.handlePeer(h.io.toPeer[0]?.relay as FakeRelay, Buffer.from('xyz'), PEER, 5000);
  const out = h.io.toClient[before]?.bytes ?? new Uint8Array();
  assert.equal(out.length, 8);
  assert.equal(decodeChannelData(out, true).data.length, 3);
  // the connection closes: the allocation goes with it
  assert.ok(c.stream);
  h.core.streamClosed(c.stream);
  assert.equal(h.core.metrics.allocations, 0);
  // garbage closes a stream
  const d = new TestClient(h, '203.0.113.6', 1, true);
  d.raw(Buffer.from([0xff, 0, 0, 0]));
  assert.equal(h.io.closedStreams.length, 1);
  h.core.close();
});

test('bandwidth quota: packets beyond the per-allocation rate are dropped and counted', () => {
  const h = harness({ users: { alice: 'secret' }, quotas: { bandwidthBps: 1000 } });
  const c = new TestClient(h);
  c.creds = alice;
  assert.equal(codeOf(c.allocate()), 0);
  assert.equal(
    codeOf(
      c.request(StunMethod.ChannelBind, [{ type: AttrType.ChannelNumber, value: 0x4000 } as StunAttribute, peer(PEER)]),
    ),
    0,
  );
  for (let i = 0; i < 20; i++) c.raw(encodeChannelData(0x4000, new Uint8Array(100)));
  assert.equal(h.io.toPeer.length, 10);
  assert.equal(h.core.metrics.dropped('bandwidth'), 10);
  h.clock.advance(500);
  for (let i = 0; i < 20; i++) c.raw(encodeChannelData(0x4000, new Uint8Array(100)));
  assert.equal(h.io.toPeer.length, 15);
  h.core.close();
});

test('two clients of one server relay to each other even when the relay IP is private; other ports of that IP stay refused', () => {
  const h = harness({ users: { alice: 'secret' } }, { IPv4: '192.168.1.10' });
  const a = new TestClient(h, '203.0.113.5', 40000);
  const b = new TestClient(h, '203.0.113.6', 40001);
  a.creds = alice;
  b.creds = alice;
  const ra = a.allocate()?.get(AttrType.XorRelayedAddress);
  const rb = b.allocate()?.get(AttrType.XorRelayedAddress);
  assert.ok(ra !== undefined && rb !== undefined);
  assert.equal(rb.address, '192.168.1.10');
  assert.equal(codeOf(a.request(StunMethod.CreatePermission, [peer(rb.address, rb.port)])), 0);
  assert.equal(codeOf(b.request(StunMethod.CreatePermission, [peer(ra.address, ra.port)])), 0);
  const bind = [{ type: AttrType.ChannelNumber, value: 0x4001 } as StunAttribute, peer(rb.address, rb.port)];
  assert.equal(codeOf(a.request(StunMethod.ChannelBind, bind)), 0);
  // The same private IP on a port that is no live relay, and another private address: 403.
  assert.equal(codeOf(a.request(StunMethod.CreatePermission, [peer('192.168.1.10', 22)])), 403);
  assert.equal(codeOf(a.request(StunMethod.CreatePermission, [peer('192.168.1.11', rb.port)])), 403);
  const sent = h.io.toPeer.length;
  send(a, rb.address, rb.port, new Uint8Array([1, 2, 3]));
  assert.equal(h.io.toPeer.length, sent + 1);
  assert.deepEqual(h.io.toPeer.at(-1)?.port, rb.port);
  h.core.close();
});

test('a permission for a relay IP the policy refuses is relay-only: no other port of it, on any path, either way', () => {
  const h = harness({ users: { alice: 'secret' } }, { IPv4: '192.168.1.10' });
  const a = new TestClient(h, '203.0.113.5', 40000);
  const b = new TestClient(h, '203.0.113.6', 40001);
  a.creds = alice;
  b.creds = alice;
  const ra = a.allocate()?.get(AttrType.XorRelayedAddress);
  const rb = b.allocate()?.get(AttrType.XorRelayedAddress);
  assert.ok(ra !== undefined && rb !== undefined);
  // ChannelBind to a live relay: allowed, and (RFC 8656 §12.2) a permission for its IP — relay-only.
  const bind = [{ type: AttrType.ChannelNumber, value: 0x4000 } as StunAttribute, peer(rb.address, rb.port)];
  assert.equal(codeOf(a.request(StunMethod.ChannelBind, bind)), 0);
  // Send to another port of that IP: dropped as forbidden, nothing goes out.
  send(a, '192.168.1.10', 5555, Buffer.from('x'));
  assert.equal(h.io.toPeer.length, 0);
  assert.equal(h.core.metrics.dropped('forbidden_peer'), 1);
  // Send to the live relay itself: out.
  send(a, rb.address, rb.port, Buffer.from('y'));
  assert.equal(h.io.toPeer.length, 1);
  const relay = h.io.toPeer[0]?.relay as FakeRelay;
  // From another port of that IP back to a's relay: dropped; from b's relay: delivered as ChannelData.
  h.core.handlePeer(relay, Buffer.from('service'), '192.168.1.10', 5555);
  assert.equal(relayedTo(a).length, 0);
  assert.equal(h.core.metrics.dropped('forbidden_peer'), 2);
  h.core.handlePeer(relay, Buffer.from('relay'), rb.address, rb.port);
  assert.equal(relayedTo(a).length, 1);
  assert.equal(decodeChannelData(relayedTo(a)[0] ?? new Uint8Array()).channel, 0x4000);
  // CreatePermission naming the IP with the live relay's port: allowed, relay-only as well.
  assert.equal(codeOf(a.request(StunMethod.CreatePermission, [peer(rb.address, rb.port)])), 0);
  send(a, '192.168.1.10', 6666, Buffer.from('z'));
  assert.equal(h.io.toPeer.length, 1);
  // b's allocation goes: its address is no relay any more — channel, Send and data back all drop.
  assert.equal(codeOf(b.request(StunMethod.Refresh, [{ type: AttrType.Lifetime, value: 0 } as StunAttribute])), 0);
  a.raw(encodeChannelData(0x4000, Buffer.from('c')));
  send(a, rb.address, rb.port, Buffer.from('s'));
  assert.equal(h.io.toPeer.length, 1);
  h.core.handlePeer(relay, Buffer.from('squatter'), rb.address, rb.port);
  assert.equal(relayedTo(a).length, 1);
  assert.equal(h.core.metrics.dropped('forbidden_peer'), 6);
  assert.equal(codeOf(a.request(StunMethod.CreatePermission, [peer(rb.address, rb.port)])), 403);
  h.core.close();
});

test('the relay-only exception: listener addresses and deniedPeers still win; allowLoopbackPeers makes a plain permission', () => {
  const h = harness({ users: { alice: 'secret' }, deniedPeers: ['192.168.1.10'] }, { IPv4: '192.168.1.10' });
  const a = new TestClient(h, '203.0.113.5', 40000);
  const b = new TestClient(h, '203.0.113.6', 40001);
  a.creds = alice;
  b.creds = alice;
  assert.equal(codeOf(a.allocate()), 0);
  const rb = b.allocate()?.get(AttrType.XorRelayedAddress);
  assert.ok(rb !== undefined);
  assert.equal(codeOf(a.request(StunMethod.CreatePermission, [peer(rb.address, rb.port)])), 403);
  h.core.close();
  // Open by policy (allowLoopbackPeers, relay on loopback): a plain permission, every port.
  const o = harness({ users: { alice: 'secret' }, allowLoopbackPeers: true }, { IPv4: '127.0.0.1' });
  const x = new TestClient(o, '203.0.113.5', 40000);
  const y = new TestClient(o, '203.0.113.6', 40001);
  x.creds = alice;
  y.creds = alice;
  assert.equal(codeOf(x.allocate()), 0);
  const ry = y.allocate()?.get(AttrType.XorRelayedAddress);
  assert.ok(ry !== undefined);
  assert.equal(codeOf(x.request(StunMethod.CreatePermission, [peer(ry.address, ry.port)])), 0);
  send(x, '127.0.0.1', 5555, Buffer.from('x'));
  assert.equal(o.io.toPeer.length, 1);
  o.core.close();
});

test('RFC 5766 channel numbers (0x5000–0x7FFF, as coturn clients bind) work by default over UDP and TCP; 0x8000 is 400', () => {
  const h = harness({ users: { alice: 'secret' } });
  const ch = (n: number) => ({ type: AttrType.ChannelNumber, value: n }) as StunAttribute;
  const legacy = CHANNEL_NUMBER_MAX_RFC5766;
  const u = new TestClient(h, '203.0.113.5', 40000);
  u.creds = alice;
  assert.equal(codeOf(u.allocate()), 0);
  assert.equal(codeOf(u.request(StunMethod.ChannelBind, [ch(0x8000), peer(PEER)])), 400);
  assert.equal(codeOf(u.request(StunMethod.ChannelBind, [ch(0x73d7), peer(PEER)])), 0);
  u.raw(encodeChannelData(0x73d7, Buffer.from('udp'), false, legacy));
  assert.deepEqual(Buffer.from(h.io.toPeer.at(-1)?.data ?? []).toString(), 'udp');
  const relay = h.io.toPeer.at(-1)?.relay as FakeRelay;
  const before = h.io.toClient.length;
  h.core.handlePeer(relay, Buffer.from('back'), PEER, 5000);
  const back = decodeChannelData(h.io.toClient[before]?.bytes ?? new Uint8Array(), false, legacy);
  assert.equal(back.channel, 0x73d7);
  assert.equal(Buffer.from(back.data).toString(), 'back');
  const t = new TestClient(h, '203.0.113.6', 40001, true);
  t.creds = alice;
  assert.equal(codeOf(t.allocate()), 0);
  assert.equal(codeOf(t.request(StunMethod.ChannelBind, [ch(0x7fff), peer(PEER)])), 0);
  const frame = encodeChannelData(0x7fff, Buffer.from('tcp'), true, legacy);
  for (const b of frame) t.raw(Buffer.from([b]));
  assert.deepEqual(Buffer.from(h.io.toPeer.at(-1)?.data ?? []).toString(), 'tcp');
  assert.equal(h.io.closedStreams.length, 0);
  h.core.close();
});
