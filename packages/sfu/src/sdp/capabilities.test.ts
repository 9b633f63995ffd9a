import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerCodec, type CodecCapability, DEFAULT_CAPABILITIES, matchCodec, selectCodec } from './capabilities.ts';
import { fixture } from './fixtures/index.ts';
import { parseH264ProfileLevelId } from './h264.ts';
import { parseSdp } from './parse.ts';
import type { Codec } from './types.ts';

const cap = (name: string, plid?: string): CodecCapability => {
  const found = DEFAULT_CAPABILITIES.codecs.find(
    (c) => c.name === name && (plid === undefined || c.parameters['profile-level-id'] === plid),
  );
  assert.ok(found, name);
  return found;
};

const codec = (name: string, parameters: Record<string, string> = {}, extra: Partial<Codec> = {}): Codec => ({
  payloadType: 100,
  name,
  clockRate: name.toLowerCase() === 'opus' ? 48000 : 90000,
  parameters,
  feedback: [],
  ...extra,
});

test('H264 profile-level-id: profiles from the libwebrtc table, RFC 6184 default', () => {
  assert.deepEqual(parseH264ProfileLevelId('42e01f'), { profile: 'constrained-baseline', level: 0x1f });
  assert.deepEqual(parseH264ProfileLevelId('42001f'), { profile: 'baseline', level: 0x1f });
  assert.deepEqual(parseH264ProfileLevelId('4d001f'), { profile: 'main', level: 0x1f });
  assert.deepEqual(parseH264ProfileLevelId('640c1f'), { profile: 'constrained-high', level: 0x1f });
  assert.deepEqual(parseH264ProfileLevelId('640032'), { profile: 'high', level: 0x32 });
  assert.deepEqual(parseH264ProfileLevelId('4d8028')?.profile, 'constrained-baseline');
  assert.deepEqual(parseH264ProfileLevelId(undefined), { profile: 'baseline', level: 0x10 });
  assert.equal(parseH264ProfileLevelId('zzzzzz'), undefined);
  assert.equal(parseH264ProfileLevelId('ff001f'), undefined);
});

test('matchCodec: name (any case), clock rate, channels', () => {
  assert.equal(matchCodec(codec('opus', {}, { channels: 2 }), cap('opus')), true);
  assert.equal(matchCodec(codec('OPUS', {}, { channels: 2 }), cap('opus')), true);
  assert.equal(matchCodec(codec('opus'), cap('opus')), false, 'opus needs /2');
  assert.equal(matchCodec(codec('opus', {}, { channels: 2, clockRate: 16000 }), cap('opus')), false);
  assert.equal(matchCodec(codec('vp8'), cap('VP8')), true);
  assert.equal(matchCodec(codec('VP8', {}, { channels: 2 }), cap('VP8')), false);
});

test('matchCodec: H264 packetization-mode and profile must agree, the level may differ', () => {
  const cb = cap('H264', '42e01f');
  const h = (pm: string | undefined, plid: string): Codec =>
    codec('H264', { ...(pm === undefined ? {} : { 'packetization-mode': pm }), 'profile-level-id': plid });
  assert.equal(matchCodec(h('1', '42e01f'), cb), true);
  assert.equal(matchCodec(h('1', '42e034'), cb), true, 'level 5.2 still matches');
  assert.equal(matchCodec(h('1', '42e00a'), cb), true, 'level 1 still matches');
  assert.equal(matchCodec(h('0', '42e01f'), cb), false);
  assert.equal(matchCodec(h(undefined, '42e01f'), cb), false, 'absent packetization-mode is 0');
  assert.equal(matchCodec(h('1', '42001f'), cb), false, 'Baseline is not Constrained Baseline');
  assert.equal(matchCodec(h('1', '4d001f'), cap('H264', '4d001f')), true);
  assert.equal(matchCodec(h('1', '640c34'), cap('H264', '640c1f')), true);
  assert.equal(matchCodec(h('1', '640032'), cap('H264', '640c1f')), false, 'High is not Constrained High');
});

test('matchCodec: VP9 profile-id and AV1 profile (absent = 0)', () => {
  assert.equal(matchCodec(codec('VP9', { 'profile-id': '0' }), cap('VP9')), true);
  assert.equal(matchCodec(codec('VP9'), cap('VP9')), true);
  assert.equal(matchCodec(codec('VP9', { 'profile-id': '2' }), cap('VP9')), false);
  assert.equal(matchCodec(codec('AV1', { 'level-idx': '5', profile: '0', tier: '0' }), cap('AV1')), true);
  assert.equal(matchCodec(codec('AV1', { profile: '1' }), cap('AV1')), false);
});

test('answerCodec: H264 keeps the offered level (level-asymmetry-allowed only when offered), rtcp-fb intersected', () => {
  const offered = codec(
    'H264',
    { 'profile-level-id': '42e034', 'packetization-mode': '1', 'level-asymmetry-allowed': '1' },
    {
      feedback: [
        { type: 'nack' },
        { type: 'rrtr' },
        { type: 'nack', parameter: 'pli' },
        { type: 'nack', parameter: 'sli' },
      ],
    },
  );
  assert.deepEqual(answerCodec(offered, cap('H264', '42e01f')), {
    payloadType: 100,
    name: 'H264',
    clockRate: 90000,
    parameters: { 'level-asymmetry-allowed': '1', 'packetization-mode': '1', 'profile-level-id': '42e034' },
    feedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
  });
  const symmetric = codec('H264', { 'profile-level-id': '42e00a', 'packetization-mode': '1' });
  assert.deepEqual(answerCodec(symmetric, cap('H264', '42e01f')).parameters, {
    'packetization-mode': '1',
    'profile-level-id': '42e00a',
  });
  const opus = codec('opus', { minptime: '10', useinbandfec: '1', stereo: '1' }, { channels: 2, payloadType: 111 });
  assert.deepEqual(answerCodec(opus, cap('opus')).parameters, { minptime: '10', useinbandfec: '1' });
  assert.equal(answerCodec(opus, cap('opus')).channels, 2);
});

test('selectCodec: router preference order, first offered match, RTX kept paired', () => {
  const d = parseSdp(fixture('chromium-publish-offer'));
  const [audio, video] = d.media;
  assert.ok(audio && video);
  const a = selectCodec(audio);
  assert.equal(a?.codec.payloadType, 111);
  assert.equal(a?.rtx, undefined);
  const v = selectCodec(video);
  assert.deepEqual(
    [v?.codec.name, v?.codec.payloadType, v?.rtx?.payloadType, v?.rtx?.parameters.apt],
    ['VP8', 96, 97, '96'],
  );
  // Without VP8 and VP9, H264 Constrained Baseline packetization-mode 1 (108 in Chromium's offer), not 102 (Baseline).
  const h264First = { ...video, codecs: video.codecs.filter((c) => c.name !== 'VP8' && c.name !== 'VP9') };
  const h = selectCodec(h264First);
  assert.deepEqual([h?.codec.payloadType, h?.rtx?.payloadType], [108, 109]);
  // A router that prefers AV1.
  const av1First = { codecs: [cap('AV1'), cap('VP8')], extensions: [] };
  assert.equal(selectCodec(video, av1First)?.codec.name, 'AV1');
  // Nothing supported.
  assert.equal(
    selectCodec({ ...video, codecs: video.codecs.filter((c) => c.name === 'rtx' || c.name === 'red') }),
    undefined,
  );
  // RTX is not kept for a capability without it.
  const noRtx = { codecs: [{ ...cap('VP8'), rtx: false }], extensions: [] };
  assert.equal(selectCodec(video, noRtx)?.rtx, undefined);
});
