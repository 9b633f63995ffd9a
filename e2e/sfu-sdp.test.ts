/**
 * The SFU's SDP against the real browser (the "acid test" of packages/sfu/src/sdp):
 * Chromium must accept our publish answers to its own offers (plain, with tracks and
 * simulcast, each video codec alone, a data channel first, a renegotiation), and our
 * subscribe offers — including one that rejects the BUNDLE-tagged m-line and one that
 * recycles it with a fresh mid — and its answers must pass `parseSubscribeAnswer`.
 * No media flows: only offer/answer. The candidates name 127.0.0.1.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  answerPublishOffer,
  buildSubscribeOffer,
  type LocalTransportParams,
  parseSdp,
  parseSubscribeAnswer,
  type SubscribeSlot,
} from '@itda/sfu/sdp';
import type { Browser, Page } from 'playwright-core';
import { launchBrowser, waitFor } from './harness/index.ts';

const LOCAL: LocalTransportParams = {
  ice: { ufrag: 'Sfu0ufrag0000001', pwd: 'Sfu0pwd0000000000000000000000001' },
  fingerprint: {
    algorithm: 'sha-256',
    value: '3A:1F:5C:77:08:9B:AA:10:4E:2D:61:C3:9F:00:12:34:56:78:9A:BC:DE:F0:11:22:33:44:55:66:77:88:99:AA',
  },
  candidates: [
    { protocol: 'udp', address: '127.0.0.1', port: 45_678 },
    { protocol: 'tcp', address: '127.0.0.1', port: 45_679, tcpType: 'passive' },
  ],
  iceLite: true,
};

/** Page-side helpers, plain JavaScript (the page has no TypeScript). */
const PAGE_LIB = `
window.t = {
  pcs: {},
  tracks: [],
  media() {
    const cv = document.createElement('canvas'); cv.width = 320; cv.height = 240;
    cv.getContext('2d').fillRect(0, 0, 10, 10);
    const ac = new AudioContext(); const osc = ac.createOscillator(); const dst = ac.createMediaStreamDestination();
    osc.connect(dst);
    return new MediaStream([...dst.stream.getAudioTracks(), ...cv.captureStream(10).getVideoTracks()]);
  },
  async publishOffer(id, o) {
    const pc = new RTCPeerConnection(); this.pcs[id] = pc;
    if (o.dataFirst) pc.createDataChannel('chat');
    const stream = o.withTracks ? this.media() : undefined;
    pc.addTransceiver(stream ? stream.getAudioTracks()[0] : 'audio', { direction: 'sendonly', streams: stream ? [stream] : [] });
    const init = { direction: 'sendonly', streams: stream ? [stream] : [] };
    if (o.simulcast) init.sendEncodings = [{ rid: 'q', scaleResolutionDownBy: 4 }, { rid: 'h', scaleResolutionDownBy: 2 }, { rid: 'f' }];
    const v = pc.addTransceiver(stream ? stream.getVideoTracks()[0] : 'video', init);
    if (o.codec) {
      const all = RTCRtpSender.getCapabilities('video').codecs;
      v.setCodecPreferences(all.filter((c) => c.mimeType.toLowerCase() === 'video/' + o.codec.toLowerCase() || c.mimeType === 'video/rtx'));
    }
    if (!o.dataFirst && !o.noData) pc.createDataChannel('chat');
    await pc.setLocalDescription(await pc.createOffer());
    return pc.localDescription.sdp;
  },
  async addScreen(id) {
    const pc = this.pcs[id];
    pc.addTransceiver('video', { direction: 'sendonly' });
    await pc.setLocalDescription(await pc.createOffer());
    return pc.localDescription.sdp;
  },
  async setAnswer(id, sdp) {
    const pc = this.pcs[id];
    await pc.setRemoteDescription({ type: 'answer', sdp });
    return pc.getTransceivers().map((x) => ({ mid: x.mid, currentDirection: x.currentDirection }));
  },
  async subscribe(id, sdp) {
    let pc = this.pcs[id];
    if (!pc) {
      pc = new RTCPeerConnection(); this.pcs[id] = pc;
      pc.ontrack = (e) => this.tracks.push({ mid: e.transceiver.mid, kind: e.track.kind, streams: e.streams.map((s) => s.id) });
    }
    await pc.setRemoteDescription({ type: 'offer', sdp });
    await pc.setLocalDescription(await pc.createAnswer());
    return pc.localDescription.sdp;
  },
  transceivers(id) {
    return this.pcs[id].getTransceivers().map((x) => ({ mid: x.mid, currentDirection: x.currentDirection }));
  },
};
true;
`;

