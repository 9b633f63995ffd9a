/**
 * The server's own relayed addresses are the one exception to the deny-by-default peer
 * policy — and only they (protocol/own-relays.ts). Real sockets on loopback, the policy
 * left at its defaults (loopback peers denied), as with `itda serve --host 127.0.0.1` and
 * `--relay-ip ::1`: a UDP service elsewhere on the relay's IP must stay out of reach on
 * every path — Send, ChannelData, and datagrams coming back — while two allocations of
 * the server still relay to each other, and a relay port freed by its allocation stops
 * being a peer at once (a later socket on that port is not reached either).
 *
 * "Not delivered" is observed without sleeping: each forbidden packet is counted by the
 * server (`dropped_total{reason="forbidden_peer"}`) when it decides, and the test waits
 * for either that count or the packet's arrival, whichever comes first (bounded by 5 s).
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { test } from 'node:test';
import {
  AddressFamily,
  AttrType,
  createTransactionId,
  decodeChannelData,
  decodeMessage,
  encodeChannelData,
  encodeMessage,
  type StunAttribute,
  StunClass,
  StunMethod,
  type TransportAddress,
} from '@itda/stun';
import { TestConn, TestTurnClient } from './test-client.ts';
import { TurnServer } from './turn-server.ts';

/** How long a packet may take to be relayed or dropped on a loaded machine. */
const BOUND_MS = 5000;

