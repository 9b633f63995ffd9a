import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SdpError } from './errors.ts';
import { fixture } from './fixtures/index.ts';
import { LOCAL, SLOTS } from './fixtures/subscribe-slots.ts';
import { buildSubscribeOffer, parseSubscribeAnswer, type SubscribeSlot } from './offer.ts';
import { parseSdp } from './parse.ts';

test('subscribe offer: ice-lite, actpass, sendonly, msid and ssrc lines, FID for RTX, BUNDLE over active mids', () => {
  const sdp = buildSubscribeOffer({ local: LOCAL, sessionVersion: 4, slots: SLOTS });
  const d = parseSdp(sdp);
  assert.equal(d.iceLite, true);
  assert.equal(d.origin.sessionVersion, '4');
  assert.deepEqual(d.groups, [{ semantics: 'BUNDLE', mids: ['0', '1'] }]);
  assert.equal(d.extmapAllowMixed, false);
  const [audio, video, idle] = d.media;
  assert.ok(audio && video && idle);
  for (const m of [audio, video]) {
    assert.equal(m.setup, 'actpass');
    assert.equal(m.direction, 'sendonly');
    assert.equal(m.iceUfrag, LOCAL.ice.ufrag);
    assert.equal(m.rtcpMux, true);
    assert.equal(m.endOfCandidates, true);
    assert.equal(m.candidates.length, 2);
  }
  assert.deepEqual(audio.msids, [{ streamId: 'alice', trackId: 'p1' }]);
  assert.deepEqual(audio.ssrcs, [
    { ssrc: 1111, cname: 'alicecname', msid: { streamId: 'alice', trackId: 'p1' }, attributes: [] },
  ]);
  assert.deepEqual(audio.codecs, [SLOTS[0]?.codec]);
  assert.deepEqual(video.formats, ['96', '97']);
  assert.deepEqual(video.codecs[1], {
    payloadType: 97,
    name: 'rtx',
    clockRate: 90000,
    parameters: { apt: '96' },
    feedback: [],
  });
  assert.deepEqual(video.ssrcGroups, [{ semantics: 'FID', ssrcs: [2222, 2223] }]);
  assert.deepEqual(
    video.ssrcs.map((s) => [s.ssrc, s.cname, s.msid?.trackId]),
    [
      [2222, 'alicecname', 'p2'],
      [2223, 'alicecname', 'p2'],
    ],
  );
  assert.deepEqual(
    video.extensions.map((e) => e.id),
    [2, 3],
  );
  // The inactive slot: port 0, its mid, inactive, one format with its rtpmap — nothing else.
  assert.equal(idle.port, 0);
  assert.equal(idle.mid, '2');
  assert.equal(idle.direction, 'inactive');
  assert.deepEqual(idle.formats, ['96']);
  assert.deepEqual(idle.codecs, [{ payloadType: 96, name: 'VP8', clockRate: 90000, parameters: {}, feedback: [] }]);
  assert.equal(idle.iceUfrag, undefined);
  assert.deepEqual([idle.candidates, idle.ssrcs, idle.msids, idle.extensions], [[], [], [], []]);
});

