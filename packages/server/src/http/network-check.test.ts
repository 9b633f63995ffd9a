/**
 * `GET /network-check` of a real server on loopback: the ICE servers a check gets (short
 * credentials, an identity of its own), who may ask (open rooms, or a room token), the
 * per-address limit, and the RFC 5780 other address of a TURN server elsewhere.
 */
import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { signRoomToken } from '@itda/signal';
import { parseRestUsername, TurnServer } from '@itda/turn';
import { startServer } from '../server.ts';
import {
  CHECK_BURST,
  CHECK_CREDENTIAL_TTL_S,
  CHECK_RATE_PER_MINUTE,
  NetworkCheck,
  type NetworkCheckAnswer,
} from './network-check.ts';

async function get(url: string, headers: Record<string, string> = {}): Promise<{ status: number; body: unknown }> {
  const res = await fetch(url, { headers });
  return { status: res.status, body: await res.json() };
}

test('a check gets the STUN and TURN of the embedded server, with credentials of its own that live two minutes', async () => {
  const server = await startServer({ port: 0, host: '127.0.0.1', turn: true, sfu: false, webDir: '/nonexistent' });
  try {
    const udp = server.turn?.addresses.find((a) => a.transport === 'udp')?.port;
    const { status, body } = await get(`${server.url}/network-check`);
    assert.equal(status, 200);
    const answer = body as NetworkCheckAnswer;
    assert.deepEqual(answer.stun, [`stun:127.0.0.1:${udp}`]);
    const turn = answer.iceServers.find((s) => s.username !== undefined);
    assert.ok(turn?.username !== undefined);
    const parsed = parseRestUsername(turn.username);
    assert.match(parsed?.identity ?? '', /^check_/);
    const left = (parsed?.expiresAt ?? 0) - Date.now() / 1000;
    assert.ok(left > 0 && left <= CHECK_CREDENTIAL_TTL_S + 1, `expires in ${left} s`);
    const post = await fetch(`${server.url}/network-check`, { method: 'POST' });
    assert.equal(post.status, 405);
  } finally {
    await server.close();
  }
});

test('with open rooms off a check needs a room token', async () => {
  const secret = 'network-check-secret';
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    turn: true,
    sfu: false,
    openRooms: false,
    jwtSecrets: [secret],
    webDir: '/nonexistent',
  });
  try {
    const url = `${server.url}/network-check`;
    const none = await get(url);
    assert.equal(none.status, 401);
    assert.deepEqual((none.body as { error: { code: string } }).error.code, 'unauthorized');
    const bad = await get(url, { authorization: 'Bearer not.a.token' });
    assert.equal((bad.body as { error: { code: string } }).error.code, 'invalid_token');
    const token = signRoomToken(secret, { room: 'r', identity: 'ada', ttlSeconds: 60 });
    const good = await get(url, { authorization: `Bearer ${token}` });
    assert.equal(good.status, 200);
  } finally {
    await server.close();
  }
});

test('a TURN server elsewhere in RFC 5780 mode: the check also gets its other address', async () => {
  const turn = new TurnServer({
    listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
    relayIp: '127.0.0.1',
    rfc5780: { alternateIp: '127.0.0.2' },
    secrets: ['shared'],
  });
  await turn.start();
  const port = turn.addresses[0]?.port as number;
  const other = turn.addresses.find((a) => a.host === '127.0.0.2' && a.port !== port);
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    turn: false,
    sfu: false,
    turnHost: '127.0.0.1',
    turnPort: port,
    turnSecrets: ['shared'],
    webDir: '/nonexistent',
  });
  try {
    const answer = (await get(`${server.url}/network-check`)).body as NetworkCheckAnswer;
    assert.deepEqual(answer.stun, [`stun:127.0.0.1:${port}`, `stun:127.0.0.2:${other?.port}`]);
  } finally {
    await server.close();
    await turn.close();
  }
});

test('beyond the burst a source address gets 429 rate_limited, and after a pause checks again', async () => {
  let now = 0;
  const check = new NetworkCheck({ iceServers: () => [], openRooms: true, now: () => now });
  const http = createServer((req, res) => void check.handle(req, res));
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  try {
    const url = `http://127.0.0.1:${(http.address() as AddressInfo).port}/network-check`;
    const statuses = await Promise.all(Array.from({ length: CHECK_BURST + 3 }, async () => (await get(url)).status));
    assert.deepEqual(statuses.sort(), [...Array(CHECK_BURST).fill(200), ...Array(3).fill(429)]);
    const limited = await fetch(url);
    assert.equal(limited.headers.get('retry-after'), '10');
    assert.equal(((await limited.json()) as { error: { code: string } }).error.code, 'rate_limited');
    now += 60_000 / CHECK_RATE_PER_MINUTE;
    assert.equal((await get(url)).status, 200);
  } finally {
    http.close();
  }
});
