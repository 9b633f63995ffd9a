import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LOCAL } from './fixtures/subscribe-slots.ts';
import { parseSdp } from './parse.ts';
import { answerPlayOffer, type PlayTrack } from './play.ts';

/** A WHEP player's offer (Chromium-like): recvonly audio then video, its own payload types. */
const PLAYER_OFFER = [
  'v=0',
  'o=- 4611731400430051336 2 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE 0 1',
  'a=extmap-allow-mixed',
  'a=msid-semantic: WMS',
  'm=audio 9 UDP/TLS/RTP/SAVPF 109 0',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:plYr',
  'a=ice-pwd:playerpasswordplayerpassword',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99',
  'a=setup:actpass',
  'a=mid:0',
  'a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level',
  'a=recvonly',
  'a=rtcp-mux',
  'a=rtpmap:109 opus/48000/2',
  'a=rtcp-fb:109 transport-cc',
  'a=fmtp:109 minptime=10;useinbandfec=1',
  'a=rtpmap:0 PCMU/8000',
  'm=video 9 UDP/TLS/RTP/SAVPF 100 101 102 103',
  'c=IN IP4 0.0.0.0',
  'a=rtcp:9 IN IP4 0.0.0.0',
  'a=ice-ufrag:plYr',
  'a=ice-pwd:playerpasswordplayerpassword',
  'a=ice-options:trickle',
  'a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99',
  'a=setup:actpass',
  'a=mid:1',
  'a=extmap:3 http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
  'a=recvonly',
  'a=rtcp-mux',
  'a=rtcp-rsize',
  'a=rtpmap:100 H264/90000',
  'a=rtcp-fb:100 nack',
  'a=fmtp:100 level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
  'a=rtpmap:101 rtx/90000',
  'a=fmtp:101 apt=100',
  'a=rtpmap:102 VP8/90000',
  'a=rtcp-fb:102 goog-remb',
  'a=rtcp-fb:102 transport-cc',
  'a=rtcp-fb:102 ccm fir',
  'a=rtcp-fb:102 nack',
  'a=rtcp-fb:102 nack pli',
  'a=rtpmap:103 rtx/90000',
  'a=fmtp:103 apt=102',
  '',
].join('\r\n');