let browser: Browser;
let page: Page;
before(async () => {
  browser = await launchBrowser();
  page = await browser.newPage();
  await page.goto('about:blank');
  await page.evaluate(PAGE_LIB);
});
after(async () => {
  await page?.evaluate('for (const pc of Object.values(window.t.pcs)) pc.close(); true').catch(() => {});
  await browser?.close();
});

interface PublishOptions {
  withTracks?: boolean;
  simulcast?: boolean;
  codec?: string;
  dataFirst?: boolean;
  noData?: boolean;
}

async function publishOffer(id: string, o: PublishOptions): Promise<string> {
  return page.evaluate(`window.t.publishOffer(${JSON.stringify(id)}, ${JSON.stringify(o)})`);
}

async function setAnswer(id: string, sdp: string): Promise<{ mid: string | null; currentDirection: string | null }[]> {
  return page.evaluate(`window.t.setAnswer(${JSON.stringify(id)}, ${JSON.stringify(sdp)})`);
}

test('publish: Chromium accepts the answer to its audio + video + data channel offer', async () => {
  const offer = await publishOffer('p1', {});
  const result = answerPublishOffer(offer, LOCAL);
  const state = await setAnswer('p1', result.sdp);
  assert.deepEqual(
    state.map((s) => [s.mid, s.currentDirection]),
    [
      ['0', 'sendonly'],
      ['1', 'sendonly'],
    ],
  );
  assert.deepEqual(
    result.tracks.map((t) => [t.mid, t.kind, t.codec.name]),
    [
      ['0', 'audio', 'opus'],
      ['1', 'video', 'VP8'],
    ],
  );
  assert.equal(result.tracks[1]?.rtx?.payloadType !== undefined, true);
  assert.equal(result.remote.setup, 'actpass');
  assert.equal(parseSdp(result.sdp).media[2]?.port, 0, 'the data channel is rejected');
});

test('publish: real tracks with three simulcast layers', async () => {
  const offer = await publishOffer('p2', { withTracks: true, simulcast: true });
  const result = answerPublishOffer(offer, LOCAL);
  const state = await setAnswer('p2', result.sdp);
  assert.equal(state[1]?.currentDirection, 'sendonly');
  const video = result.tracks.find((t) => t.kind === 'video');
  assert.deepEqual(video?.rids, ['q', 'h', 'f']);
  assert.ok(video?.msid?.streamId !== undefined && video.msid.streamId !== '-');
  assert.deepEqual(parseSdp(result.sdp).media[1]?.simulcast, { recv: [['q'], ['h'], ['f']] });
});

for (const codec of ['H264', 'VP9', 'AV1']) {
  test(`publish: an offer with only ${codec} is answered with ${codec} + RTX`, async () => {
    const offer = await publishOffer(`c-${codec}`, { codec, noData: true });
    const result = answerPublishOffer(offer, LOCAL);
    await setAnswer(`c-${codec}`, result.sdp);
    const video = result.tracks.find((t) => t.kind === 'video');
    assert.equal(video?.codec.name, codec);
    assert.ok(video?.rtx !== undefined);
    if (codec === 'H264') {
      assert.equal(video?.codec.parameters['packetization-mode'], '1');
      assert.equal(video?.codec.parameters['profile-level-id']?.toLowerCase(), '42e01f');
    }
  });
}

test('publish: a data channel created first and a renegotiation adding screen share', async () => {
  const offer = await publishOffer('p3', { dataFirst: true });
  const result = answerPublishOffer(offer, LOCAL);
  assert.equal(parseSdp(result.sdp).media.find((m) => m.kind === 'application')?.port, 0);
  const state = await setAnswer('p3', result.sdp);
  assert.deepEqual(
    state.map((s) => s.currentDirection),
    ['sendonly', 'sendonly'],
  );
  const offer2: string = await page.evaluate(`window.t.addScreen('p3')`);
  const result2 = answerPublishOffer(offer2, LOCAL);
  assert.equal(result2.tracks.length, 3);
  const state2 = await setAnswer('p3', result2.sdp);
  assert.deepEqual(
    state2.map((s) => s.currentDirection),
    ['sendonly', 'sendonly', 'sendonly'],
  );
});

