import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerPublishOffer } from './answer.ts';
import { hostCandidatePriority } from './candidate.ts';
import { fixture } from './fixtures/index.ts';
import { LOCAL } from './fixtures/subscribe-slots.ts';
import { parseSdp } from './parse.ts';

const OFFER = fixture('chromium-publish-offer');

test('answer to a Chromium offer: ice-lite, our credentials, passive, BUNDLE, recvonly, one codec + RTX, candidates', () => {
  const { sdp, remote, tracks } = answerPublishOffer(OFFER, LOCAL);
  assert.ok(sdp.endsWith('\r\n'));
  const a = parseSdp(sdp);
  assert.equal(a.iceLite, true);
  assert.equal(a.origin.sessionVersion, '2', 'mirrors the offer version');
  assert.deepEqual(a.groups, [{ semantics: 'BUNDLE', mids: ['0', '1'] }]);
  assert.equal(a.extmapAllowMixed, true);
  const [audio, video, app] = a.media;
  assert.ok(audio && video && app);
  for (const m of [audio, video]) {
    assert.equal(m.port, 45_678);
    assert.equal(m.connection, 'IN IP4 127.0.0.1');
    assert.equal(m.iceUfrag, LOCAL.ice.ufrag);
    assert.equal(m.icePwd, LOCAL.ice.pwd);
    assert.deepEqual(m.fingerprints, [LOCAL.fingerprint]);
    assert.equal(m.setup, 'passive');
    assert.equal(m.direction, 'recvonly');
    assert.equal(m.rtcpMux, true);
    assert.equal(m.rtcpRsize, true);
    assert.equal(m.endOfCandidates, true);
    assert.deepEqual(m.msids, []);
    assert.deepEqual(m.ssrcs, []);
    assert.deepEqual(
      m.candidates.map((c) => [c.protocol, c.address, c.port, c.type, c.tcpType ?? null, c.priority, c.component]),
      [
        ['udp', '127.0.0.1', 45_678, 'host', null, hostCandidatePriority('udp'), 1],
        ['tcp', '127.0.0.1', 45_679, 'host', 'passive', hostCandidatePriority('tcp'), 1],
      ],
    );
    assert.notEqual(m.candidates[0]?.foundation, m.candidates[1]?.foundation, 'RFC 8445 §5.1.1.3');
  }
  assert.ok(hostCandidatePriority('udp') > hostCandidatePriority('tcp'));
  assert.equal(hostCandidatePriority('udp'), 126 * 2 ** 24 + 65535 * 2 ** 8 + 255);
  assert.deepEqual(audio.formats, ['111']);
  assert.deepEqual(video.formats, ['96', '97']);
  assert.deepEqual(video.codecs[1], {
    payloadType: 97,
    name: 'rtx',
    clockRate: 90000,
    parameters: { apt: '96' },
    feedback: [],
  });
  // Only accepted extensions, with the publisher's ids; toffset, video-orientation, playout-delay… dropped.
  assert.deepEqual(
    video.extensions.map((e) => e.id),
    [2, 3, 4, 10, 11],
  );
  assert.deepEqual([app.port, app.mid, app.formats], [0, '2', ['webrtc-datachannel']]);
  assert.equal(app.iceUfrag, undefined);

  assert.deepEqual(remote, {
    ice: { ufrag: 'BPXO', pwd: 'aia2va0HNzTmZiMpE3OhiDQx' },
    fingerprints: [
      {
        algorithm: 'sha-256',
        value: '05:48:06:C7:BF:EC:53:A0:62:E1:C9:31:A4:8F:67:B7:79:B2:06:BE:44:67:1D:C5:36:6B:08:9C:26:14:F2:D3',
      },
    ],
    setup: 'actpass',
  });
  assert.deepEqual(tracks, [
    {
      mid: '0',
      kind: 'audio',
      codec: {
        payloadType: 111,
        name: 'opus',
        clockRate: 48000,
        channels: 2,
        parameters: { minptime: '10', useinbandfec: '1' },
        feedback: [{ type: 'transport-cc' }],
      },
      extensions: [
        { id: 1, uri: 'urn:ietf:params:rtp-hdrext:ssrc-audio-level' },
        { id: 2, uri: 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time' },
        { id: 3, uri: 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01' },
        { id: 4, uri: 'urn:ietf:params:rtp-hdrext:sdes:mid' },
      ],
      direction: 'sendonly',
      ssrc: 3923153146,
      cname: 'ieACjGXCCAnqG+w+',
      msid: { streamId: '-', trackId: 'e4f97c52-9716-4a63-8cc6-c760b9e7e8b4' },
    },
    {
      mid: '1',
      kind: 'video',
      codec: {
        payloadType: 96,
        name: 'VP8',
        clockRate: 90000,
        parameters: {},
        feedback: [
          { type: 'goog-remb' },
          { type: 'transport-cc' },
          { type: 'ccm', parameter: 'fir' },
          { type: 'nack' },
          { type: 'nack', parameter: 'pli' },
        ],
      },
      extensions: video.extensions.map((e) => ({ id: e.id, uri: e.uri })),
      direction: 'sendonly',
      rtx: { payloadType: 97 },
      ssrc: 479700142,
      rtxSsrc: 1813405905,
      cname: 'ieACjGXCCAnqG+w+',
      msid: { streamId: '-', trackId: '89dd3ec3-7d58-45ce-9bd0-47098bcebbe4' },
    },
  ]);
});

test('simulcast: rids answered recv, simulcast reversed (RFC 8853 §5.3), the track lists the rids', () => {
  const { sdp, tracks } = answerPublishOffer(fixture('chromium-simulcast-offer'), LOCAL);
  const video = parseSdp(sdp).media[1];
  assert.deepEqual(video?.rids, [
    { id: 'q', direction: 'recv' },
    { id: 'h', direction: 'recv' },
    { id: 'f', direction: 'recv' },
  ]);
  assert.deepEqual(video?.simulcast, { recv: [['q'], ['h'], ['f']] });
  assert.deepEqual(tracks[1]?.rids, ['q', 'h', 'f']);
  assert.equal(tracks[1]?.ssrc, undefined);
  assert.equal(tracks[1]?.msid?.streamId, 'f33e51bf-b13d-453f-97bb-66b66bdbafcb');
});

/** The offer with one line replaced (regex on whole lines). */
function edit(text: string, re: RegExp, by: string): string {
  return text
    .split('\r\n')
    .map((l) => (re.test(l) ? by : l))
    .join('\r\n');
}

test('sendrecv is answered recvonly; recvonly/inactive m-lines inactive and without a track', () => {
  const sendrecv = answerPublishOffer(fixture('chromium-sendrecv-offer'), LOCAL);
  assert.deepEqual(
    sendrecv.tracks.map((t) => t.direction),
    ['sendrecv', 'sendrecv'],
  );
  assert.equal(parseSdp(sendrecv.sdp).media[0]?.direction, 'recvonly');
  const lines = OFFER.split('\r\n');
  const firstSendonly = lines.indexOf('a=sendonly');
  lines[firstSendonly] = 'a=recvonly';
  const r = answerPublishOffer(lines.join('\r\n'), LOCAL);
  assert.deepEqual(
    r.tracks.map((t) => t.mid),
    ['1'],
  );
  const audio = parseSdp(r.sdp).media[0];
  assert.equal(audio?.direction, 'inactive');
  assert.notEqual(audio?.port, 0);
  const inactive = answerPublishOffer(edit(OFFER, /^a=sendonly$/, 'a=inactive'), LOCAL);
  assert.deepEqual(inactive.tracks, []);
});

test('an m-line with only unsupported codecs is rejected alone; port-0 m-lines stay rejected and leave BUNDLE', () => {
  // Audio offering only PCMU/PCMA/G722.
  let offer = OFFER.replace('m=audio 9 UDP/TLS/RTP/SAVPF 111 63 9 0 8 13 110 126', 'm=audio 9 UDP/TLS/RTP/SAVPF 9 0 8');
  offer = offer
    .split('\r\n')
    .filter((l) => !/^a=(rtpmap|fmtp|rtcp-fb):(111|63|13|110|126) /.test(l))
    .join('\r\n');
  const r = answerPublishOffer(offer, LOCAL);
  const a = parseSdp(r.sdp);
  assert.deepEqual([a.media[0]?.port, a.media[0]?.mid, a.media[0]?.formats], [0, '0', ['9']]);
  assert.deepEqual(a.groups, [{ semantics: 'BUNDLE', mids: ['1'] }]);
  assert.deepEqual(
    r.tracks.map((t) => t.mid),
    ['1'],
  );

  // The publisher stopped its video transceiver: port 0 in the offer, outside its BUNDLE group.
  const stopped = OFFER.replace(/m=video 9 /, 'm=video 0 ').replace('a=group:BUNDLE 0 1 2', 'a=group:BUNDLE 0 2');
  const s = answerPublishOffer(stopped, LOCAL);
  assert.equal(parseSdp(s.sdp).media[1]?.port, 0);
  assert.deepEqual(parseSdp(s.sdp).groups, [{ semantics: 'BUNDLE', mids: ['0'] }]);
  assert.deepEqual(
    s.tracks.map((t) => t.mid),
    ['0'],
  );
});

test('a custom capability set and session-level ICE/DTLS attributes', () => {
  const sessionLevel = [
    'v=0',
    'o=- 5 7 IN IP4 0.0.0.0',
    's=-',
    't=0 0',
    'a=ice-ufrag:sess',
    'a=ice-pwd:sessionpasswordsessionpw',
    'a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99',
    'a=setup:active',
    'a=group:BUNDLE v',
    'a=sendonly',
    'm=video 9 UDP/TLS/RTP/SAVPF 100',
    'a=mid:v',
    'a=rtcp-mux',
    'a=rtpmap:100 VP8/90000',
    'a=extmap:7/recvonly http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time',
    '',
  ].join('\r\n');
  const r = answerPublishOffer(sessionLevel, LOCAL);
  assert.equal(r.remote.ice.ufrag, 'sess');
  assert.equal(r.remote.setup, 'active');
  assert.equal(r.tracks[0]?.direction, 'sendonly', 'session-level direction applies');
  assert.deepEqual(r.tracks[0]?.extensions, [], 'an extension the publisher only receives is not accepted');
  assert.equal(parseSdp(r.sdp).origin.sessionVersion, '7');
  const none = answerPublishOffer(sessionLevel, LOCAL, { codecs: [], extensions: [] });
  assert.deepEqual(none.tracks, []);
  assert.equal(parseSdp(none.sdp).media[0]?.port, 0);
});
