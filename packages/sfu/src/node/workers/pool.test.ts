/**
 * MediaWorkerPool over real loopback sockets: RTP handed to a worker arrives encrypted
 * from the server's port, in order and decryptable; what the client sends back reaches
 * the main thread through the worker's connected socket while other clients still reach
 * the main socket; backpressure drops are counted; a worker that ends hands its
 * transports back (sendRtp → false) and is replaced.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { after, before, test } from 'node:test';
import { tupleKey } from '../../ice/index.ts';
import { SrtpSession } from '../../srtp/index.ts';
import { buildRtp } from '../../testing/rtp.ts';
import { bindSharedUdp, RtcServer } from '../rtc-server.ts';
import { MediaWorkerPool } from './pool.ts';

const key = randomBytes(16);
const salt = randomBytes(12);
const profile = 'SRTP_AEAD_AES_128_GCM' as const;
let server: Socket;
let serverPort: number;
let pool: MediaWorkerPool;
const viaWorkers: { data: Buffer; port: number }[] = [];
const viaMain: { data: Buffer; port: number }[] = [];

const clients = new Set<Socket>();

/** A client socket; a 4 MiB receive buffer takes a whole burst even when the test's thread is slow to read. */
async function udp(): Promise<Socket> {
  const s = createSocket({ type: 'udp4' });
  await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
  s.setRecvBufferSize(4 * 1024 * 1024);
  clients.add(s);
  s.once('close', () => clients.delete(s));
  return s;
}

function rtp(seq: number, ssrc: number, fill: number): Buffer {
  return buildRtp({
    ssrc,
    payloadType: 96,
    sequenceNumber: seq & 0xffff,
    timestamp: (seq * 3000) >>> 0,
    payload: Buffer.alloc(200, fill),
  });
}

async function waitFor(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((r) => setTimeout(r, 5));
  }
}

function client(s: Socket): { port: number; tuple: { protocol: 'udp'; address: string; port: number; key: string } } {
  const port = s.address().port;
  return { port, tuple: { protocol: 'udp', address: '127.0.0.1', port, key: tupleKey('udp', '127.0.0.1', port) } };
}

before(async () => {
  server = await bindSharedUdp(4, '127.0.0.1', 0);
  serverPort = server.address().port;
  server.on('message', (data, rinfo) => viaMain.push({ data, port: rinfo.port }));
  pool = await MediaWorkerPool.start({
    workers: 2,
    host: '127.0.0.1',
    port: serverPort,
    onDatagram: (data, _address, port) => viaWorkers.push({ data, port }),
  });
});

after(async () => {
  for (const c of clients) {
    try {
      c.close();
    } catch {
      // Closed by its test already.
    }
  }
  await pool.close();
  server.close();
});

test('RTP leaves from the server port, encrypted, in order, and the egress is freed on close', async () => {
  const a = await udp();
  const rx = SrtpSession.create({ profile, masterKey: key, masterSalt: salt });
  const got: Buffer[] = [];
  let fromPort = -1;
  a.on('message', (msg, rinfo) => {
    fromPort = rinfo.port;
    got.push(rx.unprotectRtp(msg));
  });
  const egress = pool.open({ tuple: client(a).tuple, profile, key, salt });
  assert.ok(egress);
  for (let i = 0; i < 300; i++) {
    assert.equal(egress.sendRtp(rtp(65_400 + i, 0x1234, i & 0xff)), true);
    if (i % 50 === 49) await new Promise<void>((r) => setTimeout(r, 2));
  }
  await waitFor(() => got.length === 300, `300 packets (${got.length})`);
  assert.equal(fromPort, serverPort, 'the source port is the server port');
  for (let i = 0; i < 300; i++)
    assert.equal(got[i]?.readUInt16BE(2), (65_400 + i) & 0xffff, 'in order across the wrap');
  assert.equal(pool.stats().transports, 1);
  egress.close();
  egress.close();
  await waitFor(() => pool.stats().transports === 0, 'the slot freed');
  assert.equal(egress.sendRtp(rtp(1, 1, 1)), false, 'a closed egress takes nothing');
  a.close();
});

test('datagrams to the shared port reach the main thread once each, every flow in order, whichever socket the kernel chose', async () => {
  const clients = await Promise.all(Array.from({ length: 12 }, () => udp()));
  viaMain.length = 0;
  viaWorkers.length = 0;
  for (let round = 0; round < 40; round++) {
    for (const c of clients) c.send(Buffer.from(`${round}`), serverPort, '127.0.0.1');
    if (round % 10 === 9) await new Promise<void>((r) => setTimeout(r, 2));
  }
  await waitFor(() => viaMain.length + viaWorkers.length === 12 * 40, 'all 480 datagrams');
  const flows = new Map<number, { via: Set<string>; seq: number[] }>();
  for (const [via, list] of [
    ['main', viaMain],
    ['worker', viaWorkers],
  ] as const) {
    for (const d of list) {
      const f = flows.get(d.port) ?? { via: new Set<string>(), seq: [] };
      f.via.add(via);
      f.seq.push(Number(d.data.toString()));
      flows.set(d.port, f);
    }
  }
  assert.equal(flows.size, 12);
  for (const [port, f] of flows) {
    assert.equal(f.via.size, 1, `flow ${port} used one socket`);
    assert.deepEqual(
      f.seq,
      Array.from({ length: 40 }, (_, i) => i),
      `flow ${port} in order`,
    );
  }
  assert.ok(viaWorkers.length > 0, 'the workers’ sockets took some flows (SO_REUSEPORT hashing)');
  for (const c of clients) c.close();
});

