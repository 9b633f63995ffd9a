/**
 * The SFU's ICE-lite agent against the real browser: Chromium's full ICE agent must
 * connect to `IceLiteAgent` (packages/sfu/src/ice) over UDP, and over ICE-TCP (RFC 6544,
 * RFC 4571 framing through `TcpFrameDecoder`/`frameTcp`) when the answer offers only a
 * passive TCP candidate; its checks must be answered, its nomination followed, and its
 * consent checks must keep arriving. DTLS is not part of this test (the ClientHello is
 * ignored, so the browser's ICE state is what is asserted). Loopback only.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, type Server, type Socket as TcpSocket } from 'node:net';
import { after, before, test } from 'node:test';
import { systemClock } from '@itda/common';
import {
  createIceCredentials,
  frameTcp,
  type IceCredentials,
  IceDemux,
  IceLiteAgent,
  iceTuple,
  TcpFrameDecoder,
} from '@itda/sfu/ice';
import { decodeMessage } from '@itda/stun';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, waitFor } from './harness/index.ts';

let browser: Browser | undefined;
let page: Page;
let udp: UdpSocket;
let tcp: Server;
const demux = new IceDemux<IceLiteAgent>();
const tcpSockets = new Set<TcpSocket>();

/** A STUN message from a tuple: route, answer, bind the tuple on success. */
function onStun(bytes: Uint8Array, protocol: 'udp' | 'tcp', address: string, port: number): Uint8Array | null {
  let msg: ReturnType<typeof decodeMessage>;
  try {
    msg = decodeMessage(bytes);
  } catch {
    return null;
  }
  const agent = demux.ownerForStun(msg);
  if (agent === undefined) return null;
  const tuple = iceTuple(protocol, address, port);
  const answer = agent.handleBindingRequest(msg, tuple);
  if (answer !== null && answer[0] === 0x01 && answer[1] === 0x01) demux.bindTuple(tuple.key, agent);
  return answer;
}

before(async () => {
  udp = createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  udp.on('message', (msg, rinfo) => {
    if ((msg[0] as number) >= 4) return; // DTLS and the rest: not this test's business
    const answer = onStun(msg, 'udp', rinfo.address, rinfo.port);
    if (answer !== null) udp.send(answer, rinfo.port, rinfo.address);
  });
  tcp = createServer((socket) => {
    tcpSockets.add(socket);
    socket.on('close', () => tcpSockets.delete(socket));
    const decoder = new TcpFrameDecoder();
    socket.on('data', (chunk: Buffer) => {
      try {
        for (const frame of decoder.push(chunk)) {
          if ((frame[0] as number) >= 4) continue;
          const answer = onStun(frame, 'tcp', socket.remoteAddress ?? '', socket.remotePort ?? 0);
          if (answer !== null) socket.write(frameTcp(answer));
        }
      } catch {
        socket.destroy();
      }
    });
    socket.on('error', () => socket.destroy());
  });
  await new Promise<void>((resolve) => tcp.listen(0, '127.0.0.1', resolve));
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.goto('about:blank');
  await page.evaluate(`window.pcs = {};
    window.offer = async (id) => {
      const pc = new RTCPeerConnection(); window.pcs[id] = pc;
      pc.createDataChannel('probe');
      await pc.setLocalDescription(await pc.createOffer());
      return pc.localDescription.sdp;
    };
    true`);
});

after(async () => {
  await page?.evaluate('for (const pc of Object.values(window.pcs)) pc.close(); true').catch(() => {});
  await browser?.close();
  for (const s of tcpSockets) s.destroy();
  await new Promise<void>((resolve) => udp?.close(() => resolve()));
  await new Promise<void>((resolve) => (tcp === undefined ? resolve() : tcp.close(() => resolve())));
});

function answerSdp(local: IceCredentials, candidates: string[]): string {
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
    'm=application 9 UDP/DTLS/SCTP webrtc-datachannel',
    'c=IN IP4 127.0.0.1',
    'a=mid:0',
    `a=ice-ufrag:${local.ufrag}`,
    `a=ice-pwd:${local.pwd}`,
    `a=fingerprint:sha-256 ${fingerprint}`,
    'a=setup:passive',
    'a=sctp-port:5000',
    'a=max-message-size:262144',
    ...candidates,
    'a=end-of-candidates',
    '',
  ].join('\r\n');
}

/** Offer from the page, answer with `candidates`, wait for the browser's ICE and our agent. */
async function connect(id: string, candidates: string[]): Promise<IceLiteAgent> {
  const local = createIceCredentials();
  const agent = new IceLiteAgent({ local, clock: systemClock });
  demux.register(local.ufrag, agent);
  const offer: string = await page.evaluate(`window.offer(${JSON.stringify(id)})`);
  const ufrag = /a=ice-ufrag:(\S+)/.exec(offer)?.[1];
  assert.ok(ufrag !== undefined);
  agent.setRemoteUfrag(ufrag);
  await page.evaluate(
    `window.pcs[${JSON.stringify(id)}].setRemoteDescription({ type: 'answer', sdp: ${JSON.stringify(answerSdp(local, candidates))} })`,
  );
  await waitFor(
    async () => {
      const state: string = await page.evaluate(`window.pcs[${JSON.stringify(id)}].iceConnectionState`);
      if (state === 'failed') throw new Error('Chromium ICE failed');
      return state === 'connected' || state === 'completed';
    },
    { timeoutMs: 15_000 },
  );
  await waitFor(() => agent.stats.nominations > 0, { timeoutMs: 10_000 });
  return agent;
}

test('Chromium connects to the ICE-lite agent over UDP and nominates', async () => {
  const port = udp.address().port;
  const agent = await connect('udp', [`a=candidate:1 1 udp 2130706431 127.0.0.1 ${port} typ host`]);
  const tuple = agent.selectedTuple;
  assert.equal(tuple?.protocol, 'udp');
  assert.equal(tuple?.address, '127.0.0.1');
  assert.equal(demux.ownerForTuple(tuple?.key ?? ''), agent);
  assert.equal(
    agent.stats.badIntegrity + agent.stats.badUsername + agent.stats.roleConflict + agent.stats.badRequest,
    0,
  );
});

test('Chromium connects over ICE-TCP (passive candidate, RFC 4571 framing)', async () => {
  const address = tcp.address();
  assert.ok(typeof address === 'object' && address !== null);
  const agent = await connect('tcp', [
    `a=candidate:2 1 tcp 1518280447 127.0.0.1 ${address.port} typ host tcptype passive`,
  ]);
  assert.equal(agent.selectedTuple?.protocol, 'tcp');
  assert.equal(agent.stats.badIntegrity + agent.stats.badUsername + agent.stats.badFingerprint, 0);
});

test('Chromium keeps checking after connecting: consent stays fresh (RFC 7675)', async () => {
  const port = udp.address().port;
  const agent = await connect('consent', [`a=candidate:1 1 udp 2130706431 127.0.0.1 ${port} typ host`]);
  const first = agent.lastCheckAt ?? 0;
  const checks = agent.stats.success;
  // Chromium keeps pinging the selected pair (consent checks every ~5 s, RFC 7675 §5.1,
  // and faster right after connecting); wait for one more valid check, bounded.
  await waitFor(() => agent.stats.success > checks && (agent.lastCheckAt ?? 0) > first, {
    timeoutMs: 12_000,
    intervalMs: 250,
  });
  agent.tick();
  assert.equal(agent.state, 'connected');
});
