/**
 * Bad input and faults against a real RtcServer on 127.0.0.1 (issue #4's list): unknown
 * SSRCs; malformed and truncated RTP, RTCP, STUN and DTLS; SRTP with a bad tag or
 * replayed; a DTLS client with the wrong certificate; packets from an address no check
 * verified; a participant that vanishes (consent freshness, RFC 7675); ICE restart.
 * Every drop shows in `RtcServer.stats.drops` under a stable code, and a second
 * publisher → subscriber pair in another room keeps receiving media throughout.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { connect } from 'node:net';
import { after, before, test } from 'node:test';
import { ManualClock } from '@itda/common';
import { AttrType, attr, createTransactionId, encodeMessage, StunClass, StunMethod, shortTermKey } from '@itda/stun';
import { createDtlsCertificate } from '../dtls/index.ts';
import { frameTcp } from '../ice/index.ts';
import { buildRtp, type PublishTrackSpec, SfuHarness, type TestParticipant, type TestPeer } from '../testing/index.ts';

const CONSENT_MS = 10_000;
const clock = new ManualClock(5_000_000);
let h: SfuHarness;
let pat: TestParticipant;
let sam: TestParticipant;
let alice: TestParticipant;
let bob: TestParticipant;
let raw: Socket;
let tag = 0x1000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

before(async () => {
  h = await SfuHarness.start({ clock, consentTimeoutMs: CONSENT_MS });
  // The control pair, in a room of its own.
  pat = h.join('pat', { room: 'control', canSubscribe: false });
  sam = h.join('sam', { room: 'control', canPublish: false });
  await pat.publish({ audio: false });
  await sam.idle();
  // The room where things go wrong.
  alice = h.join('alice', { room: 'faults', canSubscribe: false });
  bob = h.join('bob', { room: 'faults', canPublish: false });
  await alice.publish();
  await bob.idle();
  raw = createSocket('udp4');
  await new Promise<void>((r) => raw.bind(0, '127.0.0.1', () => r()));
});

after(async () => {
  await new Promise<void>((r) => raw.close(() => r()));
  await h.close();
});

function peerOf(p: TestPeer | undefined): TestPeer {
  assert.ok(p);
  return p;
}

function videoOf(p: TestParticipant): PublishTrackSpec {
  const v = p.published.find((t) => t.kind === 'video');
  assert.ok(v);
  return v;
}

/** Sends `count` tagged video packets from `from` and waits until `to` has them all. */
async function flows(from: TestParticipant, to: TestParticipant, count = 10): Promise<void> {
  const v = videoOf(from);
  const t = ++tag;
  const pub = peerOf(from.publisher);
  for (let i = 0; i < count; i++) {
    const payload = Buffer.alloc(200, i);
    payload.writeUInt32BE(t, 0);
    pub.sendRtp({ ssrc: v.ssrc, payloadType: 96, sequenceNumber: nextSeq(v.ssrc), timestamp: t * 3000, payload });
  }
  const track = to.trackFrom(from.id, 'video');
  assert.ok(track, `${to.id} subscribes to ${from.id}'s video`);
  const sub = peerOf(to.subscriber);
  await sub.waitFor(
    () => sub.rtpOf(track.ssrc).filter((p) => p.payload.readUInt32BE(0) === t).length === count,
    3000,
    `${count} packets ${from.id} → ${to.id}`,
  );
}

const seqs = new Map<number, number>();
function nextSeq(ssrc: number): number {
  const s = ((seqs.get(ssrc) ?? 1000) + 1) & 0xffff;
  seqs.set(ssrc, s);
  return s;
}

function drops(code: string): number {
  return h.server.stats.drops.get(code) ?? 0;
}

async function dropped(code: string, before: number, n = 1): Promise<void> {
  const deadline = Date.now() + 2000;
  while (drops(code) < before + n) {
    if (Date.now() > deadline) {
      assert.fail(`expected ${n} more ${code} drop(s); drops: ${JSON.stringify([...h.server.stats.drops])}`);
    }
    await sleep(5);
  }
  assert.equal(drops(code), before + n, code);
}

function rawSend(bytes: Uint8Array): void {
  raw.send(bytes, h.server.udpPort, '127.0.0.1');
}

test('both pairs carry media to begin with', async () => {
  await flows(pat, sam);
  await flows(alice, bob);
  assert.equal(h.server.stats.drops.size, 0, JSON.stringify([...h.server.stats.drops]));
});

