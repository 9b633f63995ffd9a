/**
 * `checkNat` over real UDP sockets against itda's TURN server on loopback: in RFC 5780
 * mode (127.0.0.1 and 127.0.0.2; no NAT on loopback, so the mapping is "none" and every
 * answer gets in), without it, and with nothing listening.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { test } from 'node:test';
import { TurnServer } from '../node/turn-server.ts';
import { checkNat } from './nat-probe-udp.ts';

test('RFC 5780 server on loopback: no NAT, endpoint-independent filtering, direct calls', async () => {
  const server = new TurnServer({
    listen: [{ transport: 'udp', host: '127.0.0.1', port: 0 }],
    relayIp: '127.0.0.1',
    rfc5780: { alternateIp: '127.0.0.2' },
  });
  await server.start();
  try {
    const port = server.addresses[0]?.port as number;
    const r = await checkNat({ address: '127.0.0.1', port }, { timeoutMs: 2000 });
    assert.equal(r.udp, true);
    assert.equal(r.rfc5780, true);
    assert.equal(r.local.address, '127.0.0.1');
    assert.deepEqual(r.mapped, r.local);
    assert.equal(r.mapping, 'none');
    assert.equal(r.filtering, 'endpoint-independent');
    assert.equal(r.direct, 'yes');
  } finally {
    await server.close();
  }
});

test('a server without RFC 5780 (by name): the mapped address and how to turn discovery on', async () => {
  // Listen where this machine's resolver sends `localhost` (127.0.0.1 or ::1).
  const { address } = await lookup('localhost');
  const server = new TurnServer({ listen: [{ transport: 'udp', host: address, port: 0 }], relayIp: address });
  await server.start();
  try {
    const port = server.addresses[0]?.port as number;
    const r = await checkNat({ address: 'localhost', port }, { timeoutMs: 2000 });
    assert.equal(r.udp, true);
    assert.equal(r.rfc5780, false);
    assert.deepEqual(r.server, { address, port });
    assert.equal(r.direct, 'unknown');
    assert.match(r.summary, /itda turn --rfc5780/);
  } finally {
    await server.close();
  }
});

test('nothing answers: udp false after the timeout, in words', async () => {
  // A bound socket that never answers: the port is certainly ours and silent.
  const silent = createSocket('udp4');
  await new Promise<void>((resolve) => silent.bind(0, '127.0.0.1', resolve));
  try {
    const port = silent.address().port;
    const r = await checkNat({ address: '127.0.0.1', port }, { timeoutMs: 300, rtoMs: 50 });
    assert.equal(r.udp, false);
    assert.equal(r.direct, 'relay');
    assert.match(r.summary, new RegExp(`No answer over UDP from 127\\.0\\.0\\.1:${port}`));
  } finally {
    silent.close();
  }
});
