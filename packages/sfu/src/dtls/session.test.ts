/**
 * DtlsSession in memory, server ↔ client: keys mirrored and working in SrtpSession for
 * both profiles, profile preference, application data, close_notify, fingerprint
 * mismatch on either side, profile mismatch, handshake timeout and retransmission on a
 * ManualClock, and no timers left behind.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { ManualClock, systemClock } from '@itda/common';
import type { SrtpProfile } from '../srtp/index.ts';
import { SrtpSession } from '../srtp/index.ts';
import { createDtlsCertificate } from './certificate.ts';
import { DtlsErrorCode } from './errors.ts';
import { splitRecords } from './record.ts';
import { DtlsSession } from './session.ts';
import { pair } from './test-pair.ts';

const rejections: unknown[] = [];
const onRejection = (err: unknown): void => {
  rejections.push(err);
};
process.on('unhandledRejection', onRejection);
after(() => {
  process.off('unhandledRejection', onRejection);
  assert.deepEqual(rejections, [], 'no unhandled rejections');
});

function rtp(seq: number, ssrc: number, payload: Buffer): Buffer {
  const b = Buffer.alloc(12 + payload.length);
  b[0] = 0x80;
  b[1] = 111;
  b.writeUInt16BE(seq, 2);
  b.writeUInt32BE(seq * 960, 4);
  b.writeUInt32BE(ssrc, 8);
  payload.copy(b, 12);
  return b;
}

for (const profile of ['SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_HMAC_SHA1_80'] as SrtpProfile[]) {
  test(`handshake: mirrored ${profile} keys that work in SrtpSession both ways`, async () => {
    const p = pair({ serverProfiles: [profile] });
    await p.pump();
    const s = p.server.keys;
    const c = p.client.keys;
    assert.ok(s && c, `both connected (server ${p.server.failed?.code}, client ${p.client.failed?.code})`);
    assert.equal(s.profile, profile);
    assert.equal(c.profile, profile);
    assert.deepEqual(s.localKey, c.remoteKey);
    assert.deepEqual(s.localSalt, c.remoteSalt);
    assert.deepEqual(s.remoteKey, c.localKey);
    assert.deepEqual(s.remoteSalt, c.localSalt);
    assert.notDeepEqual(s.localKey, s.remoteKey);
    assert.equal(s.localKey.length, 16);
    assert.equal(s.localSalt.length, profile === 'SRTP_AEAD_AES_128_GCM' ? 12 : 14);
    assert.equal(p.server.session.state, 'connected');
    assert.equal(p.client.session.state, 'connected');

    const payload = Buffer.from('opus frame');
    const cTx = SrtpSession.create({ profile, masterKey: c.localKey, masterSalt: c.localSalt });
    const sRx = SrtpSession.create({ profile, masterKey: s.remoteKey, masterSalt: s.remoteSalt });
    assert.deepEqual(sRx.unprotectRtp(cTx.protectRtp(rtp(1, 0x1234, payload))).subarray(12), payload);
    const sTx = SrtpSession.create({ profile, masterKey: s.localKey, masterSalt: s.localSalt });
    const cRx = SrtpSession.create({ profile, masterKey: c.remoteKey, masterSalt: c.remoteSalt });
    assert.deepEqual(cRx.unprotectRtp(sTx.protectRtp(rtp(7, 0x5678, payload))).subarray(12), payload);

    p.server.session.close();
    p.client.session.close();
    assert.equal((p.clock as ManualClock).pending, 0, 'no timers left');
  });
}

test('the server picks its preferred profile among those the client offers', async () => {
  const both: SrtpProfile[] = ['SRTP_AEAD_AES_128_GCM', 'SRTP_AES128_CM_HMAC_SHA1_80'];
  const p = pair({ serverProfiles: both, clientProfiles: [...both].reverse() });
  await p.pump();
  assert.equal(p.server.keys?.profile, 'SRTP_AEAD_AES_128_GCM');
  const q = pair({ serverProfiles: both, clientProfiles: ['SRTP_AES128_CM_HMAC_SHA1_80'] });
  await q.pump();
  assert.equal(q.server.keys?.profile, 'SRTP_AES128_CM_HMAC_SHA1_80');
  assert.equal(q.client.keys?.profile, 'SRTP_AES128_CM_HMAC_SHA1_80');
  for (const x of [p, q]) {
    x.server.session.close();
    x.client.session.close();
  }
});

test('application data both ways, then close_notify closes the peer', async () => {
  const p = pair();
  await p.pump();
  p.client.session.sendData(Buffer.from('to server'));
  p.server.session.sendData(new Uint8Array([1, 2, 3]));
  await p.pump();
  assert.deepEqual(
    p.server.data.map((d) => Buffer.from(d).toString()),
    ['to server'],
  );
  assert.deepEqual(
    p.client.data.map((d) => [...d]),
    [[1, 2, 3]],
  );
  p.client.session.close();
  p.client.session.close(); // idempotent
  await p.pump();
  assert.equal(p.client.closed, 'local');
  assert.equal(p.server.closed, 'close_notify');
  assert.equal(p.server.session.state, 'closed');
  assert.throws(() => p.server.session.sendData(Buffer.from('x')), { code: DtlsErrorCode.NotConnected });
  assert.equal((p.clock as ManualClock).pending, 0);
});

test('sendData before the handshake throws dtls_not_connected', () => {
  const p = pair();
  assert.throws(() => p.server.session.sendData(Buffer.from('x')), { code: DtlsErrorCode.NotConnected });
  p.server.session.close();
  p.client.session.close();
});

test('server: a client certificate that matches no SDP fingerprint fails, and the client never connects', async () => {
  const other = createDtlsCertificate();
  const p = pair({ clientFingerprintAtServer: other.fingerprint });
  await p.pump();
  assert.equal(p.server.failed?.code, DtlsErrorCode.FingerprintMismatch);
  assert.equal(p.server.keys, undefined);
  assert.equal(p.server.session.state, 'failed');
  // The server refused before sending its Finished: the client sees a fatal alert, no keys.
  assert.equal(p.client.keys, undefined);
  assert.equal(p.client.failed?.code, DtlsErrorCode.Alert);
  assert.equal((p.clock as ManualClock).pending, 0);
});

test('client: a server certificate that matches no SDP fingerprint fails on the client', async () => {
  const other = createDtlsCertificate();
  const p = pair({ serverFingerprintAtClient: { algorithm: 'sha-256', value: other.fingerprint.value.toLowerCase() } });
  await p.pump();
  assert.equal(p.client.failed?.code, DtlsErrorCode.FingerprintMismatch);
  assert.equal(p.client.keys, undefined);
  // The server finished first (it is the last to speak) and then gets the client's fatal alert.
  assert.equal(p.server.failed?.code, DtlsErrorCode.Alert);
  p.server.session.close();
  assert.equal((p.clock as ManualClock).pending, 0);
});

test('a fingerprint under another hash (sha-512) matches', async () => {
  const p = pair();
  p.server.session.close();
  p.client.session.close();
  const { fingerprintOf } = await import('./certificate.ts');
  const q = pair({
    clientFingerprintAtServer: { algorithm: 'SHA-512', value: fingerprintOf(p.client.certificate.cert, 'sha-512') },
  });
  await q.pump();
  assert.ok(q.server.keys);
  q.server.session.close();
  q.client.session.close();
});

test('no common SRTP profile: the server fails with dtls_no_srtp_profile and alerts the client', async () => {
  const p = pair({ serverProfiles: ['SRTP_AEAD_AES_128_GCM'], clientProfiles: ['SRTP_AES128_CM_HMAC_SHA1_80'] });
  await p.pump();
  assert.equal(p.server.failed?.code, DtlsErrorCode.NoSrtpProfile);
  assert.equal(p.client.failed?.code, DtlsErrorCode.Alert);
  assert.equal(p.client.keys, undefined);
  assert.equal((p.clock as ManualClock).pending, 0);
});

test('a Finished record that does not decrypt is dropped; the handshake then times out', async () => {
  // Flip one bit in the last byte of the client's flight 5 datagram that carries epoch 1 (its Finished).
  const p = pair({
    tamper: (d, from) => {
      if (from === 'client' && d.length > 100 && d.includes(0x14)) {
        const out = Uint8Array.prototype.slice.call(d);
        out[out.length - 1] = (out[out.length - 1] ?? 0) ^ 1;
        return [out];
      }
      return [d];
    },
  });
  await p.pump();
  assert.equal(p.server.keys, undefined);
  // A bit flip in the encrypted Finished breaks its GCM tag: werift cannot open it, so the
  // handshake never completes and the record is dropped; the timeout ends the session.
  (p.clock as ManualClock).advance(10_000);
  await p.pump();
  assert.ok(p.server.failed, 'server failed');
  assert.equal(p.server.keys, undefined);
  p.client.session.close();
  assert.equal((p.clock as ManualClock).pending, 0);
});

test('handshake timeout with no peer (server and client), and the client retransmits meanwhile', async () => {
  const clock = new ManualClock();
  const sent: Uint8Array[] = [];
  const cert = createDtlsCertificate();
  const server = new DtlsSession({
    role: 'server',
    certificate: cert,
    remoteFingerprints: [cert.fingerprint],
    send: () => {},
    clock,
  });
  const client = new DtlsSession({
    role: 'client',
    certificate: cert,
    remoteFingerprints: [cert.fingerprint],
    send: (d) => sent.push(d),
    clock,
    handshakeTimeoutMs: 5_000,
  });
  const failures: string[] = [];
  server.on('failed', (e) => failures.push(`server ${e.code}`));
  client.on('failed', (e) => failures.push(`client ${e.code}`));
  await new Promise((r) => setImmediate(r));
  assert.equal(sent.length, 1, 'first ClientHello');
  clock.advance(1_000);
  await new Promise((r) => setImmediate(r));
  assert.equal(sent.length, 2, 'retransmitted after 1 s (RFC 6347 §4.2.4.1)');
  assert.deepEqual(sent[1], sent[0]);
  clock.advance(4_000);
  assert.deepEqual(failures, [`client ${DtlsErrorCode.HandshakeTimeout}`]);
  clock.advance(5_000);
  assert.deepEqual(failures, [`client ${DtlsErrorCode.HandshakeTimeout}`, `server ${DtlsErrorCode.HandshakeTimeout}`]);
  assert.equal(server.state, 'failed');
  assert.equal(clock.pending, 0);
  const before = sent.length;
  clock.advance(60_000);
  assert.equal(sent.length, before, 'nothing sent after failure');
  server.close(); // no-op after failure
  assert.equal(server.state, 'failed');
});

test('lost datagrams are recovered by retransmission', async () => {
  const seen = new Set<string>();
  const p = pair({
    // Drop the first copy of every datagram; retransmissions (same bytes) get through.
    tamper: (d) => {
      const key = Buffer.from(d).toString('hex');
      if (seen.has(key)) return [d];
      seen.add(key);
      return [];
    },
  });
  for (let i = 0; i < 12 && !(p.server.keys && p.client.keys); i++) {
    await p.pump();
    (p.clock as ManualClock).advance(1_000);
  }
  await p.pump();
  assert.ok(p.server.keys && p.client.keys, 'connected despite loss');
  p.server.session.close();
  p.client.session.close();
  assert.equal((p.clock as ManualClock).pending, 0);
});

test('invalid options throw dtls_bad_options', () => {
  const cert = createDtlsCertificate();
  const base = { certificate: cert, remoteFingerprints: [cert.fingerprint], send: () => {} };
  assert.throws(() => new DtlsSession({ ...base, role: 'peer' as 'server' }), { code: DtlsErrorCode.BadOptions });
  assert.throws(() => new DtlsSession({ ...base, role: 'server', remoteFingerprints: [] }), {
    code: DtlsErrorCode.BadOptions,
  });
  assert.throws(
    () => new DtlsSession({ ...base, role: 'server', remoteFingerprints: [{ algorithm: 'md5', value: 'AA' }] }),
    { code: DtlsErrorCode.BadOptions },
  );
  assert.throws(() => new DtlsSession({ ...base, role: 'server', srtpProfiles: [] }), {
    code: DtlsErrorCode.BadOptions,
  });
  assert.throws(() => new DtlsSession({ ...base, role: 'server', handshakeTimeoutMs: 0 }), {
    code: DtlsErrorCode.BadOptions,
  });
});

test('with the system clock, close leaves no timers behind', async () => {
  const p = pair({ clock: systemClock });
  await p.pump();
  assert.ok(p.server.keys && p.client.keys);
  p.server.session.close();
  p.client.session.close();
  await new Promise((r) => setImmediate(r));
  // Our timers are unref'd; werift's own `timers/promises` sleeps would show up here as ref'd Timeouts.
  assert.deepEqual(
    process.getActiveResourcesInfo().filter((r) => r === 'Timeout'),
    [],
  );
});

/** Flips the last byte of every epoch-0 handshake record of `msgType` in `d` (a plaintext message body). */
function flipLastByteOf(msgType: number, d: Uint8Array): Uint8Array {
  const out = Uint8Array.prototype.slice.call(d);
  for (const r of splitRecords(out).records) {
    if (r.type === 22 && r.epoch === 0 && r.bytes[13] === msgType) {
      const last = r.bytes.length - 1;
      r.bytes[last] = (r.bytes[last] ?? 0) ^ 0x01;
    }
  }
  return out;
}