test('RTP of an SSRC the publisher never declared: unknown_ssrc, nothing forwarded', async () => {
  const before = drops('unknown_ssrc');
  const forwarded = h.server.stats.forwarded;
  const pub = peerOf(alice.publisher);
  for (let i = 0; i < 3; i++) {
    pub.sendRtp({ ssrc: 0x0bad_55c0 + i, payloadType: 96, sequenceNumber: i, timestamp: 0, payload: Buffer.alloc(10) });
  }
  await dropped('unknown_ssrc', before, 3);
  assert.equal(h.server.stats.forwarded, forwarded);
  await flows(pat, sam);
});

test('SRTP with a bad tag, truncated, replayed or too short to be RTP: dropped with SRTP codes, the transport stays', async () => {
  const pub = peerOf(alice.publisher);
  const v = videoOf(alice);
  const packet = pub.protectRtp(
    buildRtp({
      ssrc: v.ssrc,
      payloadType: 96,
      sequenceNumber: nextSeq(v.ssrc),
      timestamp: 1,
      payload: Buffer.alloc(50),
    }),
  );
  const auth = drops('srtp_auth_failed');
  const badTag = Buffer.from(packet);
  badTag[badTag.length - 1] = (badTag[badTag.length - 1] ?? 0) ^ 0x01;
  pub.sendRaw(badTag);
  await dropped('srtp_auth_failed', auth);
  pub.sendRaw(packet.subarray(0, packet.length - 4)); // truncated tag
  await dropped('srtp_auth_failed', auth, 2);
  const replayed = drops('srtp_replayed');
  pub.sendRaw(packet);
  pub.sendRaw(packet);
  await dropped('srtp_replayed', replayed);
  // Too short for an SRTP packet, or an RTP header that ends past the packet (15 CSRCs in 24 bytes,
  // an extension of 200 words in 36): srtp_too_short or srtp_bad_header, whichever check sees it first.
  const short = drops('srtp_too_short') + drops('srtp_bad_header');
  pub.sendRaw(Buffer.from([0x80, 0x60, 0x00, 0x01, 0, 0, 0, 0]));
  pub.sendRaw(Buffer.from([0x80]));
  pub.sendRaw(Buffer.from([0x8f, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, ...Buffer.alloc(12, 7)]));
  pub.sendRaw(Buffer.from([0x90, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 0xbe, 0xde, 0, 200, ...Buffer.alloc(20, 7)]));
  await pub.waitFor(() => drops('srtp_too_short') + drops('srtp_bad_header') === short + 4, 2000, 'four drops');
  assert.ok(drops('srtp_bad_header') >= 1);
  assert.equal(alice.publisher?.connected, true);
  await flows(alice, bob);
  await flows(pat, sam);
});

test('SRTCP truncated, with a bad tag, or carrying malformed RTCP: dropped and counted', async () => {
  const pub = peerOf(alice.publisher);
  const sr = pub.protectRtcp(
    Buffer.from([0x80, 0xc9, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01]), // an empty RR
  );
  const srtcpShort = drops('srtp_too_short');
  pub.sendRaw(Buffer.from([0x80, 0xc8, 0x00, 0x06, 1, 2, 3, 4]));
  await dropped('srtp_too_short', srtcpShort);
  const auth = drops('srtp_auth_failed');
  const bad = Buffer.from(sr);
  bad[bad.length - 1] = (bad[bad.length - 1] ?? 0) ^ 0x80;
  pub.sendRaw(bad);
  await dropped('srtp_auth_failed', auth);
  const malformed = drops('rtcp_malformed');
  // A receiver report that claims 7 words but has 1; then a NACK with no FCI.
  pub.sendRaw(pub.protectRtcp(Buffer.from([0x80, 0xc9, 0x00, 0x07, 0x00, 0x00, 0x00, 0x01])));
  pub.sendRaw(pub.protectRtcp(Buffer.from([0x81, 0xcd, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01])));
  await dropped('rtcp_malformed', malformed, 2);
  await flows(alice, bob);
});

test('malformed STUN, STUN that is not a request, unknown ufrag, unknown first byte: dropped and counted', async () => {
  const stun = drops('stun_malformed');
  rawSend(Buffer.alloc(20)); // no magic cookie
  const truncated = Buffer.from(
    encodeMessage({
      class: StunClass.Request,
      method: StunMethod.Binding,
      transactionId: createTransactionId(),
      attributes: [],
    }),
  );
  truncated.writeUInt16BE(64, 2); // claims 64 attribute bytes it does not have
  rawSend(truncated);
  await dropped('stun_malformed', stun, 2);
  const unexpected = drops('stun_unexpected');
  rawSend(
    encodeMessage({
      class: StunClass.Indication,
      method: StunMethod.Binding,
      transactionId: createTransactionId(),
      attributes: [],
    }),
  );
  await dropped('stun_unexpected', unexpected);
  const unknown = drops('ice_unknown_ufrag');
  rawSend(
    encodeMessage(
      {
        class: StunClass.Request,
        method: StunMethod.Binding,
        transactionId: createTransactionId(),
        attributes: [attr(AttrType.Username, 'NoSuchUfrag00000:x'), attr(AttrType.IceControlling, 1n)],
      },
      { integrityKey: shortTermKey('x'.repeat(32)), fingerprint: true },
    ),
  );
  await dropped('ice_unknown_ufrag', unknown);
  const pub = peerOf(alice.publisher);
  const weird = drops('unknown_packet');
  pub.sendRaw(Buffer.from([0x50, 1, 2, 3])); // 64–127: neither DTLS nor RTP (RFC 7983)
  pub.sendRaw(Buffer.from([0xff, 0xff]));
  await dropped('unknown_packet', weird, 2);
  await flows(alice, bob);
});

