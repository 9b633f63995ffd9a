/**
 * Interop: libdatachannel (libjuice's full ICE agent, from the node-datachannel devDependency)
 * connects to our ICE-lite agent over loopback UDP. It must see its checks answered,
 * nominate our candidate and reach ICE `connected`; our agent must select its tuple.
 * DTLS is not part of this test: the ClientHello that follows is ignored.
 * Traffic: 127.0.0.1 only. Bounded by a 10 s deadline; everything is closed at the end.
 */
import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { test } from 'node:test';
import { systemClock } from '@itda/common';
import { decodeMessage, StunClass } from '@itda/stun';
import nodeDataChannel from 'node-datachannel';
import { IceLiteAgent } from './agent.ts';
import { createIceCredentials } from './credentials.ts';
import { IceDemux } from './demux.ts';
import { iceTuple } from './tuple.ts';

const DEADLINE_MS = 10_000;

function answerSdp(ufrag: string, pwd: string, port: number): string {
  const fingerprint = Array.from({ length: 32 }, (_, i) => (i * 7).toString(16).padStart(2, '0').toUpperCase()).join(
    ':',
  );
  return [
    'v=0',
    'o=- 1 1 IN IP4 127.0.0.1',
    's=-',
    't=0 0',
    'a=group:BUNDLE 0',
    'a=ice-lite',
    `m=application ${port} UDP/DTLS/SCTP webrtc-datachannel`,
    'c=IN IP4 127.0.0.1',
    'a=mid:0',
    `a=ice-ufrag:${ufrag}`,
    `a=ice-pwd:${pwd}`,
    `a=fingerprint:sha-256 ${fingerprint}`,
    'a=setup:passive',
    'a=sctp-port:5000',
    'a=max-message-size:262144',
    `a=candidate:1 1 udp 2130706431 127.0.0.1 ${port} typ host`,
    'a=end-of-candidates',
    '',
  ].join('\r\n');
}

test('libdatachannel (full ICE, controlling) connects to the ICE-lite agent over loopback UDP', async () => {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  const port = socket.address().port;
  const local = createIceCredentials();
  const agent = new IceLiteAgent({ local, clock: systemClock });
  const demux = new IceDemux<IceLiteAgent>();
  demux.register(local.ufrag, agent);
  let answersSent = 0;
  let onNominated: (() => void) | undefined;
  const nominated = new Promise<void>((resolve) => {
    onNominated = resolve;
  });
  socket.on('message', (msg, rinfo) => {
    if ((msg[0] as number) >= 4) return; // DTLS: not this test's business
    const req = decodeMessage(msg);
    const owner = demux.ownerForStun(req);
    if (owner === undefined) return;
    const tuple = iceTuple('udp', rinfo.address, rinfo.port);
    const res = owner.handleBindingRequest(req, tuple);
    if (res === null) return;
    if (decodeMessage(res).class === StunClass.SuccessResponse) demux.bindTuple(tuple.key, owner);
    answersSent++;
    if (owner.stats.nominations > 0) onNominated?.();
    socket.send(res, rinfo.port, rinfo.address);
  });

  const pc = new nodeDataChannel.PeerConnection('ice-interop', { iceServers: [], bindAddress: '127.0.0.1' });
  let timer: ReturnType<typeof setTimeout> | undefined;
  let dc: ReturnType<typeof pc.createDataChannel> | undefined;
  const pcClosed = new Promise<void>((resolve) => {
    pc.onStateChange((state) => {
      if (state === 'closed') resolve();
    });
  });
  try {
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`not done in ${DEADLINE_MS} ms`)), DEADLINE_MS);
    });
    const iceConnected = new Promise<void>((resolve, reject) => {
      pc.onIceStateChange((state) => {
        if (state === 'connected' || state === 'completed') resolve();
        if (state === 'failed') reject(new Error('libdatachannel ICE failed'));
      });
    });
    const selected = agent.next('selected');
    pc.onLocalDescription((sdp, type) => {
      if (type !== 'offer') return;
      const ufrag = /a=ice-ufrag:(\S+)/.exec(sdp)?.[1];
      assert.ok(ufrag !== undefined);
      agent.setRemoteUfrag(ufrag);
      pc.setRemoteDescription(answerSdp(local.ufrag, local.pwd, port), 'answer');
    });
    dc = pc.createDataChannel('probe');
    await Promise.race([iceConnected, deadline]);
    // libjuice nominates (USE-CANDIDATE) in a check after its first success; until then
    // the agent uses the first valid tuple.
    await Promise.race([nominated, deadline]);
    const [tuple] = await selected;
    assert.equal(tuple.address, '127.0.0.1');
    assert.equal(tuple.protocol, 'udp');
    assert.equal(demux.ownerForTuple(tuple.key), agent);
    assert.ok(agent.stats.success >= 1);
    assert.ok(answersSent >= 1);
    assert.equal(agent.stats.badIntegrity + agent.stats.badUsername + agent.stats.badFingerprint, 0);
    assert.equal(agent.state, 'connected');
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    dc?.close();
    pc.close();
    // libdatachannel tears down on its own threads: wait for it (bounded) before cleanup(),
    // which otherwise can crash the process at exit.
    let closeTimer: ReturnType<typeof setTimeout> | undefined;
    await Promise.race([pcClosed, new Promise<void>((resolve) => (closeTimer = setTimeout(resolve, 2000)))]);
    clearTimeout(closeTimer);
    await new Promise<void>((resolve) => socket.close(() => resolve()));
    nodeDataChannel.cleanup();
  }
});
