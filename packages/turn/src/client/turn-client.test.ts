/**
 * TurnClient against itda's sans-IO TurnCore in memory (no sockets), on one
 * ManualClock: the whole client flow, background refreshes, stale nonces,
 * retransmissions over a lossy "UDP", errors and close.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError, ManualClock } from '@itda/common';
import type { TransportAddress } from '@itda/stun';
import type { TurnCoreOptions } from '../protocol/config.ts';
import { TurnCore } from '../protocol/core.ts';
import type { ClientRef, Endpoint, RelayHandle, StreamClient, TurnIo } from '../protocol/io.ts';
import { StreamFramer } from './framer.ts';
import type { ClientTransport, TransportHandlers } from './transport.ts';
import { TurnClient, type TurnClientOptions } from './turn-client.ts';

const SERVER = '192.0.2.1';
const PEER: TransportAddress = { family: 'IPv4', address: '198.51.100.7', port: 5000 };

class Relay implements RelayHandle {
  readonly address = SERVER;
  readonly family = 'IPv4' as const;
  readonly port: number;
  constructor(port: number) {
    this.port = port;
  }
}

/** A TurnCore whose peers echo every datagram (on the next microtask). */
class World implements TurnIo<Relay, MemoryTransport> {
  readonly clock = new ManualClock(0);
  readonly core: TurnCore<Relay, MemoryTransport>;
  readonly udp: Endpoint;
  readonly tcp: Endpoint;
  readonly #udpClients = new Map<number, MemoryTransport>();
  toPeer = 0;
  #nextPort = 50_000;

  constructor(options: TurnCoreOptions = {}) {
    this.core = new TurnCore<Relay, MemoryTransport>({
      io: this,
      clock: this.clock,
      options: { users: { alice: 'pw' }, allowedPeers: ['198.51.100.0/24'], ...options },
      relayAddresses: { IPv4: SERVER },
    });
    this.udp = this.core.addEndpoint({ transport: 'udp', address: SERVER, port: 3478, family: 'IPv4' });
    this.tcp = this.core.addEndpoint({ transport: 'tcp', address: SERVER, port: 3478, family: 'IPv4' });
  }

  transport(kind: 'udp' | 'tcp', port: number): MemoryTransport {
    const t = new MemoryTransport(this, kind, port);
    if (kind === 'udp') this.#udpClients.set(port, t);
    return t;
  }

