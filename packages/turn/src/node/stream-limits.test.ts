/**
 * The TCP and TLS listeners' limits against a real TurnServer on loopback (issue 10,
 * hole 4): one source's idle connections are capped per source and closed when they
 * hold no allocation by the handshake deadline (TLS handshake included) — while a client
 * from another address allocates over TCP and TLS and keeps its allocation through idle
 * periods (RFC 8656 §8: the client must refresh it within its lifetime).
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { connect as tlsConnect } from 'node:tls';
import { selfSignedCertificate } from '@itda/common/node';
import { handlesLeft, withTimeout } from '@itda/common/node-testing';
import { AttrType, type StunAttribute, StunClass, StunMethod } from '@itda/stun';
import { TestConn, TestTurnClient } from './test-client.ts';
import { TurnServer } from './turn-server.ts';

/** Generous bound for what the test waits on (a busy CI machine); never a speed assertion. */
const WAIT_MS = 20_000;
const tlsCert = selfSignedCertificate({ hosts: ['127.0.0.1'], days: 1 });
let server: TurnServer;
/** Every client socket of the tests, destroyed at the end whatever happened. */
const clients: Socket[] = [];

before(async () => {
  server = new TurnServer({
    realm: 'itda.test',
    listen: [
      { transport: 'tcp', host: '127.0.0.1', port: 0 },
      { transport: 'tls', host: '127.0.0.1', port: 0, cert: tlsCert.cert, key: tlsCert.key },
    ],
    users: { alice: 'secret' },
    relayIp: '127.0.0.1',
    allowLoopbackPeers: true,
    tcpLimits: { maxPerSource: 2, handshakeTimeoutMs: 1_000, idleTimeoutMs: 1_000 },
  });
  await server.start();
});

after(async () => {
  for (const s of clients) s.destroy();
  await server.close();
  // Leak check: no TCP or TLS handle is left (handles finish closing within a few turns).
  assert.deepEqual(await handlesLeft(/UDP|TCP|TLS|Timeout/, 1000), []);
});

const within = <T>(p: Promise<T>, what: string): Promise<T> => withTimeout(p, WAIT_MS, what);

function portOf(transport: 'tcp' | 'tls'): number {
  const a = server.addresses.find((x) => x.transport === transport);
  assert.ok(a);
  return a.port;
}

/** A plain TCP connection from `localAddress` that sends `bytes` and then nothing. */
async function stall(
  port: number,
  localAddress: string,
  bytes: number[] = [0xff, 0xff],
): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  clients.push(socket);
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  if (bytes.length > 0) socket.write(Buffer.from(bytes));
  return { socket, closed };
}

async function allocate(transport: 'tcp' | 'tls'): Promise<TestTurnClient> {
  const client = new TestTurnClient(await TestConn.open(transport, '127.0.0.1', portOf(transport)), 'alice', 'secret');
  const res = await client.request(StunMethod.Allocate, [
    { type: AttrType.RequestedTransport, value: 17 } as StunAttribute,
  ]);
  assert.equal(res.class, StunClass.SuccessResponse, `allocate over ${transport}`);
  return client;
}

async function refreshes(client: TestTurnClient): Promise<void> {
  const res = await client.request(StunMethod.Refresh, [{ type: AttrType.Lifetime, value: 600 } as StunAttribute]);
  assert.equal(res.class, StunClass.SuccessResponse, 'refresh on a connection that idled');
}

test('TURN/TCP: one source is capped and its idle connections closed; another source allocates and keeps its allocation', async () => {
  const guard = server.streamGuards.find((g) => g.name === 'turn_tcp');
  assert.ok(guard);
  const port = portOf('tcp');
  const stalls = [await stall(port, '127.0.0.2'), await stall(port, '127.0.0.2')];
  const over = await stall(port, '127.0.0.2');
  await within(over.closed, 'a third connection from one source refused');
  assert.equal(guard.stats.refused.source_limit, 1);
  const alice = await allocate('tcp');
  await within(Promise.all(stalls.map((s) => s.closed)), 'stalled connections closed');
  // Opened after alice's connection: once it is closed, alice's has passed its deadline
  // and been idle past the idle timeout; it holds an allocation, so it stays.
  const late = await stall(port, '127.0.0.3', []);
  await within(late.closed, 'a later silent connection closed');
  const { handshake_timeout, idle_timeout } = guard.stats.closed;
  assert.equal(handshake_timeout + idle_timeout, 3);
  await refreshes(alice);
  alice.conn.close();
});

test('TURN/TLS: a connection that never finishes the handshake, or never allocates, is closed; an allocated one stays', async () => {
  const guard = server.streamGuards.find((g) => g.name === 'turn_tls');
  assert.ok(guard);
  const port = portOf('tls');
  const alice = await allocate('tls');
  const silent = await stall(port, '127.0.0.2', []); // no ClientHello at all
  const tcp = connect({ host: '127.0.0.1', port, localAddress: '127.0.0.2' });
  clients.push(tcp);
  tcp.on('error', () => {});
  const handshaken = tlsConnect({ socket: tcp, rejectUnauthorized: false });
  const secured = new Promise<void>((resolve) => handshaken.once('secureConnect', () => resolve()));
  clients.push(handshaken);
  handshaken.on('error', () => {});
  const handshakenClosed = new Promise<void>((resolve) => handshaken.once('close', () => resolve()));
  await within(secured, 'TLS handshake done');
  await within(Promise.all([silent.closed, handshakenClosed]), 'TLS connections without an allocation closed');
  const late = await stall(port, '127.0.0.3', []);
  await within(late.closed, 'a later silent connection closed');
  const { handshake_timeout, idle_timeout } = guard.stats.closed;
  assert.equal(handshake_timeout + idle_timeout, 3);
  await refreshes(alice);
  alice.conn.close();
});
