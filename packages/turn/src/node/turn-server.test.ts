import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { after, before, test } from 'node:test';
import { selfSignedCertificate } from '@itda/common/node';
import { handlesLeft } from '@itda/common/node-testing';
import {
  AttrType,
  createTransactionId,
  decodeChannelData,
  decodeMessage,
  encodeChannelData,
  encodeMessage,
  type StunAttribute,
  StunClass,
  StunMethod,
} from '@itda/stun';
import { TestConn, TestTurnClient } from './test-client.ts';
import { TurnServer } from './turn-server.ts';

const tlsCert = selfSignedCertificate({ hosts: ['127.0.0.1'], days: 1 });
let server: TurnServer;
const echo = createSocket('udp4');
let echoPort = 0;

before(async () => {
  await new Promise<void>((resolve) => echo.bind(0, '127.0.0.1', resolve));
  echoPort = echo.address().port;
  echo.on('message', (m, r) => echo.send(m, r.port, r.address));
  server = new TurnServer({
    realm: 'itda.test',
    listen: [
      { transport: 'udp', host: '127.0.0.1', port: 0 },
      { transport: 'tcp', host: '127.0.0.1', port: 0 },
      { transport: 'tls' as const, host: '127.0.0.1', port: 0, cert: tlsCert.cert, key: tlsCert.key },
    ],
    users: { alice: 'secret' },
    relayIp: '127.0.0.1',
    allowLoopbackPeers: true,
  });
  await server.start();
});

after(async () => {
  await server.close();
  await server.close();
  await new Promise<void>((resolve) => echo.close(() => resolve()));
  // leak check: no socket or server handle is left behind (handles finish closing within a few turns)
  assert.deepEqual(await handlesLeft(/UDP|TCP|TLS/, 500), []);
});

const peerAttr = (): StunAttribute =>
  ({ type: AttrType.XorPeerAddress, value: { family: 'IPv4', address: '127.0.0.1', port: echoPort } }) as StunAttribute;

async function relayRoundTrip(transport: 'udp' | 'tcp' | 'tls'): Promise<void> {
  const addr = server.addresses.find((a) => a.transport === transport);
  assert.ok(addr);
  const conn = await TestConn.open(transport, '127.0.0.1', addr.port);
  try {
    // Binding
    conn.send(
      encodeMessage({
        class: StunClass.Request,
        method: StunMethod.Binding,
        transactionId: createTransactionId(),
        attributes: [],
      }),
    );
    const binding = decodeMessage(await conn.next());
    assert.equal(binding.class, StunClass.SuccessResponse);
    assert.equal(binding.get(AttrType.XorMappedAddress)?.address, '127.0.0.1');

    const client = new TestTurnClient(conn, 'alice', 'secret');
    const alloc = await client.request(StunMethod.Allocate, [
      { type: AttrType.RequestedTransport, value: 17 } as StunAttribute,
    ]);
    assert.equal(alloc.class, StunClass.SuccessResponse, `allocate: ${JSON.stringify(alloc.get(AttrType.ErrorCode))}`);
    const relayed = alloc.get(AttrType.XorRelayedAddress);
    assert.equal(relayed?.address, '127.0.0.1');
    assert.ok((relayed?.port ?? 0) >= 49152);
    assert.equal(alloc.get(AttrType.Lifetime), 600);

    // CreatePermission → Send → echo → Data indication
    const perm = await client.request(StunMethod.CreatePermission, [peerAttr()]);
    assert.equal(perm.class, StunClass.SuccessResponse);
    const payload = Buffer.from(`hello over ${transport}!`);
    conn.send(
      encodeMessage({
        class: StunClass.Indication,
        method: StunMethod.Send,
        transactionId: createTransactionId(),
        attributes: [peerAttr(), { type: AttrType.Data, value: payload } as StunAttribute],
      }),
    );
    const data = decodeMessage(await conn.next());
    assert.equal(data.class, StunClass.Indication);
    assert.equal(data.method, StunMethod.Data);
    assert.equal(data.get(AttrType.XorPeerAddress)?.port, echoPort);
    assert.deepEqual(Buffer.from(data.get(AttrType.Data) ?? []), payload);

    // ChannelBind → ChannelData both ways (padded over streams)
    const bind = await client.request(StunMethod.ChannelBind, [
      { type: AttrType.ChannelNumber, value: 0x4001 } as StunAttribute,
      peerAttr(),
    ]);
    assert.equal(bind.class, StunClass.SuccessResponse);
    for (const size of [1, 4, 5, 1200]) {
      const bytes = Buffer.alloc(size, size & 0xff);
      conn.send(encodeChannelData(0x4001, bytes, conn.stream));
      const back = decodeChannelData(await conn.next(), conn.stream);
      assert.equal(back.channel, 0x4001);
      assert.deepEqual(Buffer.from(back.data), bytes);
    }

    // Refresh 0 frees the allocation
    const refresh = await client.request(StunMethod.Refresh, [{ type: AttrType.Lifetime, value: 0 } as StunAttribute]);
    assert.equal(refresh.class, StunClass.SuccessResponse);
  } finally {
    conn.close();
  }
}

