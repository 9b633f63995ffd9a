/**
 * WebRtcTransport without sockets: the test is the browser — it sends a connectivity check,
 * runs the DTLS handshake as the client with its own DtlsSession in memory, and then SRTP
 * both ways. What the transport sends lands in a DatagramSink array.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '@itda/common';
import {
  AttrType,
  createTransactionId,
  decodeMessage,
  encodeMessage,
  type StunAttribute,
  StunClass,
  StunMethod,
  shortTermKey,
} from '@itda/stun';
import { createDtlsCertificate, DtlsSession, type SrtpKeyingMaterial } from '../dtls/index.ts';
import { createIceCredentials, iceTuple } from '../ice/index.ts';
import { encodeRtcp, isRtcp } from '../rtp/index.ts';
import { SrtpSession } from '../srtp/index.ts';
import { buildRtp } from '../testing/rtp.ts';
import { SfuStats } from './stats.ts';
import { WebRtcTransport } from './webrtc-transport.ts';

const OPUS = { payloadType: 111, name: 'opus', clockRate: 48000, channels: 2, parameters: {}, feedback: [] };
const TUPLE = iceTuple('udp', '192.0.2.10', 50000);

async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve));
}

/** A transport and a client that has connected to it (ICE nominated, DTLS done, SRTP keyed). */
async function connected() {
  const clock = new ManualClock(0);
  const sent: Uint8Array[] = [];
  const local = createIceCredentials();
  const transport = new WebRtcTransport({
    id: 't1',
    ice: local,
    certificate: createDtlsCertificate(),
    sink: { send: (datagram) => void sent.push(Uint8Array.from(datagram)) },
    clock,
    stats: new SfuStats(),
  });
  const clientCert = createDtlsCertificate();
  transport.setRemoteParameters({ iceUfrag: 'clnt', fingerprints: [clientCert.fingerprint] });
  // The connectivity check that nominates the pair (RFC 8445 §7.2.5).
  const attributes: StunAttribute[] = [
    { type: AttrType.Username, value: `${local.ufrag}:clnt` } as StunAttribute,
    { type: AttrType.IceControlling, value: 1n } as StunAttribute,
    { type: AttrType.UseCandidate, value: true } as StunAttribute,
    { type: AttrType.Priority, value: 1_845_501_695 } as StunAttribute,
  ];
  const check = encodeMessage(
    { class: StunClass.Request, method: StunMethod.Binding, transactionId: createTransactionId(), attributes },
    { integrityKey: shortTermKey(local.pwd), fingerprint: true },
  );
  const answer = transport.receiveStun(decodeMessage(check), TUPLE);
  assert.ok(answer, 'the check is answered');
  assert.equal(decodeMessage(answer).class, StunClass.SuccessResponse);
  assert.deepEqual(transport.tuple?.key, TUPLE.key);
  // DTLS: the client starts at once; the records the transport sends go back to it.
  const client = new DtlsSession({
    role: 'client',
    certificate: clientCert,
    remoteFingerprints: [transport.fingerprint],
    send: (d) => transport.receiveDtls(d),
  });
  let keys: SrtpKeyingMaterial | undefined;
  client.on('connected', (k: SrtpKeyingMaterial) => {
    keys = k;
  });
  let delivered = 0;
  const pump = async (): Promise<void> => {
    for (let round = 0; round < 50 && keys === undefined; round++) {
      while (delivered < sent.length) client.handle(sent[delivered++] as Uint8Array);
      await settle();
    }
  };
  await pump();
  assert.ok(keys, 'DTLS done');
  assert.equal(transport.connected, true);
  const k = keys as SrtpKeyingMaterial;
  const tx = SrtpSession.create({ profile: k.profile, masterKey: k.localKey, masterSalt: k.localSalt });
  const rx = SrtpSession.create({ profile: k.profile, masterKey: k.remoteKey, masterSalt: k.remoteSalt });
  sent.length = 0;
  return { clock, sent, transport, tx, rx };
}

test('WebRtcTransport without sockets: ICE check, DTLS as the server, SRTP in to a producer and out from a consumer', async () => {
  const { clock, sent, transport, tx, rx } = await connected();
  const producer = transport.produce({
    id: 'p1',
    participantId: 'ada',
    kind: 'audio',
    source: 'microphone',
    mid: '0',
    ssrc: 0x1111,
    codec: OPUS,
    extensions: [],
  });
  const rtp = (ssrc: number, seq: number): Uint8Array =>
    buildRtp({ ssrc, payloadType: 111, sequenceNumber: seq, timestamp: seq * 960, payload: Buffer.alloc(30, 7) });
  transport.receiveSrtp(tx.protectRtp(rtp(0x1111, 1)), clock.now());
  transport.receiveSrtp(tx.protectRtp(rtp(0x9999, 1)), clock.now()); // an SSRC nobody declared
  assert.equal(producer.packets, 1);
  // A consumer of its own producer on the same transport (loopback), resumed: the packet comes back out, encrypted.
  const consumer = transport.consume({ id: 'c1', producer, mid: '0', ssrc: 0x2222, paused: false });
  transport.receiveSrtp(tx.protectRtp(rtp(0x1111, 2)), clock.now());
  const out = sent.filter((d) => !isRtcp(d)).map((d) => rx.unprotectRtp(d));
  assert.equal(out.length, 1);
  assert.equal(Buffer.from(out[0] as Uint8Array).readUInt32BE(8), 0x2222, 'rewritten to the consumer’s SSRC');
  assert.equal(consumer.packets, 1);
  // The periodic reports: a sender report for the consumer, a receiver report for the producer.
  sent.length = 0;
  clock.advance(1100);
  transport.tick(clock.now());
  const rtcp = sent.filter((d) => isRtcp(d));
  assert.ok(rtcp.length >= 1, 'RTCP on the tick');
  // Garbage SRTCP is counted and dropped; a PLI for the consumer is taken (audio: nothing to ask).
  transport.receiveSrtp(Uint8Array.of(0x80, 201, 0, 1, 1, 2, 3, 4), clock.now());
  transport.receiveSrtp(tx.protectRtcp(encodeRtcp([{ type: 'pli', senderSsrc: 5, mediaSsrc: 0x2222 }])), clock.now());
  // Closing closes its producers (cause: the transport), and so their consumers (cause: the producer).
  const reasons: string[] = [];
  producer.on('closed', (r) => reasons.push(`producer:${r}`));
  consumer.on('closed', (r) => reasons.push(`consumer:${r}`));
  transport.close('test');
  assert.deepEqual(reasons.sort(), ['consumer:producer_closed', 'producer:transport_closed']);
  assert.equal(transport.closed, true);
});