test('the egress follows a new tuple (ICE re-nomination); the stream continues there', async () => {
  const a = await udp();
  const c = await udp();
  const rx = SrtpSession.create({ profile, masterKey: key, masterSalt: salt });
  const at: Record<string, number> = { a: 0, c: 0 };
  a.on('message', (m) => {
    rx.unprotectRtp(m);
    at.a = (at.a ?? 0) + 1;
  });
  c.on('message', (m) => {
    rx.unprotectRtp(m);
    at.c = (at.c ?? 0) + 1;
  });
  const egress = pool.open({ tuple: client(a).tuple, profile, key, salt });
  assert.ok(egress);
  for (let i = 0; i < 10; i++) egress.sendRtp(rtp(i, 0x99, 1));
  await waitFor(() => at.a === 10, 'a');
  egress.setTuple(client(c).tuple);
  for (let i = 10; i < 20; i++) egress.sendRtp(rtp(i, 0x99, 1));
  await waitFor(() => at.c === 10, 'c');
  assert.equal(at.a, 10);
  assert.equal(at.c, 10);
  egress.close();
  a.close();
  c.close();
});

test('a worker more than maxQueuedBytes behind gets no more packets: dropped and counted', async () => {
  const small = await MediaWorkerPool.start({
    workers: 1,
    host: '127.0.0.1',
    port: serverPort,
    maxQueuedBytes: 1000,
    onDatagram: () => {},
  });
  try {
    const a = await udp();
    const egress = small.open({ tuple: client(a).tuple, profile, key, salt });
    assert.ok(egress);
    // One event-loop turn: the first packet fills the 1,000-byte budget, the other nine are dropped.
    for (let i = 0; i < 10; i++) assert.equal(egress.sendRtp(Buffer.concat([rtp(i, 5, 0), Buffer.alloc(1000)])), true);
    assert.equal(small.stats().backpressureDrops, 9);
    egress.close();
    a.close();
  } finally {
    await small.close();
  }
});

test('a worker that ends gives its transports back to the main thread and is replaced', async () => {
  const a = await udp();
  const first = pool.open({ tuple: client(a).tuple, profile, key, salt });
  const second = pool.open({ tuple: client(a).tuple, profile, key, salt });
  assert.ok(first && second);
  await pool.restartWorker(0);
  await pool.restartWorker(1);
  assert.equal(first.sendRtp(rtp(1, 1, 1)), false, 'its worker is gone: send locally');
  assert.equal(second.sendRtp(rtp(1, 1, 1)), false);
  assert.equal(pool.size, 2, 'both replaced');
  assert.equal(pool.stats().crashes, 2);
  const rx = SrtpSession.create({ profile, masterKey: key, masterSalt: salt });
  let n = 0;
  a.on('message', (m) => {
    rx.unprotectRtp(m);
    n++;
  });
  const third = pool.open({ tuple: client(a).tuple, profile, key, salt });
  assert.ok(third);
  assert.equal(third.sendRtp(rtp(7, 0x77, 7)), true);
  await waitFor(() => n === 1, 'a packet from the new worker');
  third.close();
  first.close();
  second.close();
  a.close();
});

test('RtcServer.listen refuses a media worker count outside 0 … 64 before binding anything', async () => {
  for (const mediaWorkers of [-1, 1.5, 65]) {
    await assert.rejects(
      RtcServer.listen({ host: '127.0.0.1', udpPort: serverPort, tcpPort: false, mediaWorkers }),
      (err: unknown) => err instanceof RangeError && /mediaWorkers/.test(err.message),
    );
  }
  await assert.rejects(
    MediaWorkerPool.start({ workers: 0, host: '127.0.0.1', port: serverPort }),
    (err: unknown) => err instanceof RangeError,
  );
});

test('workers on the wildcard beside a socket on 127.0.0.1: datagrams to 127.0.0.1 reach that socket, the workers drop the rest (stray)', async () => {
  const own = await bindSharedUdp(4, '127.0.0.1', 0);
  const ownPort = own.address().port;
  const got: string[] = [];
  own.on('message', (m) => got.push(m.toString()));
  const apart = await MediaWorkerPool.start({ workers: 2, host: '0.0.0.0', port: ownPort });
  try {
    const c = await udp();
    for (let i = 0; i < 20; i++) c.send(Buffer.from(`to-own-${i}`), ownPort, '127.0.0.1');
    c.send(Buffer.from('elsewhere'), ownPort, '127.0.0.2');
    await waitFor(() => got.length === 20 && apart.stats().stray === 1, 'all 20 on the specific socket, one stray');
    assert.equal(apart.stats().received, 0, 'nothing handed back');
    c.close();
  } finally {
    await apart.close();
    own.close();
  }
});