const VIDEO: PlayTrack = {
  kind: 'video',
  codec: {
    payloadType: 96,
    name: 'VP8',
    clockRate: 90000,
    parameters: {},
    feedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
  },
  rtx: { payloadType: 97 },
  ssrc: 1111,
  rtxSsrc: 2222,
  cname: 'pubcname',
  streamId: 'p_publisher',
  trackId: 'p7',
  extensions: [
    { id: 3, uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time' },
    { id: 4, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
  ],
};

const AUDIO: PlayTrack = {
  kind: 'audio',
  codec: {
    payloadType: 111,
    name: 'opus',
    clockRate: 48000,
    channels: 2,
    parameters: { minptime: '10', useinbandfec: '1' },
    feedback: [],
  },
  ssrc: 3333,
  cname: 'pubcname',
  streamId: 'p_publisher',
  trackId: 'p6',
  extensions: [{ id: 2, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' }],
};

test('play answer: sendonly with the player payload types, RTX, ssrc lines, msid, passive, ice-lite, candidates', () => {
  const { sdp, remote, placements } = answerPlayOffer(PLAYER_OFFER, LOCAL, [VIDEO, AUDIO]);
  assert.deepEqual(remote.ice, { ufrag: 'plYr', pwd: 'playerpasswordplayerpassword' });
  assert.deepEqual(placements, [
    { mid: '0', track: 1, payloadType: 109 },
    { mid: '1', track: 0, payloadType: 102, rtxPayloadType: 103 },
  ]);
  const a = parseSdp(sdp);
  assert.equal(a.iceLite, true);
  assert.deepEqual(a.groups, [{ semantics: 'BUNDLE', mids: ['0', '1'] }]);
  const [audio, video] = a.media;
  assert.ok(audio && video);
  for (const m of [audio, video]) {
    assert.equal(m.direction, 'sendonly');
    assert.equal(m.setup, 'passive');
    assert.equal(m.iceUfrag, LOCAL.ice.ufrag);
    assert.equal(m.endOfCandidates, true);
    assert.equal(m.candidates.length, LOCAL.candidates.length);
    assert.deepEqual(m.msids, [{ streamId: 'p_publisher', trackId: m === audio ? 'p6' : 'p7' }]);
  }
  assert.deepEqual(
    audio.codecs.map((c) => [c.payloadType, c.name, c.channels]),
    [[109, 'opus', 2]],
  );
  // Audio level is declared with another id by the player than the publisher's: not declared.
  assert.deepEqual(audio.extensions, []);
  assert.deepEqual(
    video.codecs.map((c) => [c.payloadType, c.name, c.parameters]),
    [
      [102, 'VP8', {}],
      [103, 'rtx', { apt: '102' }],
    ],
  );
  assert.deepEqual(video.codecs[0]?.feedback, [
    { type: 'ccm', parameter: 'fir' },
    { type: 'nack' },
    { type: 'nack', parameter: 'pli' },
  ]);
  assert.deepEqual(video.extensions, [{ id: 3, uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time' }]);
  assert.deepEqual(video.ssrcGroups, [{ semantics: 'FID', ssrcs: [1111, 2222] }]);
  assert.deepEqual(
    video.ssrcs.map((s) => [s.ssrc, s.cname]),
    [
      [1111, 'pubcname'],
      [2222, 'pubcname'],
    ],
  );
  assert.equal(video.rtcpRsize, true);
});

test('play answer: an m-line without a track (or without the codec) is inactive, still bundled', () => {
  const { sdp, placements } = answerPlayOffer(PLAYER_OFFER, LOCAL, [VIDEO]);
  assert.deepEqual(placements, [{ mid: '1', track: 0, payloadType: 102, rtxPayloadType: 103 }]);
  const a = parseSdp(sdp);
  assert.equal(a.media[0]?.direction, 'inactive');
  assert.notEqual(a.media[0]?.port, 0);
  assert.deepEqual(a.groups[0]?.mids, ['0', '1']);
  const av1: PlayTrack = { ...VIDEO, codec: { ...VIDEO.codec, name: 'AV1' } };
  const none = answerPlayOffer(PLAYER_OFFER, LOCAL, [av1]);
  assert.deepEqual(none.placements, []);
  assert.deepEqual(
    parseSdp(none.sdp).media.map((m) => m.direction),
    ['inactive', 'inactive'],
  );
});

test('play answer: bad offers throw SdpError codes', () => {
  assert.throws(() => answerPlayOffer('garbage', LOCAL, [VIDEO]), { name: 'SdpError' });
  assert.throws(() => answerPlayOffer(PLAYER_OFFER.replace('a=group:BUNDLE 0 1\r\n', ''), LOCAL, [VIDEO]), {
    code: 'sdp_no_bundle',
  });
  assert.throws(() => answerPlayOffer(PLAYER_OFFER.replaceAll('a=setup:actpass', 'a=setup:passive'), LOCAL, [VIDEO]), {
    code: 'sdp_bad_setup',
  });
  assert.throws(() => answerPlayOffer(PLAYER_OFFER.replaceAll(/a=fingerprint:[^\r]*\r\n/g, ''), LOCAL, [VIDEO]), {
    code: 'sdp_missing_fingerprint',
  });
  const noMedia = PLAYER_OFFER.slice(0, PLAYER_OFFER.indexOf('m=audio')).replace('a=group:BUNDLE 0 1\r\n', '');
  assert.throws(() => answerPlayOffer(noMedia, LOCAL, [VIDEO]), { code: 'sdp_bad_input' });
});