test("server: a client CertificateVerify that does not verify fails with dtls_bad_signature (werift doesn't check it)", async () => {
  const p = pair({ tamper: (d, from) => [from === 'client' ? flipLastByteOf(15, d) : d] });
  await p.pump();
  assert.equal(p.server.failed?.code, DtlsErrorCode.BadSignature);
  assert.equal(p.server.keys, undefined);
  assert.equal(p.client.keys, undefined, 'the server refused before its Finished');
  assert.equal(p.client.failed?.code, DtlsErrorCode.Alert);
  assert.equal((p.clock as ManualClock).pending, 0);
});

test('a tampered ServerKeyExchange: the transcripts differ, nothing decrypts, both time out without keys', async () => {
  // With extended_master_secret (RFC 7627) the master secrets then differ: the peers cannot
  // read each other's Finished, so no keys ever exist. (werift swallows the decrypt error.)
  const p = pair({ tamper: (d, from) => [from === 'server' ? flipLastByteOf(12, d) : d] });
  await p.pump();
  assert.equal(p.server.keys, undefined);
  assert.equal(p.client.keys, undefined);
  (p.clock as ManualClock).advance(10_000);
  assert.equal(p.server.failed?.code, DtlsErrorCode.HandshakeTimeout);
  assert.equal(p.client.failed?.code, DtlsErrorCode.HandshakeTimeout);
  assert.equal((p.clock as ManualClock).pending, 0);
});