test('a check signed with the wrong password is answered 401 and verifies nothing', async () => {
  const server = peerOf(alice.publisher).remote;
  assert.ok(server);
  const before = drops('unverified_tuple');
  let answers = 0;
  const onMessage = (msg: Buffer) => {
    if (msg[0] === 0x01 && msg[1] === 0x11) answers++; // Binding error response
  };
  raw.on('message', onMessage);
  rawSend(
    encodeMessage(
      {
        class: StunClass.Request,
        method: StunMethod.Binding,
        transactionId: createTransactionId(),
        attributes: [
          attr(AttrType.Username, `${server.ice.ufrag}:${peerOf(alice.publisher).ice.ufrag}`),
          attr(AttrType.IceControlling, 1n),
          attr(AttrType.UseCandidate, true),
          attr(AttrType.Priority, 1),
        ],
      },
      { integrityKey: shortTermKey('WrongPassword0000000000000000000'), fingerprint: true },
    ),
  );
  const deadline = Date.now() + 2000;
  while (answers === 0 && Date.now() < deadline) await sleep(5);
  raw.off('message', onMessage);
  assert.equal(answers, 1, '401');
  rawSend(Buffer.from([0x80, 0x60, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9, 9]));
  await dropped('unverified_tuple', before);
  await flows(alice, bob);
});

test('packets from an address no check verified are dropped (unverified_tuple), UDP and ICE-TCP', async () => {
  const pub = peerOf(alice.publisher);
  const v = videoOf(alice);
  const before = drops('unverified_tuple');
  const forwarded = h.server.stats.forwarded;
  // A valid SRTP packet of alice's, and a DTLS record, from another socket: the SRTP keys do not make an address.
  const srtp = pub.protectRtp(
    buildRtp({
      ssrc: v.ssrc,
      payloadType: 96,
      sequenceNumber: nextSeq(v.ssrc),
      timestamp: 1,
      payload: Buffer.alloc(20),
    }),
  );
  rawSend(srtp);
  rawSend(Buffer.from([0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]));
  await dropped('unverified_tuple', before, 2);
  const tcpPort = h.server.tcpPort;
  assert.ok(tcpPort !== undefined);
  const socket = connect({ host: '127.0.0.1', port: tcpPort });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  socket.write(frameTcp(srtp));
  socket.write(Buffer.from([0x00, 0x40, 0x80])); // the start of a frame that never ends
  await dropped('unverified_tuple', before, 3);
  await new Promise<void>((r) => {
    socket.once('close', () => r());
    socket.destroy();
  });
  await sleep(20);
  assert.equal(h.server.stats.forwarded, forwarded, 'nothing forwarded from them');
  await flows(alice, bob);
  await flows(pat, sam);
});

test('garbage DTLS records on a connected transport are dropped (dtls_malformed) and do not end it', async () => {
  const pub = peerOf(alice.publisher);
  const malformed = drops('dtls_malformed');
  pub.sendRaw(Buffer.from([0x16, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 5, 0, 3, 1, 2])); // epoch 0 handshake, truncated
  pub.sendRaw(Buffer.from([0x15, 0xfe, 0xfd])); // a truncated record header
  // An unauthenticated (epoch 0) fatal alert after the handshake: anyone could forge it (RFC 6347 §4.1.2.7).
  pub.sendRaw(Buffer.from([0x15, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 2, 2, 40]));
  await dropped('dtls_malformed', malformed, 3);
  // Application data with a bad MAC: discarded (werift does not report it, so it is not counted).
  pub.sendRaw(Buffer.from([0x17, 0xfe, 0xfd, 0, 1, 0, 0, 0, 0, 0, 9, 0, 40, ...Buffer.alloc(40, 3)]));
  await sleep(30);
  assert.equal(pub.connected, true);
  await flows(alice, bob);
});