test('UDP: Binding, Allocate, Send/Data and ChannelData through the relay to an echo peer', async () => {
  await relayRoundTrip('udp');
});

test('TCP: the same over a stream (RFC 8656 framing, ChannelData padded)', async () => {
  await relayRoundTrip('tcp');
});

test('TLS: the same over TLS', async () => {
  await relayRoundTrip('tls');
});

test('a closed TCP connection frees its allocation; metrics count relayed packets', async () => {
  const addr = server.addresses.find((a) => a.transport === 'tcp');
  assert.ok(addr);
  const conn = await TestConn.open('tcp', '127.0.0.1', addr.port);
  const client = new TestTurnClient(conn, 'alice', 'secret');
  const alloc = await client.request(StunMethod.Allocate, [
    { type: AttrType.RequestedTransport, value: 17 } as StunAttribute,
  ]);
  assert.equal(alloc.class, StunClass.SuccessResponse);
  assert.equal(server.metrics.allocations, 1);
  conn.close();
  for (let i = 0; i < 100 && server.metrics.allocations > 0; i++) await new Promise((r) => setTimeout(r, 10));
  assert.equal(server.metrics.allocations, 0);
  const m = server.metrics;
  assert.ok(m.packetsToPeer >= 5 && m.packetsFromPeer >= 5);
  assert.ok(m.allocationsCreated >= 3);
});

test('RFC 5780 on loopback: CHANGE-REQUEST is answered from 127.0.0.2 and the other port', async () => {
  // Linux routes all of 127.0.0.0/8 to lo, so 127.0.0.2 is always bindable: a failing
  // start is a failure, not a reason to skip.
  const nat = new TurnServer({
    listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
    relayIp: '127.0.0.1',
    rfc5780: { alternateIp: '127.0.0.2' },
  });
  await nat.start();
  try {
    assert.equal(nat.addresses.length, 4);
    const primary = nat.addresses[0];
    assert.ok(primary);
    const s = createSocket('udp4');
    await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    const got = new Promise<{ msg: Buffer; from: string; port: number }>((resolve) =>
      s.once('message', (msg, r) => resolve({ msg, from: r.address, port: r.port })),
    );
    s.send(
      encodeMessage({
        class: StunClass.Request,
        method: StunMethod.Binding,
        transactionId: createTransactionId(),
        attributes: [{ type: AttrType.ChangeRequest, value: { changeIp: true, changePort: true } } as StunAttribute],
      }),
      primary.port,
      '127.0.0.1',
    );
    const { msg, from, port } = await got;
    s.close();
    assert.equal(from, '127.0.0.2');
    assert.notEqual(port, primary.port);
    const res = decodeMessage(msg);
    assert.deepEqual(res.get(AttrType.OtherAddress), { family: 'IPv4', address: '127.0.0.2', port });
  } finally {
    await nat.close();
  }
});
