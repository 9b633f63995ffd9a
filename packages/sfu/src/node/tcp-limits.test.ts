/**
 * The ICE-TCP port's limits against a real RtcServer on loopback (issue 10, hole 4): a
 * source that opens connections and sends only `ff ff` (a frame header that never ends)
 * is capped, and its connections are closed at the handshake deadline, while participants
 * from another address connect over ICE-TCP and their media flows throughout.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, test } from 'node:test';
import { handlesLeft, withTimeout } from '@itda/common/node-testing';
import { SfuHarness, type TestParticipant, type TestPeer } from '../testing/index.ts';

/** Generous bound for what the test waits on (a busy CI machine); never a speed assertion. */
const WAIT_MS = 20_000;

let h: SfuHarness;

before(async () => {
  h = await SfuHarness.start({ tcpLimits: { maxPerSource: 3, handshakeTimeoutMs: 1_000 } });
});

after(async () => {
  await h.close();
  // Leak check: no socket is left (handles finish closing within a few turns).
  assert.deepEqual(await handlesLeft(/UDP|TCP/, 1000), []);
});

const within = <T>(p: Promise<T>, what: string): Promise<T> => withTimeout(p, WAIT_MS, what);

/** A connection from `localAddress` that sends `ff ff` and nothing more. */
async function stall(localAddress: string): Promise<{ socket: Socket; closed: Promise<void> }> {
  const port = h.server.tcpPort;
  assert.ok(port !== undefined);
  const socket = connect({ host: '127.0.0.1', port, localAddress });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(Buffer.from([0xff, 0xff]));
  return { socket, closed };
}

function peerOf(p: TestPeer | undefined): TestPeer {
  assert.ok(p);
  return p;
}

let seq = 0;
/** Sends tagged video packets and waits until the subscriber has them all. */
async function flows(from: TestParticipant, to: TestParticipant, count = 10): Promise<void> {
  const v = from.published.find((t) => t.kind === 'video');
  assert.ok(v);
  const tag = 0x5000 + seq;
  const pub = peerOf(from.publisher);
  for (let i = 0; i < count; i++) {
    const payload = Buffer.alloc(200, i);
    payload.writeUInt32BE(tag, 0);
    pub.sendRtp({ ssrc: v.ssrc, payloadType: 96, sequenceNumber: ++seq, timestamp: tag * 3000, payload });
  }
  const track = to.trackFrom(from.id, 'video');
  assert.ok(track);
  const sub = peerOf(to.subscriber);
  await sub.waitFor(
    () => sub.rtpOf(track.ssrc).filter((p) => p.payload.readUInt32BE(0) === tag).length === count,
    WAIT_MS,
    `${count} packets ${from.id} → ${to.id}`,
  );
}

test('ICE-TCP: one source is capped and its stalled connections closed; others connect and their media flows', async () => {
  const guard = h.server.tcpGuard;
  assert.ok(guard);
  // A participant over ICE-TCP from 127.0.0.1, connected before the stalls begin.
  const alice = h.join('alice', { room: 'r', protocol: 'tcp', canSubscribe: false });
  await alice.publish();
  const stalls = [await stall('127.0.0.2'), await stall('127.0.0.2'), await stall('127.0.0.2')];
  const over = await stall('127.0.0.2');
  await within(over.closed, 'a fourth connection from one source refused');
  assert.equal(guard.stats.refused.source_limit, 1);
  // Another participant still gets in over ICE-TCP from its own address.
  const bob = h.join('bob', { room: 'r', protocol: 'tcp', canPublish: false });
  await within(bob.idle(), 'bob subscribed');
  await flows(alice, bob);
  // The stalls never pass a connectivity check: closed at the deadline, trickling or not.
  const trickle = setInterval(() => stalls[0]?.socket.write(Buffer.from([0xff])), 100);
  try {
    await within(Promise.all(stalls.map((s) => s.closed)), 'stalled connections closed');
  } finally {
    clearInterval(trickle);
  }
  assert.equal(guard.stats.closed.handshake_timeout, 3);
  // One more stall, opened after bob's connection: once it is closed, bob's deadline has
  // passed too, and the verified connections stay.
  const late = await stall('127.0.0.3');
  await within(late.closed, 'a later stalled connection closed');
  assert.equal(guard.stats.closed.handshake_timeout, 4);
  await flows(alice, bob);
  assert.equal(guard.open, 2);
});
