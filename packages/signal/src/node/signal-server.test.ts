import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { CloseCode, ErrorCode } from '@itda/protocol';
import { SignalServer } from './signal-server.ts';
import { TestClient } from './test-client.ts';

let http: Server;
let signal: SignalServer;
let url: string;
const clients: TestClient[] = [];

async function connect(): Promise<TestClient> {
  const c = await TestClient.connect(url);
  clients.push(c);
  return c;
}

before(async () => {
  http = createServer((_req, res) => res.writeHead(404).end());
  signal = new SignalServer({ maxMessageBytes: 2048, resumeGraceMs: 2_000 });
  signal.attach(http);
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(http.address() as AddressInfo).port}/ws`;
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await signal.close();
  await new Promise<void>((resolve) => http.close(() => resolve()));
});

test('ws adapter: join, relay, soft and hard size limits, binary frames', async () => {
  const a = await connect();
  const b = await connect();
  const ja = await a.join('adapter', 'A');
  const jb = await b.join('adapter', 'B');
  assert.equal((await a.next('participant-joined')).participant.id, jb.participantId);
  a.send({ type: 'offer', to: jb.participantId, sdp: 'v=0' });
  assert.deepEqual(await b.next('offer'), { type: 'offer', from: ja.participantId, sdp: 'v=0' });

  b.send(Buffer.from([1, 2, 3]));
  assert.equal((await b.next('error')).code, ErrorCode.BadMessage);
  b.send(JSON.stringify({ type: 'ping', pad: 'x'.repeat(3000) }));
  assert.equal((await b.next('error')).code, ErrorCode.MessageTooLarge);
  b.send({ type: 'ping', ts: 1 });
  assert.deepEqual(await b.next('pong'), { type: 'pong', ts: 1 });

  b.send('x'.repeat(4 * 2048 + 1));
  assert.equal((await b.closed()).code, CloseCode.MessageTooBig);
  assert.equal(signal.core.metrics.errors.get('message_too_big'), 1);
  a.send({ type: 'ping' });
  await a.next('pong');
});

test('ws adapter: dropConnection cuts the socket, resume on a new one restores the session', async () => {
  const a = await connect();
  const b = await connect();
  await a.join('cut', 'A');
  const jb = await b.join('cut', 'B');
  await a.next('participant-joined');
  assert.equal(signal.dropConnection(jb.participantId), true);
  const closed = await b.closed();
  assert.equal(closed.code, 1006, 'no close frame: abnormal closure');
  const b2 = await connect();
  b2.send({ type: 'resume', v: 1, room: 'cut', participantId: jb.participantId, resumeToken: jb.resumeToken });
  assert.equal((await b2.next('resumed')).participantId, jb.participantId);
  assert.equal(await a.quiet('participant-left', 50), true);
  assert.equal(signal.dropConnection('p_nobody'), false);
});

test('ws adapter: other upgrade paths get 404', async () => {
  await assert.rejects(TestClient.connect(url.replace('/ws', '/other')), /404/);
});
