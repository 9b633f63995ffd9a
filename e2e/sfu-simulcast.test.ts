/**
 * Simulcast through the SFU (RFC 8853) with Chromium on both ends: a page publishes its
 * fake camera (1280×720) through WHIP as three VP8 encodings (rids q, h, f at ¼, ½ and
 * full resolution: what OBS and browsers with simulcast send; at 640×480 Chromium sends
 * only two), and a second page plays the
 * room through WHEP. The SFU learns each layer's SSRC from the rid extension, forwards
 * the best active layer — the player's decoder reaches full width — and when the
 * publisher turns the full layer off, the SFU moves the player to the half layer at a
 * keyframe (the decoder keeps decoding, at half width), and back up when it returns.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { Harness, uniqueRoom, waitFor } from './harness/index.ts';

let h: Harness;
before(async () => {
  h = await Harness.start({ server: { sfu: true } });
});
after(() => h?.close());

const PAGE_HELPERS = `
  const gathered = (pc) => new Promise((resolve) => {
    if (pc.iceGatheringState === 'complete') return resolve();
    pc.addEventListener('icegatheringstatechange', () => { if (pc.iceGatheringState === 'complete') resolve(); });
    setTimeout(resolve, 5000);
  });
  const exchange = async (pc, url) => {
    await pc.setLocalDescription(await pc.createOffer());
    await gathered(pc);
    const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/sdp' }, body: pc.localDescription.sdp });
    if (res.status !== 201) throw new Error(url + ': HTTP ' + res.status + ' ' + (await res.text()));
    const answer = await res.text();
    await pc.setRemoteDescription({ type: 'answer', sdp: answer });
    return { location: res.headers.get('location') ?? '', participantId: res.headers.get('x-itda-participant-id') ?? '', answer };
  };
  window.whipSimulcast = async (url) => {
    const media = await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 } });
    const pc = new RTCPeerConnection();
    window.sender = pc.addTransceiver(media.getVideoTracks()[0], {
      direction: 'sendonly',
      streams: [media],
      sendEncodings: [
        { rid: 'q', scaleResolutionDownBy: 4, maxBitrate: 150000 },
        { rid: 'h', scaleResolutionDownBy: 2, maxBitrate: 500000 },
        { rid: 'f', maxBitrate: 1200000 },
      ],
    }).sender;
    const codecs = RTCRtpSender.getCapabilities('video').codecs.filter((c) => /VP8|rtx/i.test(c.mimeType));
    pc.getTransceivers()[0].setCodecPreferences(codecs);
    window.whipPc = pc;
    return exchange(pc, url);
  };
  window.setLayerActive = async (rid, active) => {
    const p = window.sender.getParameters();
    for (const e of p.encodings) if (e.rid === rid) e.active = active;
    await window.sender.setParameters(p);
  };
  window.sentLayers = async () => {
    const out = {};
    (await window.whipPc.getStats()).forEach((e) => {
      if (e.type === 'outbound-rtp' && e.rid) out[e.rid] = { width: e.frameWidth ?? 0, frames: e.framesEncoded ?? 0, limit: e.qualityLimitationReason, active: e.active };
      if (e.type === 'candidate-pair' && e.nominated) out.bwe = e.availableOutgoingBitrate;
    });
    return out;
  };
  window.whep = async (url) => {
    const pc = new RTCPeerConnection();
    pc.addTransceiver('video', { direction: 'recvonly' });
    window.whepPc = pc;
    return exchange(pc, url);
  };
  window.played = async () => {
    let r = { width: 0, frames: 0, ssrc: 0 };
    (await window.whepPc.getStats()).forEach((e) => {
      if (e.type === 'inbound-rtp' && e.kind === 'video') r = { width: e.frameWidth ?? 0, frames: e.framesDecoded ?? 0, ssrc: e.ssrc };
    });
    return r;
  };
  true`;

interface Played {
  width: number;
  frames: number;
  ssrc: number;
}
const played = (page: Page): Promise<Played> => page.evaluate('window.played()') as Promise<Played>;

/** Waits until the player decodes frames `width` pixels wide, with frames still coming. */
async function playsAt(page: Page, width: number, what: string, room: string, publisher?: Page): Promise<Played> {
  let last = await played(page);
  try {
    return await waitFor(
      async () => {
        const now = await played(page);
        const moving = now.frames > last.frames;
        last = now;
        return moving && now.width === width ? now : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 500, what },
    );
  } catch (err) {
    const sent = publisher === undefined ? '' : JSON.stringify(await publisher.evaluate('window.sentLayers()'));
    throw new Error(`${(err as Error).message}; player ${JSON.stringify(last)}; publisher ${sent}; ${sfuState(room)}`);
  }
}