test("client: a server that signs with a key not its certificate's fails with dtls_bad_signature", async () => {
  const a = createDtlsCertificate();
  const b = createDtlsCertificate();
  const p = pair({ serverCertificate: { ...a, key: b.key } });
  await p.pump();
  assert.equal(p.client.failed?.code, DtlsErrorCode.BadSignature);
  assert.equal(p.client.keys, undefined);
  assert.equal(p.server.failed?.code, DtlsErrorCode.Alert);
  assert.equal((p.clock as ManualClock).pending, 0);
});

test("server: a client that signs with a key not its certificate's fails with dtls_bad_signature", async () => {
  const a = createDtlsCertificate();
  const b = createDtlsCertificate();
  const p = pair({ clientCertificate: { ...a, key: b.key } });
  await p.pump();
  assert.equal(p.server.failed?.code, DtlsErrorCode.BadSignature);
  assert.equal(p.server.keys, undefined);
  assert.equal(p.client.keys, undefined);
  assert.equal((p.clock as ManualClock).pending, 0);
});

test('a connected session ignores a new ClientHello and unauthenticated alerts', async () => {
  const p = pair();
  await p.pump();
  const firstHello = p.client.sent[0];
  assert.ok(firstHello);
  p.server.session.handle(firstHello);
  // A plaintext fatal alert (epoch 0) from anyone: not authenticated once keys are in use.
  p.server.session.handle(Uint8Array.from([21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9, 0, 2, 2, 40]));
  await p.pump();
  assert.equal(p.server.session.state, 'connected');
  assert.deepEqual(p.server.dropped, [DtlsErrorCode.Malformed]);
  p.client.session.sendData(Buffer.from('still here'));
  await p.pump();
  assert.equal(Buffer.from(p.server.data[0] ?? []).toString(), 'still here');
  p.server.session.close();
  p.client.session.close();
});