async function until<T>(what: string, probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`no ${what} within ${BOUND_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** A UDP socket that counts what it receives. */
class Service {
  readonly socket: Socket;
  readonly got: { data: Buffer; port: number }[] = [];
  constructor(socket: Socket) {
    this.socket = socket;
    socket.on('message', (data, r) => this.got.push({ data, port: r.port }));
  }
  static async bind(host: string, port = 0): Promise<Service> {
    const socket = createSocket(host.includes(':') ? { type: 'udp6', ipv6Only: true } : { type: 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => resolve());
    });
    return new Service(socket);
  }
  get port(): number {
    return this.socket.address().port;
  }
  send(data: string, to: TransportAddress): void {
    this.socket.send(Buffer.from(data), to.port, to.address);
  }
  close(): Promise<void> {
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}

interface World {
  host: string;
  server: TurnServer;
  open(): Promise<{ conn: TestConn; client: TestTurnClient; relayed: TransportAddress }>;
  close(): Promise<void>;
}

async function world(host: string): Promise<World> {
  const server = new TurnServer({
    listen: [{ transport: 'udp', host, port: 0 }],
    users: { alice: 'secret' },
    relayIp: host,
  });
  await server.start();
  const port = server.addresses[0]?.port ?? 0;
  const conns: TestConn[] = [];
  return {
    host,
    server,
    async open() {
      const conn = await TestConn.open('udp', host, port);
      conns.push(conn);
      const client = new TestTurnClient(conn, 'alice', 'secret');
      const res = await client.request(StunMethod.Allocate, [
        { type: AttrType.RequestedTransport, value: 17 } as StunAttribute,
        // The relay is IPv6 only with relayIp ::1 (RFC 8656 §7.2: else 440).
        ...(host.includes(':')
          ? [{ type: AttrType.RequestedAddressFamily, value: AddressFamily.IPv6 } as StunAttribute]
          : []),
      ]);
      const relayed = res.get(AttrType.XorRelayedAddress);
      assert.ok(relayed !== undefined, `allocate: ${JSON.stringify(res.get(AttrType.ErrorCode))}`);
      assert.equal(relayed.address, host);
      return { conn, client, relayed };
    },
    async close() {
      for (const c of conns) c.close();
      await server.close();
    },
  };
}

const peerAttr = (a: TransportAddress): StunAttribute =>
  ({ type: AttrType.XorPeerAddress, value: { family: a.family, address: a.address, port: a.port } }) as StunAttribute;

const channelAttr = (n: number): StunAttribute => ({ type: AttrType.ChannelNumber, value: n }) as StunAttribute;

function sendIndication(conn: TestConn, to: TransportAddress, data: string): void {
  conn.send(
    encodeMessage({
      class: StunClass.Indication,
      method: StunMethod.Send,
      transactionId: createTransactionId(),
      attributes: [peerAttr(to), { type: AttrType.Data, value: Buffer.from(data) } as StunAttribute],
    }),
  );
}

const forbidden = (server: TurnServer): number => server.metrics.dropped.forbidden_peer ?? 0;

/**
 * Runs `act` and waits for the server's verdict: 'dropped' when it counted one more
 * forbidden-peer drop, 'delivered' when `arrived()` became true first.
 */
async function verdict(server: TurnServer, arrived: () => boolean, act: () => void): Promise<string> {
  const before = forbidden(server);
  act();
  return until('relay or drop', () => {
    if (arrived()) return 'delivered';
    return forbidden(server) > before ? 'dropped' : undefined;
  });
}

async function code(client: TestTurnClient, method: number, attributes: StunAttribute[]): Promise<number> {
  const res = await client.request(method, attributes);
  return res.class === StunClass.SuccessResponse ? 0 : (res.get(AttrType.ErrorCode)?.code ?? -1);
}

async function ipv6Loopback(): Promise<boolean> {
  try {
    const s = await Service.bind('::1');
    await s.close();
    return true;
  } catch {
    return false;
  }
}

const hosts: [string, string][] = [
  ['127.0.0.1', 'IPv4 (--host 127.0.0.1)'],
  ['::1', 'IPv6 (--relay-ip ::1)'],
];

for (const [host, label] of hosts) {
  const skip = host === '::1' && !(await ipv6Loopback()) ? 'no IPv6 loopback in this network namespace' : false;

  test(`${label}: a ChannelBind to its own relay opens no other port of the relay IP — Send, and datagrams back`, {
    skip,
  }, async () => {
    const w = await world(host);
    const service = await Service.bind(host);
    try {
      const a = await w.open();
      const target: TransportAddress = { family: a.relayed.family, address: host, port: service.port };
      // The policy refuses the IP (loopback): CreatePermission for it, at any port that is not a live relay, is 403.
      assert.equal(await code(a.client, StunMethod.CreatePermission, [peerAttr(target)]), 403);
      assert.equal(
        await code(a.client, StunMethod.CreatePermission, [peerAttr({ ...a.relayed, port: service.port })]),
        403,
      );
      // Its own relayed address is a live relay of this server: ChannelBind succeeds (RFC 8656 §12.2 then
      // installs a permission for the IP — a relay-only one).
      assert.equal(await code(a.client, StunMethod.ChannelBind, [channelAttr(0x4000), peerAttr(a.relayed)]), 0);

      // Send to the service's port on that IP: dropped, not delivered.
      assert.equal(
        await verdict(
          w.server,
          () => service.got.length > 0,
          () => sendIndication(a.conn, target, 'to a private service'),
        ),
        'dropped',
      );
      // The service writes to the relay: not passed on to the client as a Data indication.
      assert.equal(
        await verdict(
          w.server,
          () => a.conn.queued > 0,
          () => service.send('from a private service', a.relayed),
        ),
        'dropped',
      );
      // The channel to its own relay works: ChannelData out, back in as ChannelData.
      a.conn.send(encodeChannelData(0x4000, Buffer.from('loop')));
      const back = decodeChannelData(await a.conn.next(BOUND_MS));
      assert.equal(back.channel, 0x4000);
      assert.equal(Buffer.from(back.data).toString(), 'loop');
      assert.equal(service.got.length, 0);
    } finally {
      await service.close();
      await w.close();
    }
  });

  test(`${label}: two allocations relay to each other; once one is deleted its port is no peer any more`, {
    skip,
  }, async () => {
    const w = await world(host);
    let squatter: Service | undefined;
    try {
      const a = await w.open();
      const b = await w.open();
      assert.equal(await code(a.client, StunMethod.ChannelBind, [channelAttr(0x4001), peerAttr(b.relayed)]), 0);
      assert.equal(await code(b.client, StunMethod.CreatePermission, [peerAttr(a.relayed)]), 0);
      // a → b over the channel, b → a with a Send indication (back to a as ChannelData).
      a.conn.send(encodeChannelData(0x4001, Buffer.from('a to b')));
      const atB = decodeMessage(await b.conn.next(BOUND_MS));
      assert.equal(atB.method, StunMethod.Data);
      assert.deepEqual(atB.get(AttrType.XorPeerAddress), a.relayed);
      assert.equal(Buffer.from(atB.get(AttrType.Data) ?? []).toString(), 'a to b');
      sendIndication(b.conn, a.relayed, 'b to a');
      const atA = decodeChannelData(await a.conn.next(BOUND_MS));
      assert.equal(atA.channel, 0x4001);
      assert.equal(Buffer.from(atA.data).toString(), 'b to a');

      // b deletes its allocation (Refresh 0): the relay socket closes and its port is free.
      assert.equal(
        await code(b.client, StunMethod.Refresh, [{ type: AttrType.Lifetime, value: 0 } as StunAttribute]),
        0,
      );
      squatter = await Service.bind(host, b.relayed.port);
      const s = squatter;
      // a's channel and permission were for a relay that is gone: nothing reaches whoever holds the port now…
      assert.equal(
        await verdict(
          w.server,
          () => s.got.length > 0,
          () => a.conn.send(encodeChannelData(0x4001, Buffer.from('channel to a dead relay'))),
        ),
        'dropped',
      );
      assert.equal(
        await verdict(
          w.server,
          () => s.got.length > 0,
          () => sendIndication(a.conn, b.relayed, 'send to a dead relay'),
        ),
        'dropped',
      );
      // …and what it sends from there is not passed on to a.
      assert.equal(
        await verdict(
          w.server,
          () => a.conn.queued > 0,
          () => s.send('from the old relay port', a.relayed),
        ),
        'dropped',
      );
      // A new CreatePermission for that address is 403: it is no relay now.
      assert.equal(await code(a.client, StunMethod.CreatePermission, [peerAttr(b.relayed)]), 403);
    } finally {
      await squatter?.close();
      await w.close();
    }
  });
}