test('a DTLS client with the wrong certificate: that transport is closed and counted, the others go on', async () => {
  const transports = h.server.transportCount;
  const mismatch = drops('dtls_fingerprint_mismatch');
  const mallory = h.join('mallory', {
    room: 'faults',
    canSubscribe: false,
    dtlsCertificate: createDtlsCertificate(),
    connectTimeoutMs: 1500,
  });
  await assert.rejects(mallory.publish(), /alert|dtls/i);
  await dropped('dtls_fingerprint_mismatch', mismatch);
  assert.ok(mallory.errors.some((e) => e.code === 'sfu_transport_closed' && /fingerprint/.test(e.message)));
  const deadline = Date.now() + 2000;
  while (h.server.transportCount !== transports && Date.now() < deadline) await sleep(5);
  assert.equal(h.server.transportCount, transports, 'mallory’s transport is gone');
  // Bob was offered mallory's tracks when she published, and they went away with her transport.
  await bob.idle();
  assert.equal(bob.subscribed.filter((t) => t.active && t.streamId === 'mallory').length, 0);
  assert.deepEqual(bob.failures, []);
  await flows(alice, bob);
  await flows(pat, sam);
  h.service.removeParticipant('faults', 'mallory');
  await mallory.closePeers();
  h.participants.delete('mallory');
});

test('ICE restart on both peer connections keeps media flowing', async () => {
  const pub = peerOf(alice.publisher);
  const oldUfrag = pub.remote?.ice.ufrag;
  await alice.publish({ iceRestart: true });
  assert.notEqual(pub.remote?.ice.ufrag, oldUfrag, 'new server credentials in the answer');
  await flows(alice, bob);
  const sub = peerOf(bob.subscriber);
  const oldSub = sub.remote?.ice.ufrag;
  const version = bob.version;
  h.service.resubscribe('faults', 'bob', { type: 'resubscribe', iceRestart: true });
  await bob.idle();
  assert.ok(bob.version > version);
  assert.notEqual(sub.remote?.ice.ufrag, oldSub);
  assert.deepEqual(bob.failures, []);
  await flows(alice, bob);
  await flows(pat, sam);
});

test('a participant that vanishes is timed out by consent freshness and everything of it is freed', async () => {
  const eve = h.join('eve', { room: 'faults' });
  await eve.publish();
  await bob.idle();
  await eve.idle();
  assert.ok(bob.trackFrom('eve', 'video'), 'bob subscribes to eve');
  assert.ok(eve.trackFrom('alice', 'video'), 'eve subscribes to alice');
  await flows(eve, bob);
  const transports = h.server.transportCount;
  const serviceTransports = h.service.transportCount;
  const eveUfrags = [peerOf(eve.publisher).remote?.ice.ufrag, peerOf(eve.subscriber).remote?.ice.ufrag];
  const evePubIce = peerOf(eve.publisher).ice;
  await eve.vanish(); // no leave, no close_notify: it simply stops
  await sleep(50);
  assert.equal(h.server.transportCount, transports, 'nothing noticed yet');
  // Everyone else keeps consent alive while the clock runs past eve's timeout.
  for (let t = 0; t <= CONSENT_MS; t += 2000) {
    for (const p of [pat, sam, alice, bob]) await p.keepAlive();
    clock.advance(2000);
    await sleep(30);
  }
  await sleep(50);
  assert.equal(h.server.transportCount, transports - 2, 'both of eve’s transports closed');
  assert.equal(h.service.transportCount, serviceTransports - 2);
  const closed = eve.errors.filter((e) => e.code === 'sfu_transport_closed');
  assert.equal(closed.length, 2);
  for (const e of closed) assert.match(e.message, /ice_consent_expired/);
  await bob.idle();
  assert.equal(bob.trackFrom('eve', 'video'), undefined, 'bob’s consumers of eve are gone (port 0 in the new offer)');
  assert.equal(bob.trackFrom('eve', 'audio'), undefined);
  // The demultiplexer forgot eve's ufrags: a check with them reaches no transport.
  const unknown = drops('ice_unknown_ufrag');
  for (const ufrag of eveUfrags) {
    rawSend(
      encodeMessage(
        {
          class: StunClass.Request,
          method: StunMethod.Binding,
          transactionId: createTransactionId(),
          attributes: [attr(AttrType.Username, `${ufrag}:${evePubIce.ufrag}`), attr(AttrType.IceControlling, 1n)],
        },
        { integrityKey: shortTermKey('x'.repeat(32)), fingerprint: true },
      ),
    );
  }
  await dropped('ice_unknown_ufrag', unknown, 2);
  await flows(alice, bob);
  await flows(pat, sam);
  h.service.removeParticipant('faults', 'eve');
  h.participants.delete('eve');
});