test('a plaintext fatal alert during the handshake fails the session with dtls_alert', () => {
  const clock = new ManualClock();
  const cert = createDtlsCertificate();
  const s = new DtlsSession({
    role: 'server',
    certificate: cert,
    remoteFingerprints: [cert.fingerprint],
    send: () => {},
    clock,
  });
  const failed: string[] = [];
  s.on('failed', (e) => failed.push(`${e.code}:${String(e.details?.description)}`));
  s.handle(Uint8Array.from([21, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 42]));
  assert.deepEqual(failed, [`${DtlsErrorCode.Alert}:42`]);
  assert.equal(clock.pending, 0);
});

test('each server flight goes out as one datagram (HelloVerifyRequest, flight 4, flight 6)', async () => {
  const p = pair();
  await p.pump();
  assert.ok(p.server.keys);
  assert.equal(p.server.sent.length, 3);
  assert.ok(p.server.sent.every((d) => d.length <= 1200));
  // Flight 6: ChangeCipherSpec and the encrypted Finished together.
  assert.deepEqual(
    splitRecords(p.server.sent[2] ?? new Uint8Array()).records.map((r) => [r.type, r.epoch]),
    [
      [20, 0],
      [22, 1],
    ],
  );
  p.server.session.close();
  p.client.session.close();
});

test('a send callback that throws loses the datagram, not the process', async () => {
  const clock = new ManualClock();
  const cert = createDtlsCertificate();
  const client = new DtlsSession({
    role: 'client',
    certificate: cert,
    remoteFingerprints: [cert.fingerprint],
    send: () => {
      throw new Error('socket closed');
    },
    clock,
  });
  await new Promise((r) => setImmediate(r));
  clock.advance(1_000); // a retransmission, which throws again
  await new Promise((r) => setImmediate(r));
  assert.equal(client.state, 'connecting');
  client.close();
  assert.equal(clock.pending, 0);
});