test('publish: a data-channel-only offer (every m-line rejected), then tracks added behind the rejected tag', async () => {
  const offer: string = await page.evaluate(`(async () => {
    const pc = new RTCPeerConnection(); window.t.pcs.dc = pc; pc.createDataChannel('x');
    await pc.setLocalDescription(await pc.createOffer()); return pc.localDescription.sdp; })()`);
  const result = answerPublishOffer(offer, LOCAL);
  assert.deepEqual(result.tracks, []);
  assert.deepEqual(parseSdp(result.sdp).groups, []);
  await setAnswer('dc', result.sdp);
  const offer2: string = await page.evaluate(`window.t.addScreen('dc')`);
  const result2 = answerPublishOffer(offer2, LOCAL);
  assert.deepEqual(parseSdp(result2.sdp).groups, [{ semantics: 'BUNDLE', mids: ['1'] }]);
  const state = await setAnswer('dc', result2.sdp);
  assert.deepEqual(
    state.map((s) => [s.mid, s.currentDirection]),
    [['1', 'sendonly']],
  );
});

test('subscribe: offers accepted, answers parsed, the tagged m-line rejected and then recycled with a fresh mid', async () => {
  // Codecs as a Chromium publisher negotiated them.
  const published = answerPublishOffer(await publishOffer('src', { noData: true }), LOCAL);
  const audio = published.tracks.find((t) => t.kind === 'audio');
  const video = published.tracks.find((t) => t.kind === 'video');
  assert.ok(audio !== undefined && video !== undefined);
  const ext = (uris: string[]): { id: number; uri: string }[] =>
    [...audio.extensions, ...video.extensions].filter(
      (e, i, all) => uris.includes(e.uri) && all.findIndex((x) => x.uri === e.uri) === i,
    );
  const downstream = ext([
    'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
    'urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  ]);
  const slots: SubscribeSlot[] = [
    {
      mid: '0',
      kind: 'audio',
      active: true,
      codec: audio.codec,
      ssrc: 1111,
      cname: 'alicecname',
      streamId: 'alice',
      trackId: 'p1',
      extensions: downstream,
    },
    {
      mid: '1',
      kind: 'video',
      active: true,
      codec: video.codec,
      rtx: video.rtx,
      ssrc: 2222,
      rtxSsrc: 2223,
      cname: 'alicecname',
      streamId: 'alice',
      trackId: 'p2',
      extensions: downstream.filter((e) => !e.uri.includes('audio-level')),
    },
  ];
  const round = async (version: number): Promise<ReturnType<typeof parseSubscribeAnswer>> => {
    const offer = buildSubscribeOffer({ local: LOCAL, sessionVersion: version, slots });
    const answer: string = await page.evaluate(`window.t.subscribe('sub', ${JSON.stringify(offer)})`);
    return parseSubscribeAnswer(answer, slots);
  };

  const first = await round(1);
  assert.deepEqual(first.rejectedMids, []);
  assert.equal(first.remote.fingerprints[0]?.algorithm, 'sha-256');
  const tracks = await waitFor(async () => {
    const list: { mid: string; kind: string; streams: string[] }[] = await page.evaluate('window.t.tracks');
    return list.length >= 2 ? list : undefined;
  });
  assert.deepEqual(
    tracks.map((t) => [t.mid, t.kind, t.streams]),
    [
      ['0', 'audio', ['alice']],
      ['1', 'video', ['alice']],
    ],
  );

  // The audio track ends: its m-line (the BUNDLE tag) goes to port 0.
  const [s0] = slots;
  assert.ok(s0 !== undefined);
  s0.active = false;
  const second = await round(2);
  assert.deepEqual(second.rejectedMids, []);
  const after2: { mid: string; currentDirection: string | null }[] =
    await page.evaluate("window.t.transceivers('sub')");
  // A stopped transceiver leaves getTransceivers() once the rejection is negotiated.
  assert.equal(after2.find((x) => x.mid === '0')?.currentDirection ?? 'stopped', 'stopped');

  // A new audio track recycles the slot with a fresh mid (as SubscribeNegotiator does: the
  // first port-0 slot of its kind whose rejection was answered).
  slots[0] = { ...s0, mid: '2', active: true, ssrc: 3333, trackId: 'p3', streamId: 'bob' };
  const third = await round(3);
  assert.deepEqual(third.rejectedMids, []);
  const tracks3 = await waitFor(async () => {
    const list: { mid: string; kind: string; streams: string[] }[] = await page.evaluate('window.t.tracks');
    return list.length >= 3 ? list : undefined;
  });
  assert.deepEqual(tracks3[2], { mid: '2', kind: 'audio', streams: ['bob'] });

  // Every track gone: all m-lines at port 0, no BUNDLE group.
  for (const s of slots) s.active = false;
  const fourth = await round(4);
  assert.deepEqual(fourth.rejectedMids, []);
});
