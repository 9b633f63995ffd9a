/**
 * Simulcast through the SFU (RFC 8853) with Chromium on both ends: a page publishes its
 * fake camera (1280×720) through WHIP as three VP8 encodings (rids q, h, f at ¼, ½ and
 * full resolution: what OBS and browsers with simulcast send; at 640×480 Chromium sends
 * only two), and a second page plays the
 * room through WHEP. The SFU learns each layer's SSRC from the rid extension, forwards
 * the best active layer — the player's decoder reaches full width — and when the
 * publisher turns the full layer off, the SFU moves the player to the half layer at a
 * keyframe (the decoder keeps decoding, at half width), and back up when it returns.
 * Then the web app: a person joins an sfu room with `?simulcast=1` (the SDK's
 * `RoomOptions.simulcast`), and another person's `room.setVideoQuality` moves what they
 * decode between the lowest and the full layer.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { Page } from 'playwright-core';
import { Harness, uniqueRoom, waitFor } from './harness/index.ts';
import { joinWithQuery } from './harness/sfu.ts';
import { WHIP_EXCHANGE_JS } from './harness/whip-page.ts';

let h: Harness;
before(async () => {
  h = await Harness.start({ server: { sfu: true } });
});
after(() => h?.close());

const PAGE_HELPERS = `${WHIP_EXCHANGE_JS}
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

/** In the web app: the decoded width and frame count of `name`'s camera, and their participant id. */
function cameraOf(page: Page, name: string): Promise<{ id: string; width: number; frames: number } | undefined> {
  return page.evaluate(async (who) => {
    type PcLike = { getStats(): Promise<{ forEach(cb: (e: Record<string, unknown>) => void): void }> };
    type RemoteLike = { id: string; name: string; cameraStream: { getTracks(): { id: string }[] } | null };
    type RoomLike = { peerConnections: PcLike[]; participants: Map<string, RemoteLike> };
    const room = (globalThis as unknown as { itda?: { room?: RoomLike } }).itda?.room;
    const remote = [...(room?.participants.values() ?? [])].find((p) => p.name === who);
    if (room === undefined || remote === undefined) return undefined;
    const tracks = new Set((remote.cameraStream?.getTracks() ?? []).map((t) => t.id));
    let width = 0;
    let frames = 0;
    for (const pc of room.peerConnections) {
      (await pc.getStats()).forEach((e) => {
        if (e.type !== 'inbound-rtp' || e.kind !== 'video' || !tracks.has(String(e.trackIdentifier ?? ''))) return;
        width = Number(e.frameWidth ?? 0);
        frames = Number(e.framesDecoded ?? 0);
      });
    }
    return { id: remote.id, width, frames };
  }, name);
}

/**
 * Waits until `page` decodes `name`'s camera at `width` pixels, frames still coming. On a
 * timeout the error names the last reading and what `serverState` says then (the SFU's
 * side: the consumer's layer and rank, the producer's ranking), not the first reading.
 */
async function decodesAt(
  page: Page,
  name: string,
  width: number,
  what: string,
  serverState: () => unknown = () => undefined,
): Promise<void> {
  let last = await cameraOf(page, name);
  try {
    await waitFor(
      async () => {
        const now = await cameraOf(page, name);
        const moving = now !== undefined && last !== undefined && now.frames > last.frames;
        last = now;
        return moving && now?.width === width ? true : undefined;
      },
      { timeoutMs: 40_000, intervalMs: 500, what },
    );
  } catch (err) {
    throw new Error(`${String(err)}; last reading ${JSON.stringify(last)}; SFU ${JSON.stringify(serverState())}`);
  }
}

test('web app: the SDK publishes simulcast (?simulcast=1); each tile gets the layer its size needs, and setVideoQuality overrides it', async () => {
  const room = uniqueRoom('simulcast-app');
  const ada = await h.person('Ada');
  const bea = await h.person('Bea');
  await joinWithQuery(ada.page, h.url, room, 'Ada', 'simulcast=1');
  await joinWithQuery(bea.page, h.url, room, 'Bea', '');
  const seen = await waitFor(async () => (await cameraOf(bea.page, 'Ada'))?.id, {
    timeoutMs: 20_000,
    intervalMs: 250,
    what: "Ada's tile at Bea",
  });
  const producer = [...(h.server.sfu?.service.routerFor(room)?.transports.values() ?? [])]
    .flatMap((t) => [...t.producers.values()])
    .find((p) => p.kind === 'video' && p.participantId === seen);
  assert.ok(producer?.simulcast, "Ada's camera arrives as simulcast layers");
  assert.deepEqual(
    producer.layers.map((l) => l.rid),
    ['q', 'h', 'f'],
  );
  // The app asked for the quality Ada's tile needs at Bea (width in device pixels → layer).
  // What the SFU forwards to Bea, for a failure message.
  const sfuSide = () => {
    const consumer = [...(h.server.sfu?.service.routerFor(room)?.transports.values() ?? [])]
      .flatMap((t) => [...t.consumers.values()])
      .find((c) => c.producer === producer);
    return {
      layer: consumer?.layer,
      preferredRank: consumer?.preferredRank,
      target: consumer === undefined ? undefined : producer.targetLayer(consumer.preferredRank),
      layerSwitches: consumer?.layerSwitches,
    };
  };
  const tileWidth = (await bea.page.evaluate(
    `document.querySelector('[data-participant-id="${seen}"]').getBoundingClientRect().width * devicePixelRatio`,
  )) as number;
  const auto = tileWidth >= 640 ? 1280 : tileWidth >= 320 ? 640 : 320;
  await decodesAt(bea.page, 'Ada', auto, `the layer for Ada's ${Math.round(tileWidth)} px tile at Bea`, sfuSide);
  const setQuality = (quality: string): Promise<unknown> =>
    bea.page.evaluate(
      ([id, q]) =>
        (
          globalThis as unknown as { itda: { room: { setVideoQuality(id: string, q: string): void } } }
        ).itda.room.setVideoQuality(id as string, q as string),
      [seen, quality],
    );
  await setQuality('low');
  await decodesAt(bea.page, 'Ada', 320, "Ada's lowest layer (320 px) at Bea", sfuSide);
  await setQuality('high');
  await decodesAt(bea.page, 'Ada', 1280, "Ada's full layer (1280 px) at Bea", sfuSide);
});
