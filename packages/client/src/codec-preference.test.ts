import assert from 'node:assert/strict';
import { afterEach, test } from 'node:test';
import { silentLogger } from '@itda/common';
import { codecPreferences, isVideoCodec, preferVideoCodec } from './codec-preference.ts';
import { FakeTransceiver } from './testing.ts';

type Caps = { codecs: { mimeType: string; clockRate: number; sdpFmtpLine?: string }[] };
const g = globalThis as unknown as Record<string, unknown>;

function browser(send: string[], receive: string[]): void {
  const caps = (names: string[]): Caps => ({
    codecs: names.map((n, i) => ({ mimeType: n, clockRate: 90_000, sdpFmtpLine: `x=${i}` })),
  });
  g.RTCRtpSender = { getCapabilities: () => caps(send) };
  g.RTCRtpReceiver = { getCapabilities: () => caps(receive) };
}

afterEach(() => {
  delete g.RTCRtpSender;
  delete g.RTCRtpReceiver;
});

test('isVideoCodec: the four names, nothing else', () => {
  for (const c of ['vp8', 'vp9', 'h264', 'av1']) assert.ok(isVideoCodec(c));
  for (const c of ['VP8', 'opus', '', null, undefined, 3]) assert.ok(!isVideoCodec(c));
});

test('codecPreferences: only the chosen codec’s entries (all profiles) and RTX, from the receiver capabilities', () => {
  const all = ['video/VP8', 'video/rtx', 'video/H264', 'video/H264', 'video/VP9', 'video/red', 'video/ulpfec'];
  browser(all, all);
  assert.deepEqual(
    codecPreferences('h264')?.map((c) => `${c.mimeType} ${c.sdpFmtpLine}`),
    ['video/H264 x=2', 'video/H264 x=3', 'video/rtx x=1'],
  );
  assert.deepEqual(
    codecPreferences('vp9')?.map((c) => c.mimeType),
    ['video/VP9', 'video/rtx'],
  );
});

test('codecPreferences: undefined when the browser cannot send the codec, or has no capabilities API', () => {
  assert.equal(codecPreferences('vp8'), undefined); // no RTCRtpSender at all
  browser(['video/VP8', 'video/rtx'], ['video/VP8', 'video/rtx', 'video/H264']);
  assert.equal(codecPreferences('h264'), undefined, 'decodable but not encodable');
});

test('preferVideoCodec: set on sending video transceivers only; unsupported codec leaves the defaults', () => {
  browser(['video/VP8', 'video/AV1', 'video/rtx'], ['video/VP8', 'video/AV1', 'video/rtx']);
  const set = new Map<FakeTransceiver, string[]>();
  const make = (kind: string, stopped = false): FakeTransceiver => {
    const t = new FakeTransceiver(kind, { id: kind, kind }, 'sendonly');
    if (stopped) t.stop();
    (t as unknown as { setCodecPreferences(c: { mimeType: string }[]): void }).setCodecPreferences = (c) =>
      set.set(
        t,
        c.map((x) => x.mimeType),
      );
    return t;
  };
  const audio = make('audio');
  const camera = make('video');
  const stopped = make('video', true);
  // The fake has only what preferVideoCodec uses; the cast stands in for the DOM type.
  const pc = { getTransceivers: () => [audio, camera, stopped] } as unknown as RTCPeerConnection;
  preferVideoCodec(pc, 'av1', silentLogger);
  assert.deepEqual([...set], [[camera, ['video/AV1', 'video/rtx']]]);
  set.clear();
  preferVideoCodec(pc, 'h264', silentLogger);
  assert.equal(set.size, 0);
});
