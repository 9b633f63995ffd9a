/**
 * Interop, one way: itda's TURN client (`@itda/turn/client`) against coturn's
 * `turnserver`, over UDP, TCP and TLS, with static long-term and TURN REST credentials
 * (the REST ones made by itda's `restCredential`, so coturn also checks that helper).
 * Each case allocates, installs a permission, binds a channel, and moves 300 packets
 * each way through ChannelData and through Send/Data indications to UDP echo peers on
 * 127.0.0.1 — with no loss.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { isItdaError } from '@itda/common';
import { restCredential } from '@itda/turn';
import { type ClientTransportKind, TurnClient } from '@itda/turn/client';
import { type Coturn, coturnMissing, startCoturn } from './coturn.ts';
import { type EchoPeer, exchange, startEchoPeer } from './traffic.ts';

const missing = coturnMissing();
const REALM = 'itda';
const SECRET = 'coturn-rest-secret';

describe('itda TURN client against coturn', { skip: missing }, () => {
  let lt: Coturn;
  let rest: Coturn;
  let peerA: EchoPeer;
  let peerB: EchoPeer;

  before(async () => {
    // coturn takes static users or REST secrets, not both: one server each.
    [lt, rest, peerA, peerB] = await Promise.all([
      startCoturn({ auth: { users: { alice: 'wonderland' } }, realm: REALM, tls: true }),
      startCoturn({ auth: { secrets: [SECRET] }, realm: REALM, tls: true }),
      startEchoPeer(),
      startEchoPeer(),
    ]);
  });

  after(async () => {
    await Promise.all([lt?.close(), rest?.close(), peerA?.close(), peerB?.close()]);
  });

  const connect = (server: Coturn, transport: ClientTransportKind, username: string, password: string) =>
    TurnClient.connect(
      {
        transport,
        host: server.host,
        port: transport === 'tls' ? (server.tlsPort as number) : server.port,
        tls: { ca: readFileSync(server.certPath as string) },
      },
      { username, password, software: 'itda-interop' },
    );

  const credentials = (kind: 'long-term' | 'rest'): { server: Coturn; username: string; password: string } => {
    if (kind === 'long-term') return { server: lt, username: 'alice', password: 'wonderland' };
    const c = restCredential({ secret: SECRET, identity: 'ada', ttlSeconds: 3600 });
    return { server: rest, username: c.username, password: c.credential };
  };

  for (const kind of ['long-term', 'rest'] as const) {
    for (const transport of ['udp', 'tcp', 'tls'] as const) {
      test(`${transport}, ${kind} credentials: allocate, permission, channel, relay both ways without loss`, async () => {
        const { server, username, password } = credentials(kind);
        const client = await connect(server, transport, username, password);
        try {
          const binding = await client.binding();
          assert.equal(binding.mapped.address, '127.0.0.1');
          const allocation = await client.allocate({ lifetime: 1200 });
          assert.equal(allocation.relayed.address, '127.0.0.1');
          assert.ok(
            allocation.relayed.port >= server.relayPorts.min && allocation.relayed.port <= server.relayPorts.max,
          );
          assert.equal(allocation.lifetime, 1200); // RFC 8656 §7.2: min(requested, max), at least the default
          assert.equal(client.realm, REALM);
          await client.createPermission([peerB.address.address]);
          const channel = await client.channelBind(peerA.address);
          assert.equal(channel, 0x4000);

          const viaChannel = await exchange(client, (p) => client.sendChannel(channel, p), {
            peerPort: peerA.address.port,
            channel,
          });
          assert.deepEqual(viaChannel, { sent: 300, received: 300, corrupted: 0, misrouted: 0 });
          // peerB has a permission but no channel: Send indications out, Data indications back.
          const viaIndication = await exchange(client, (p) => client.send(peerB.address, p), {
            peerPort: peerB.address.port,
            channel: undefined,
          });
          assert.deepEqual(viaIndication, { sent: 300, received: 300, corrupted: 0, misrouted: 0 });
          assert.equal(client.stats.receivedIndications, 300);
          assert.equal(client.stats.receivedChannelData, 300);

          assert.equal(await client.refresh(600), 600);
          await client.channelBind(peerA.address, channel); // a rebind refreshes the binding
        } finally {
          await client.close();
        }
        assert.equal(client.allocation, undefined);
      });
    }
  }

  test('a wrong password ends in 401 after one retry with the realm and nonce', async () => {
    const client = await connect(lt, 'udp', 'alice', 'not-it');
    try {
      await assert.rejects(client.allocate(), (err) => {
        assert.ok(isItdaError(err, 'turn_client_unauthenticated'));
        assert.equal(err.stunCode, 401);
        return true;
      });
      assert.equal(client.stats.requests, 2);
    } finally {
      await client.close();
    }
  });

  test('an expired REST username is refused with 401', async () => {
    const expired = restCredential({ secret: SECRET, identity: 'ada', ttlSeconds: 60, now: Date.now() - 3_600_000 });
    const client = await connect(rest, 'tcp', expired.username, expired.credential);
    try {
      await assert.rejects(client.allocate(), (err) => isItdaError(err, 'turn_client_unauthenticated'));
    } finally {
      await client.close();
    }
  });
});