/** The SFU's view of the room's video producer and consumer, for failure messages. */
function sfuState(room: string): string {
  const transports = [...(h.server.sfu?.service.routerFor(room)?.transports.values() ?? [])];
  const producers = transports.flatMap((t) => [...t.producers.values()]).filter((p) => p.kind === 'video');
  const consumers = transports.flatMap((t) => [...t.consumers.values()]).filter((c) => c.kind === 'video');
  return JSON.stringify({
    producers: producers.map((p) => ({
      target: p.targetLayer(),
      layers: p.layers.map((l) => ({ rid: l.rid, ssrc: l.ssrc, packets: l.packets, bitrate: Math.round(l.bitrate) })),
    })),
    consumers: consumers.map((c) => ({ layer: c.layer, packets: c.packets, switches: c.layerSwitches })),
  });
}

test('Chromium simulcast through WHIP: the WHEP player gets the best layer, steps down to ½ when it stops, and back up', async () => {
  const room = uniqueRoom('simulcast');
  const camera = await h.person('Camera');
  await camera.page.goto(h.url);
  await camera.page.evaluate(PAGE_HELPERS);
  const published = (await camera.page.evaluate(
    `window.whipSimulcast(${JSON.stringify(`${h.url}/whip/${room}`)})`,
  )) as {
    participantId: string;
    answer: string;
  };
  // The answer accepts the three layers (RFC 8853 §5.3: recv direction, same order).
  assert.match(published.answer, /a=simulcast:recv q;h;f/);
  for (const rid of ['q', 'h', 'f']) assert.match(published.answer, new RegExp(`a=rid:${rid} recv`));

  const player = await h.person('Player');
  await player.page.goto(h.url);
  await player.page.evaluate(PAGE_HELPERS);
  await player.page.evaluate(
    `window.whep(${JSON.stringify(`${h.url}/whep/${room}?participant=${published.participantId}`)})`,
  );

  // Chromium turns the layers on as its bandwidth estimate (fed by our transport-cc) grows.
  const full = await playsAt(player.page, 1280, 'the full layer (1280 px) decoded at the player', room, camera.page);
  const producer = [...(h.server.sfu?.service.routerFor(room)?.transports.values() ?? [])]
    .flatMap((t) => [...t.producers.values()])
    .find((p) => p.kind === 'video');
  assert.ok(producer?.simulcast, 'a simulcast producer');
  assert.deepEqual(
    producer.layers.map((l) => [l.rid, l.ssrc !== undefined]),
    [
      ['q', true],
      ['h', true],
      ['f', true],
    ],
    'every layer SSRC learnt from the rid extension',
  );

  // The publisher stops the full layer: the player moves to the half layer, same SSRC.
  await camera.page.evaluate(`window.setLayerActive('f', false)`);
  const half = await playsAt(player.page, 640, 'the half layer (640 px) after the full one stopped', room, camera.page);
  assert.equal(half.ssrc, full.ssrc, 'one continuous stream for the player');
  assert.ok(half.frames > full.frames);

  // And back up when it returns.
  await camera.page.evaluate(`window.setLayerActive('f', true)`);
  await playsAt(player.page, 1280, 'the full layer again after it returned', room, camera.page);
  const consumer = [...(h.server.sfu?.service.routerFor(room)?.transports.values() ?? [])]
    .flatMap((t) => [...t.consumers.values()])
    .find((c) => c.kind === 'video');
  assert.ok(consumer !== undefined && consumer.layerSwitches >= 2, `layer switches: ${consumer?.layerSwitches}`);
});
