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
 *
 * Which layers Chromium sends depends on its bandwidth estimate and CPU: on a busy
 * machine the full layer may never come. So each check compares with the layers the
 * publisher is sending at that moment (its `outbound-rtp` frames growing), which is
 * what the SFU is responsible for: the widest of them, or the one a rank asks for.
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

/** One simulcast encoding as the publisher's `outbound-rtp` shows it. */
interface SentLayer {
  width: number;
  frames: number;
  limit?: string;
  active?: boolean;
}

/**
 * Which layers a publisher is sending right now: those whose `framesEncoded` grew since
 * the previous reading. Chromium turns layers on and off by its bandwidth estimate (and
 * CPU), so on a busy machine the full layer may never come; what the SFU controls is that
 * a subscriber gets the layer it should among those that do.
 */
class SendingLayers {
  #previous: Record<string, SentLayer> = {};
  last: Record<string, SentLayer> = {};
  readonly #read: () => Promise<Record<string, SentLayer>>;
  constructor(read: () => Promise<Record<string, SentLayer>>) {
    this.#read = read;
  }
  /** Widths of the layers sending now, widest first (empty on the first reading). */
  async widths(): Promise<number[]> {
    const now = await this.#read();
    const growing = Object.entries(now)
      .filter(([rid, l]) => l.width > 0 && l.frames > (this.#previous[rid]?.frames ?? Number.POSITIVE_INFINITY))
      .map(([, l]) => l.width);
    this.#previous = now;
    this.last = now;
    return growing.sort((a, b) => b - a);
  }
}

/** The WHIP page's layers (`window.sentLayers()`, without its `bwe` entry). */
async function whipLayers(page: Page): Promise<Record<string, SentLayer>> {
  const all = (await page.evaluate('window.sentLayers()')) as Record<string, SentLayer | number>;
  const out: Record<string, SentLayer> = {};
  for (const [k, v] of Object.entries(all)) if (typeof v === 'object') out[k] = v;
  return out;
}

/**
 * Waits until the player decodes, with frames still coming, at the width `want` picks
 * from the publisher's sending layers (widest first); `want` returns undefined while
 * the layers do not allow the check yet.
 */
async function playsAs(
  page: Page,
  layers: SendingLayers,
  want: (widths: number[]) => number | undefined,
  what: string,
  room: string,
): Promise<Played & { sending: number[] }> {
  let last = await played(page);
  let sending: number[] = [];
  await layers.widths();
  try {
    return await waitFor(
      async () => {
        sending = await layers.widths();
        const now = await played(page);
        const moving = now.frames > last.frames;
        last = now;
        const width = want(sending);
        return moving && width !== undefined && now.width === width ? { ...now, sending } : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what },
    );
  } catch (err) {
    throw new Error(
      `${(err as Error).message}; player ${JSON.stringify(last)}; sending ${JSON.stringify(sending)}; publisher ${JSON.stringify(layers.last)}; ${sfuState(room)}`,
    );
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

test('Chromium simulcast through WHIP: the WHEP player gets the widest layer sent, moves off it when it stops, and back when it returns', async () => {
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

  // Chromium turns the layers on as its bandwidth estimate (fed by our transport-cc) grows;
  // the player gets the widest one sent, once at least two are (so that there is a step).
  const layers = new SendingLayers(() => whipLayers(camera.page));
  const best = await playsAs(
    player.page,
    layers,
    (w) => (w.length >= 2 ? w[0] : undefined),
    'the widest layer sent (of two or more) decoded at the player',
    room,
  );
  const producer = [...(h.server.sfu?.service.routerFor(room)?.transports.values() ?? [])]
    .flatMap((t) => [...t.producers.values()])
    .find((p) => p.kind === 'video');
  assert.ok(producer?.simulcast, 'a simulcast producer');
  assert.deepEqual(
    producer.layers.map((l) => l.rid),
    ['q', 'h', 'f'],
  );
  const videoConsumer = () =>
    [...(h.server.sfu?.service.routerFor(room)?.transports.values() ?? [])]
      .flatMap((t) => [...t.consumers.values()])
      .find((c) => c.kind === 'video');
  // The layer the SFU forwards names the top rid (widths are not names: under CPU load
  // Chromium scales its layers, and two layers can come to have one width).
  const topIndex = videoConsumer()?.layer ?? -1;
  const top = ['q', 'h', 'f'][topIndex];
  assert.ok(top !== undefined, `the SFU forwards a layer (${topIndex}) while the player decodes ${best.width} px`);
  for (const rid of ['q', 'h', 'f'].slice(0, ['q', 'h', 'f'].indexOf(top) + 1)) {
    assert.ok(
      producer.layers.find((l) => l.rid === rid)?.ssrc !== undefined,
      `layer ${rid}'s SSRC learnt from the rid`,
    );
  }

  // The publisher stops that layer: the SFU forwards another — the widest still sent,
  // which may be one Chromium turns on meanwhile — on the same SSRC for the player.
  const forwardedWidth = (ok: (layer: number) => boolean) => (): number | undefined => {
    const layer = videoConsumer()?.layer;
    const rid = layer === undefined ? undefined : ['q', 'h', 'f'][layer];
    const sent = rid === undefined ? undefined : layers.last[rid];
    return layer !== undefined && ok(layer) && sent !== undefined && sent.width > 0 ? sent.width : undefined;
  };
  await camera.page.evaluate(`window.setLayerActive(${JSON.stringify(top)}, false)`);
  const lower = await playsAs(
    player.page,
    layers,
    forwardedWidth((layer) => layer >= 0 && layer !== topIndex),
    `another layer than ${top} forwarded and decoded after ${top} stopped`,
    room,
  );
  assert.equal(lower.ssrc, best.ssrc, 'one continuous stream for the player');
  assert.ok(lower.frames > best.frames);
  const afterStop = videoConsumer()?.layer ?? -1;
  const switchesAfterStop = videoConsumer()?.layerSwitches ?? 0;

  // And when it returns, the SFU forwards the widest layer sent then (Chromium decides what
  // it sends): the stopped one again, or one it turned on meanwhile.
  await camera.page.evaluate(`window.setLayerActive(${JSON.stringify(top)}, true)`);
  const again = await playsAs(
    player.page,
    layers,
    forwardedWidth(
      (layer) =>
        layer === producer.targetLayer() && (layers.last[top]?.width ?? 0) > 0 && (layers.last[top]?.active ?? false),
    ),
    `the widest layer forwarded and decoded once ${top} returned`,
    room,
  );
  assert.equal(again.ssrc, best.ssrc);
  const consumer = videoConsumer();
  assert.ok(consumer !== undefined && switchesAfterStop >= 1, `a switch off ${top}: ${switchesAfterStop}`);
  // Every change of the forwarded layer was a switch at a keyframe, counted.
  const moved = consumer.layer !== afterStop ? 1 : 0;
  assert.ok(consumer.layerSwitches >= switchesAfterStop + moved, `layer switches: ${consumer.layerSwitches}`);
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

/** The web app's publish connection's simulcast layers, as `outbound-rtp` per rid. */
function appLayers(page: Page): Promise<Record<string, SentLayer>> {
  return page.evaluate(async () => {
    type PcLike = { getStats(): Promise<{ forEach(cb: (e: Record<string, unknown>) => void): void }> };
    const pcs = (globalThis as unknown as { itda: { room: { peerConnections: PcLike[] } } }).itda.room.peerConnections;
    const out: Record<string, { width: number; frames: number }> = {};
    (await pcs[0]?.getStats())?.forEach((e) => {
      if (e.type === 'outbound-rtp' && e.kind === 'video' && typeof e.rid === 'string') {
        out[e.rid] = { width: Number(e.frameWidth ?? 0), frames: Number(e.framesEncoded ?? 0) };
      }
    });
    return out;
  });
}

/**
 * The width a subscriber asking for `rank` (0 the best, as `QUALITY_RANK`) should decode:
 * the SFU ranks the layers being sent and takes the one `rank` below the top, or the
 * lowest when fewer are sent.
 */
function widthForRank(sending: number[], rank: number): number | undefined {
  return sending.length === 0 ? undefined : sending[Math.min(rank, sending.length - 1)];
}

/**
 * Waits until `page` decodes `name`'s camera, frames still coming, at the width `want`
 * picks from the layers the publisher is sending (widest first). On a timeout the error
 * names the last readings and what `serverState` says then (the SFU's side).
 */
async function decodesAs(
  page: Page,
  name: string,
  layers: SendingLayers,
  want: (sending: number[]) => number | undefined,
  what: string,
  serverState: () => unknown = () => undefined,
): Promise<void> {
  let last = await cameraOf(page, name);
  let sending: number[] = [];
  await layers.widths();
  try {
    await waitFor(
      async () => {
        sending = await layers.widths();
        const now = await cameraOf(page, name);
        const moving = now !== undefined && last !== undefined && now.frames > last.frames;
        last = now;
        const width = want(sending);
        return moving && width !== undefined && now?.width === width ? true : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 500, what },
    );
  } catch (err) {
    throw new Error(
      `${String(err)}; last reading ${JSON.stringify(last)}; sending ${JSON.stringify(sending)}; publisher ${JSON.stringify(layers.last)}; SFU ${JSON.stringify(serverState())}`,
    );
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
  // The app asks `high` from 640 device px, `medium` from 320 (ranks 0 and 1), else `low`.
  const autoRank = tileWidth >= 640 ? 0 : tileWidth >= 320 ? 1 : 2;
  const layers = new SendingLayers(() => appLayers(ada.page));
  await decodesAs(
    bea.page,
    'Ada',
    layers,
    (w) => widthForRank(w, autoRank),
    `the layer for Ada's ${Math.round(tileWidth)} px tile at Bea (rank ${autoRank})`,
    sfuSide,
  );
  const setQuality = (quality: string): Promise<unknown> =>
    bea.page.evaluate(
      ([id, q]) =>
        (
          globalThis as unknown as { itda: { room: { setVideoQuality(id: string, q: string): void } } }
        ).itda.room.setVideoQuality(id as string, q as string),
      [seen, quality],
    );
  await setQuality('low');
  await decodesAs(bea.page, 'Ada', layers, (w) => widthForRank(w, 2), "Ada's lowest layer sent, at Bea", sfuSide);
  await setQuality('high');
  await decodesAs(bea.page, 'Ada', layers, (w) => widthForRank(w, 0), "Ada's widest layer sent, at Bea", sfuSide);
});
