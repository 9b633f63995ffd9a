/**
 * A wildcard UDP listener as one socket per local address, on loopback: 127.0.0.0/8 is all
 * on `lo` in Linux, so 127.0.0.2 and 127.0.0.3 stand in for a second and third interface's
 * addresses (the address list is the test's own). The namespace lab with real interfaces
 * and a NAT is e2e/turn-multihomed.test.ts.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { test } from 'node:test';
import { createLogger, type LogFields, systemClock } from '@itda/common';
import {
  AttrType,
  createTransactionId,
  decodeMessage,
  encodeMessage,
  type StunAttribute,
  StunClass,
  StunMethod,
} from '@itda/stun';
import type { LocalAddress } from './local-addresses.ts';
import { PerAddressUdp } from './per-address-udp.ts';
import { TestConn, TestTurnClient } from './test-client.ts';
import { TurnServer } from './turn-server.ts';

function v4(...addresses: string[]): LocalAddress[] {
  return addresses.map((address) => ({ address, family: 'IPv4', interface: 'lo' }));
}

function group(list: () => LocalAddress[], port = 0) {
  const records: LogFields[] = [];
  const logger = createLogger({ level: 'warn', sink: (r) => records.push(r) });
  const bound: string[] = [];
  const lost: string[] = [];
  const g = new PerAddressUdp({
    family: 'IPv4',
    port,
    bufferBytes: 0,
    list,
    logger,
    clock: systemClock,
    onBound: (local) => bound.push(local.address),
    onLost: (address) => lost.push(address),
  });
  return { g, bound, lost, records };
}

test('per-address UDP: one socket per address on one port; addresses that appear are bound and those that vanish closed', async () => {
  let addresses = v4('127.0.0.1', '127.0.0.2');
  const { g, bound, lost } = group(() => addresses);
  await g.start();
  try {
    assert.ok(g.port > 0);
    assert.deepEqual(g.addresses, ['127.0.0.1', '127.0.0.2']);
    assert.deepEqual(bound, ['127.0.0.1', '127.0.0.2']);
    addresses = v4('127.0.0.2', '127.0.0.3');
    await g.sync();
    assert.deepEqual(g.addresses.sort(), ['127.0.0.2', '127.0.0.3']);
    assert.deepEqual(lost, ['127.0.0.1']);
    // Concurrent syncs share one pass.
    addresses = v4('127.0.0.1', '127.0.0.2', '127.0.0.3');
    await Promise.all([g.sync(), g.sync(), g.sync()]);
    assert.deepEqual(bound, ['127.0.0.1', '127.0.0.2', '127.0.0.3', '127.0.0.1']);
  } finally {
    await g.close();
  }
});

test('per-address UDP: an address that cannot be bound is warned about (rate-limited) and retried; a taken fixed port fails start', async () => {
  // 192.0.2.77 (TEST-NET-1) is on no interface here: EADDRNOTAVAIL.
  const { g, records } = group(() => v4('127.0.0.1', '192.0.2.77'));
  await g.start();
  try {
    assert.deepEqual(g.addresses, ['127.0.0.1']);
    await g.sync();
    await g.sync();
    assert.equal(records.length, 1, 'one warning per address per minute');
    assert.equal(records[0]?.code, 'EADDRNOTAVAIL');

    const holder: Socket = createSocket('udp4');
    await new Promise<void>((resolve) => holder.bind(0, '127.0.0.2', resolve));
    try {
      const taken = group(() => v4('127.0.0.1', '127.0.0.2'), holder.address().port);
      await assert.rejects(taken.g.start(), { code: 'EADDRINUSE' });
      assert.deepEqual(taken.g.addresses, []);
    } finally {
      holder.close();
    }
    const none = group(() => []);
    await assert.rejects(none.g.start(), { code: 'turn_listen_failed' });
  } finally {
    await g.close();
  }
});

function bindingRequest(): Uint8Array {
  return encodeMessage({
    class: StunClass.Request,
    method: StunMethod.Binding,
    transactionId: createTransactionId(),
    attributes: [],
  });
}

test('wildcard listeners answer Binding and Allocate from the address asked, and relay on it (UDP and TCP)', async () => {
  let addresses = v4('127.0.0.1', '127.0.0.2');
  const server = new TurnServer({
    realm: 'itda.test',
    listen: [
      { transport: 'udp', host: '0.0.0.0', port: 0 },
      { transport: 'tcp', host: '0.0.0.0', port: 0 },
    ],
    users: { alice: 'secret' },
    allowLoopbackPeers: true,
    listAddresses: () => addresses,
    interfacePollMs: 0,
  });
  await server.start();
  const conns: TestConn[] = [];
  try {
    const port = server.addresses[0]?.port ?? 0;
    assert.deepEqual(
      server.udpLocalAddresses.map((a) => `${a.host}:${a.port}`),
      [`127.0.0.1:${port}`, `127.0.0.2:${port}`],
    );
    for (const asked of ['127.0.0.2', '127.0.0.1']) {
      // The client's socket is bound to 127.0.0.1 and not connected: it sees any source.
      const conn = await TestConn.open('udp', asked, port, '127.0.0.1');
      conns.push(conn);
      conn.send(bindingRequest());
      assert.equal(decodeMessage(await conn.next()).class, StunClass.SuccessResponse);
      const client = new TestTurnClient(conn, 'alice', 'secret');
      const alloc = await client.request(StunMethod.Allocate, [
        { type: AttrType.RequestedTransport, value: 17 } as StunAttribute,
      ]);
      assert.equal(alloc.class, StunClass.SuccessResponse);
      // Without relayIp the relay is bound on the address the Allocate arrived on.
      assert.equal(alloc.get(AttrType.XorRelayedAddress)?.address, asked);
      assert.deepEqual(new Set(conn.sources), new Set([`${asked}:${port}`]), `every answer from ${asked}`);
    }
    // Over TCP on a wildcard listener the relay is on the connection's local address.
    const tcpPort = server.addresses.find((a) => a.transport === 'tcp')?.port ?? 0;
    const tcp = await TestConn.open('tcp', '127.0.0.2', tcpPort);
    conns.push(tcp);
    const tcpAlloc = await new TestTurnClient(tcp, 'alice', 'secret').request(StunMethod.Allocate, [
      { type: AttrType.RequestedTransport, value: 17 } as StunAttribute,
    ]);
    assert.equal(tcpAlloc.get(AttrType.XorRelayedAddress)?.address, '127.0.0.2');
    // An address added while running is listened on after the next look.
    addresses = v4('127.0.0.1', '127.0.0.2', '127.0.0.3');
    await server.syncLocalAddresses();
    const third = await TestConn.open('udp', '127.0.0.3', port, '127.0.0.1');
    conns.push(third);
    third.send(bindingRequest());
    assert.equal(decodeMessage(await third.next()).class, StunClass.SuccessResponse);
    assert.deepEqual(third.sources, [`127.0.0.3:${port}`]);
    // …and one that vanishes is no longer.
    addresses = v4('127.0.0.1', '127.0.0.2');
    await server.syncLocalAddresses();
    assert.deepEqual(
      server.udpLocalAddresses.map((a) => a.host),
      ['127.0.0.1', '127.0.0.2'],
    );
  } finally {
    for (const c of conns) c.close();
    await server.close();
  }
});

test('the poll timer follows the address list (interfacePollMs)', async () => {
  let addresses = v4('127.0.0.1');
  const server = new TurnServer({
    realm: 'itda.test',
    listen: [{ transport: 'udp', host: '0.0.0.0', port: 0 }],
    users: { alice: 'secret' },
    listAddresses: () => addresses,
    interfacePollMs: 100,
  });
  await server.start();
  try {
    addresses = v4('127.0.0.1', '127.0.0.4');
    // Waits for the state the poll reaches; the bound only ends a broken run (10 s ≫ 100 ms).
    const deadline = Date.now() + 10_000;
    while (!server.udpLocalAddresses.some((a) => a.host === '127.0.0.4')) {
      assert.ok(Date.now() < deadline, 'the poll never bound 127.0.0.4');
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    await server.close();
  }
});

test('TurnServer options: interfacePollMs out of range is refused', () => {
  for (const interfacePollMs of [-1, 50, 1.5, 3_600_001]) {
    assert.throws(() => new TurnServer({ interfacePollMs, listen: [{ transport: 'udp', host: '0.0.0.0', port: 0 }] }), {
      code: 'turn_bad_options',
    });
  }
});