  sendToClient(client: ClientRef<MemoryTransport>, head: Uint8Array, body?: Uint8Array, tail?: Uint8Array): void {
    const bytes = Buffer.concat([head, body ?? new Uint8Array(0), tail ?? new Uint8Array(0)]);
    const t = client.transport === 'udp' ? this.#udpClients.get(client.port) : client.handle;
    t?.deliver(bytes);
  }
  sendToPeer(relay: Relay, data: Uint8Array, offset: number, length: number, address: string, port: number): void {
    this.toPeer++;
    const copy = Uint8Array.from(data.subarray(offset, offset + length));
    queueMicrotask(() => this.core.handlePeer(relay, copy, address, port));
  }
  bindRelay(request: { id: number }): void {
    this.core.relayBound(request.id, new Relay(this.#nextPort++));
  }
  closeRelay(): void {}
  closeStream(client: StreamClient<MemoryTransport>): void {
    this.core.streamClosed(client);
  }
}

/** A ClientTransport wired to the World's core; `drop` loses outgoing packets (UDP only). */
class MemoryTransport implements ClientTransport {
  readonly kind: 'udp' | 'tcp';
  readonly reliable: boolean;
  readonly local: { address: string; port: number };
  readonly #world: World;
  readonly #stream: StreamClient<MemoryTransport> | undefined;
  readonly #framer = new StreamFramer();
  #handlers: TransportHandlers | undefined;
  closed = false;
  /** Outgoing packets to lose before delivering again. */
  drop = 0;
  sent = 0;

  constructor(world: World, kind: 'udp' | 'tcp', port: number) {
    this.#world = world;
    this.kind = kind;
    this.reliable = kind === 'tcp';
    this.local = { address: '203.0.113.9', port };
    this.#stream = kind === 'tcp' ? world.core.streamOpened(world.tcp, this.local.address, port, this) : undefined;
  }
  setHandlers(handlers: TransportHandlers): void {
    this.#handlers = handlers;
  }
  send(bytes: Uint8Array): void {
    if (this.closed) throw new Error('closed');
    this.sent++;
    if (this.drop > 0) {
      this.drop--;
      return;
    }
    if (this.#stream !== undefined) this.#world.core.handleStreamData(this.#stream, Uint8Array.from(bytes));
    else this.#world.core.handleUdp(this.#world.udp, Uint8Array.from(bytes), this.local.address, this.local.port);
  }
  deliver(bytes: Uint8Array): void {
    if (this.closed) return;
    if (!this.reliable) {
      this.#handlers?.packet(bytes);
      return;
    }
    // Byte by byte in two halves, to go through the framer as a stream would.
    const half = bytes.length >> 1;
    this.#framer.push(bytes.subarray(0, half), (f) => this.#handlers?.packet(f));
    this.#framer.push(bytes.subarray(half), (f) => this.#handlers?.packet(f));
  }
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.#stream !== undefined) this.#world.core.streamClosed(this.#stream);
    this.#handlers?.close();
  }
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function client(world: World, kind: 'udp' | 'tcp', options: TurnClientOptions = {}, port = 40_000): TurnClient {
  return new TurnClient(world.transport(kind, port), {
    username: 'alice',
    password: 'pw',
    clock: world.clock,
    ...options,
  });
}

for (const kind of ['udp', 'tcp'] as const) {
  test(`${kind}: allocate, permission, channel, data both ways, close deletes the allocation`, async () => {
    const world = new World();
    const c = client(world, kind);
    const allocation = await c.allocate();
    assert.deepEqual(allocation.relayed, { family: 'IPv4', address: SERVER, port: 50_000 });
    assert.equal(allocation.mapped?.address, '203.0.113.9');
    assert.equal(allocation.lifetime, 600);
    assert.equal(c.stats.requests, 2, 'one 401, then the authenticated Allocate');
    const got: { data: string; port: number; channel: number | undefined }[] = [];
    c.on('data', (data, peer, channel) => got.push({ data: Buffer.from(data).toString(), port: peer.port, channel }));

    await c.createPermission([PEER.address]);
    c.send(PEER, Buffer.from('via indication'));
    await settle();
    const channel = await c.channelBind(PEER);
    assert.equal(channel, 0x4000);
    assert.equal(c.channelPeer(channel)?.port, PEER.port);
    c.sendChannel(channel, Buffer.from('odd'));
    await settle();
    assert.deepEqual(got, [
      { data: 'via indication', port: PEER.port, channel: undefined },
      { data: 'odd', port: PEER.port, channel: 0x4000 },
    ]);
    assert.equal(world.core.metrics.channels, 1);

    await c.close();
    assert.equal(world.core.allocationCount, 0);
    assert.equal(c.allocation, undefined);
    assert.equal(world.clock.pending, 1, 'only the core sweep is left');
    await c.close(); // idempotent
    world.core.close();
  });
}

test('auto-refresh keeps allocation, permission and channel alive for an hour', async () => {
  const world = new World();
  const c = client(world, 'udp');
  await c.allocate();
  const channel = await c.channelBind(PEER);
  await c.createPermission(['198.51.100.8']);
  const errors: unknown[] = [];
  c.on('error', (err) => errors.push(err));
  for (let minute = 0; minute < 60; minute++) {
    world.clock.advance(60_000);
    await settle();
  }
  assert.deepEqual(errors, []);
  assert.equal(world.core.allocationCount, 1);
  assert.equal(world.core.metrics.channels, 1);
  assert.equal(world.core.metrics.permissions, 2);
  // Nonces last 600 s: the refreshes met 438 and retried with the new nonce.
  assert.ok((world.core.metrics.snapshot().authFailures.stale_nonce ?? 0) > 0);
  const before = world.toPeer;
  c.sendChannel(channel, Buffer.from('still bound'));
  assert.equal(world.toPeer, before + 1);
  await c.close();
  world.core.close();
});

test('without auto-refresh the allocation expires and Refresh gets 437', async () => {
  const world = new World();
  const c = client(world, 'udp', { autoRefresh: false });
  await c.allocate();
  world.clock.advance(601_000);
  await assert.rejects(c.refresh(), (err) => isItdaError(err, 'turn_client_error_response') && err.stunCode === 437);
  await c.close();
  world.core.close();
});

test('UDP: lost requests are retransmitted on the RTO schedule', async () => {
  const world = new World();
  const transport = world.transport('udp', 40_001);
  const c = new TurnClient(transport, { username: 'alice', password: 'pw', clock: world.clock, rto: 100 });
  transport.drop = 2;
  const pending = c.allocate();
  world.clock.advance(100); // second send, lost
  world.clock.advance(200); // third send, delivered: 401 → authenticated Allocate
  const allocation = await pending;
  assert.equal(allocation.lifetime, 600);
  assert.equal(c.stats.retransmissions, 2);
  assert.equal(transport.sent, 4);
  await c.close();
  world.core.close();
});

test('errors: wrong password 401, quota 486, closed client, no allocation', async () => {
  const world = new World({ quotas: { allocationsPerUser: 1 } });
  const wrong = client(world, 'udp', { password: 'nope' }, 41_000);
  await assert.rejects(wrong.allocate(), (err) => isItdaError(err, 'turn_client_unauthenticated'));
  await assert.rejects(wrong.refresh(), (err) => isItdaError(err, 'turn_client_state'));
  await wrong.close();

  const first = client(world, 'udp', {}, 41_001);
  await first.allocate();
  const second = client(world, 'udp', {}, 41_002);
  await assert.rejects(
    second.allocate(),
    (err) => isItdaError(err, 'turn_client_error_response') && err.stunCode === 486,
  );
  await first.close();
  await second.close();
  await assert.rejects(second.binding(), (err) => isItdaError(err, 'turn_client_closed'));
  assert.throws(
    () => first.send(PEER, new Uint8Array(1)),
    (err) => isItdaError(err, 'turn_client_closed'),
  );
  world.core.close();
});

test('Binding needs no credentials; a closing transport fails pending requests', async () => {
  const world = new World();
  const transport = world.transport('udp', 42_000);
  const c = new TurnClient(transport, { clock: world.clock });
  const result = await c.binding();
  assert.deepEqual(result.mapped, { family: 'IPv4', address: '203.0.113.9', port: 42_000 });
  assert.equal(result.software, 'itda');
  transport.drop = 1;
  const pending = c.binding();
  let closed = false;
  c.on('closed', () => {
    closed = true;
  });
  transport.close();
  await assert.rejects(pending, (err) => isItdaError(err, 'turn_client_closed'));
  assert.equal(closed, true);
  await c.close();
  world.core.close();
});