test('subscribe offer: no BUNDLE group when no slot is active; extmap-allow-mixed for ids above 14', () => {
  const none = parseSdp(
    buildSubscribeOffer({ local: LOCAL, sessionVersion: 1, slots: SLOTS.map((s) => ({ ...s, active: false })) }),
  );
  assert.deepEqual(none.groups, []);
  assert.ok(none.media.every((m) => m.port === 0));
  const [s0] = SLOTS;
  assert.ok(s0);
  const wide = { ...s0, extensions: [{ id: 20, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' }] };
  assert.equal(
    parseSdp(buildSubscribeOffer({ local: LOCAL, sessionVersion: 1, slots: [wide] })).extmapAllowMixed,
    true,
  );
});

test('subscribe offer: invalid slots are sdp_bad_input', () => {
  const [s0, s1] = SLOTS;
  assert.ok(s0 && s1);
  const bad = (slots: SubscribeSlot[], sessionVersion = 1): void => {
    assert.throws(
      () => buildSubscribeOffer({ local: LOCAL, sessionVersion, slots }),
      (e: unknown) => e instanceof SdpError && e.code === 'sdp_bad_input',
    );
  };
  bad([s0, { ...s1, mid: '0' }]);
  bad([{ ...s0, mid: 'has space' }]);
  bad([{ ...s0, ssrc: 0 }]);
  bad([{ ...s0, ssrc: 2 ** 32 }]);
  bad([{ ...s1, rtxSsrc: undefined }]);
  bad([{ ...s1, rtxSsrc: s1.ssrc }]);
  bad([{ ...s1, rtx: { payloadType: 96 } }]);
  bad([{ ...s0, codec: { ...s0.codec, payloadType: 200 } }]);
  bad([{ ...s0, cname: '' }]);
  bad([{ ...s0, extensions: [{ id: 15, uri: 'urn:x' }] }]);
  bad([s0], -1);
  assert.throws(() => buildSubscribeOffer({ local: LOCAL, sessionVersion: 1, sessionId: 'x', slots: [s0] }), SdpError);
  assert.equal(
    parseSdp(buildSubscribeOffer({ local: LOCAL, sessionVersion: 1, sessionId: '42', slots: [s0] })).origin.sessionId,
    '42',
  );
  assert.throws(
    () =>
      buildSubscribeOffer({
        local: { ...LOCAL, fingerprint: { algorithm: 'sha-256', value: 'nope' } },
        sessionVersion: 1,
        slots: [s0],
      }),
    (e: unknown) => e instanceof SdpError && e.code === 'sdp_bad_input',
  );
  // An inactive slot needs no SSRC or cname.
  buildSubscribeOffer({ local: LOCAL, sessionVersion: 1, slots: [{ ...s0, active: false, ssrc: 0, cname: '' }] });
});

test("parseSubscribeAnswer: Chromium's answer gives the remote transport; port 0 / inactive answers are rejections", () => {
  const answer = fixture('chromium-subscribe-answer');
  const r = parseSubscribeAnswer(answer, SLOTS);
  assert.deepEqual(r, {
    remote: {
      ice: { ufrag: 'bW01', pwd: 'lIWfiq5VAA3eJURv5LCTbqlt' },
      fingerprints: [
        {
          algorithm: 'sha-256',
          value: '54:5B:59:6B:8C:9C:00:BA:E6:04:E6:E5:B4:54:EA:55:DD:F4:41:A5:22:7F:71:9C:2F:7F:43:1F:2D:CB:6A:91',
        },
      ],
      setup: 'active',
    },
    rejectedMids: [],
    acceptedMids: ['0', '1'],
  });
  const rejectAudio = answer.replace('m=audio 9 ', 'm=audio 0 ').replace('a=group:BUNDLE 0 1', 'a=group:BUNDLE 1');
  const r2 = parseSubscribeAnswer(rejectAudio, SLOTS);
  assert.deepEqual([r2.rejectedMids, r2.acceptedMids], [['0'], ['1']]);
  assert.equal(r2.remote.ice.ufrag, 'bW01');
  const inactive = answer.replace('a=recvonly', 'a=inactive');
  assert.deepEqual(parseSubscribeAnswer(inactive, SLOTS).rejectedMids, ['0']);
});

test('a Chromium CNAME with + and / is written as is (RFC 5576 §6.1 byte-string)', () => {
  const sdp = buildSubscribeOffer({
    local: {
      ice: { ufrag: 'abcdabcdabcdabcd', pwd: 'abcdabcdabcdabcdabcdabcdabcdabcd' },
      fingerprint: { algorithm: 'sha-256', value: Array(32).fill('AB').join(':') },
      candidates: [{ protocol: 'udp', address: '127.0.0.1', port: 7882 }],
      iceLite: true,
    },
    sessionVersion: 1,
    slots: [
      {
        mid: '0',
        kind: 'audio',
        active: true,
        codec: { payloadType: 111, name: 'opus', clockRate: 48000, channels: 2, parameters: {}, feedback: [] },
        ssrc: 1234,
        cname: 'a8Hk2/XQz+Q0bWmK',
        streamId: 'p_abc',
        trackId: 'p1',
        extensions: [],
      },
    ],
  });
  assert.match(sdp, /a=ssrc:1234 cname:a8Hk2\/XQz\+Q0bWmK/);
});
