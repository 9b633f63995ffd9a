import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fixture } from './fixtures/index.ts';
import { parseSdp } from './parse.ts';
import { effectiveTransport, rtxFor } from './types.ts';
import { writeSdp } from './write.ts';

const CHROMIUM = [
  'chromium-publish-offer',
  'chromium-simulcast-offer',
  'chromium-sendrecv-offer',
  'chromium-subscribe-answer',
] as const;

for (const name of CHROMIUM) {
  test(`${name}: write(parse(x)) is byte-identical`, () => {
    const text = fixture(name);
    assert.equal(writeSdp(parseSdp(text)), text);
  });
}

test('Chromium publish offer: session, transport and m-lines', () => {
  const d = parseSdp(fixture('chromium-publish-offer'));
  assert.deepEqual(d.groups, [{ semantics: 'BUNDLE', mids: ['0', '1', '2'] }]);
  assert.equal(d.extmapAllowMixed, true);
  assert.deepEqual(d.msidSemantic, { semantic: 'WMS', identifiers: [] });
  assert.equal(d.iceLite, false);
  assert.deepEqual(
    d.media.map((m) => [m.kind, m.port, m.protocol, m.mid, m.direction ?? null]),
    [
      ['audio', 9, 'UDP/TLS/RTP/SAVPF', '0', 'sendonly'],
      ['video', 9, 'UDP/TLS/RTP/SAVPF', '1', 'sendonly'],
      ['application', 9, 'UDP/DTLS/SCTP', '2', null],
    ],
  );
  const [audio, video, app] = d.media;
  assert.ok(audio && video && app);
  assert.equal(audio.iceUfrag, 'BPXO');
  assert.equal(audio.icePwd, 'aia2va0HNzTmZiMpE3OhiDQx');
  assert.deepEqual(audio.iceOptions, ['trickle']);
  assert.equal(audio.setup, 'actpass');
  assert.equal(audio.fingerprints[0]?.algorithm, 'sha-256');
  assert.equal(audio.rtcpMux && audio.rtcpRsize, true);
  assert.deepEqual(audio.attributes, [{ name: 'rtcp-xr', value: 'rcvr-rtt=all' }]);
  assert.deepEqual(audio.codecs[0], {
    payloadType: 111,
    name: 'opus',
    clockRate: 48000,
    channels: 2,
    parameters: { minptime: '10', useinbandfec: '1' },
    feedback: [{ type: 'transport-cc' }],
  });
  assert.deepEqual(audio.codecs[1]?.parameters, { '111/111': '' }, 'red fmtp without = is kept');
  assert.deepEqual(audio.msids, [{ streamId: '-', trackId: 'e4f97c52-9716-4a63-8cc6-c760b9e7e8b4' }]);
  assert.deepEqual(audio.ssrcs, [
    {
      ssrc: 3923153146,
      cname: 'ieACjGXCCAnqG+w+',
      msid: { streamId: '-', trackId: 'e4f97c52-9716-4a63-8cc6-c760b9e7e8b4' },
      attributes: [],
    },
  ]);
  assert.deepEqual(
    audio.extensions.map((e) => [e.id, e.uri]),
    [
      [1, 'urn:ietf:params:rtp-hdrext:ssrc-audio-level'],
      [2, 'http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time'],
      [3, 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01'],
      [4, 'urn:ietf:params:rtp-hdrext:sdes:mid'],
    ],
  );
  const names = video.codecs.map((c) => c.name);
  for (const n of ['VP8', 'VP9', 'H264', 'AV1', 'rtx']) assert.ok(names.includes(n), n);
  assert.equal(rtxFor(video, 96)?.payloadType, 97);
  assert.deepEqual(video.codecs.find((c) => c.payloadType === 108)?.parameters, {
    'level-asymmetry-allowed': '1',
    'packetization-mode': '1',
    'profile-level-id': '42e01f',
  });
  assert.deepEqual(video.codecs[0]?.feedback, [
    { type: 'goog-remb' },
    { type: 'transport-cc' },
    { type: 'ccm', parameter: 'fir' },
    { type: 'nack' },
    { type: 'nack', parameter: 'pli' },
  ]);
  assert.deepEqual(video.ssrcGroups, [{ semantics: 'FID', ssrcs: [479700142, 1813405905] }]);
  assert.equal(app.sctpPort, 5000);
  assert.equal(app.maxMessageSize, 262144);
  assert.deepEqual(app.formats, ['webrtc-datachannel']);
});

test('Chromium simulcast offer: rid and simulcast', () => {
  const d = parseSdp(fixture('chromium-simulcast-offer'));
  const video = d.media[1];
  assert.deepEqual(video?.rids, [
    { id: 'q', direction: 'send' },
    { id: 'h', direction: 'send' },
    { id: 'f', direction: 'send' },
  ]);
  assert.deepEqual(video?.simulcast, { send: [['q'], ['h'], ['f']] });
  assert.equal(d.msidSemantic?.identifiers.length, 1);
});

const MINIMAL = [
  'v=0',
  'o=- 1 1 IN IP4 0.0.0.0',
  's=-',
  't=0 0',
  'a=ice-ufrag:sess',
  'a=ice-pwd:sessionpasswordsessionpw',
  'a=fingerprint:SHA-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99',
  'a=group:BUNDLE a',
  'm=video 9 UDP/TLS/RTP/SAVPF 96 97 0',
  'c=IN IP4 0.0.0.0',
  'a=mid:a',
  'a=rtcp-fb:* nack',
  'a=rtcp-fb:* nack pli',
  'a=rtpmap:96 VP8/90000',
  'a=rtcp-fb:96 nack',
  'a=rtcp-fb:96 goog-remb',
  'a=rtpmap:97 rtx/90000',
  'a=fmtp:97 apt=96; foo = bar',
  'a=candidate:1 1 UDP 2122260223 192.0.2.1 54400 typ srflx raddr 10.0.0.1 rport 9 generation 0 network-id 1',
  'a=candidate:2 1 TCP 1518280447 127.0.0.1 9 typ host tcptype active generation 0',
  'a=end-of-candidates',
  'a=simulcast:send 1,~2;3 recv 4',
  'a=rid:1 send pt=96;max-width=1280',
  'a=x-custom:value with spaces',
  'a=flag',
  '',
].join('\n');

test('LF line endings, session-level ICE/DTLS, wildcard rtcp-fb, static payload types, candidates', () => {
  const d = parseSdp(MINIMAL);
  const m = d.media[0];
  assert.ok(m);
  assert.equal(m.iceUfrag, undefined);
  const t = effectiveTransport(d, m);
  assert.equal(t.iceUfrag, 'sess');
  assert.equal(t.fingerprints[0]?.algorithm, 'SHA-256');
  assert.deepEqual(m.wildcardFeedback, [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }]);
  assert.deepEqual(m.codecs[0]?.feedback, [
    { type: 'goog-remb' },
    { type: 'nack' },
    { type: 'nack', parameter: 'pli' },
  ]);
  assert.deepEqual(m.codecs[1]?.feedback, [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }]);
  assert.deepEqual(m.codecs[1]?.parameters, { apt: '96', foo: 'bar' });
  assert.deepEqual(m.codecs[2], {
    payloadType: 0,
    name: 'PCMU',
    clockRate: 8000,
    channels: 1,
    parameters: {},
    feedback: [{ type: 'nack' }, { type: 'nack', parameter: 'pli' }],
  });
  assert.deepEqual(m.candidates[0], {
    foundation: '1',
    component: 1,
    protocol: 'UDP',
    priority: 2122260223,
    address: '192.0.2.1',
    port: 54400,
    type: 'srflx',
    relatedAddress: '10.0.0.1',
    relatedPort: 9,
    extensions: [
      { name: 'generation', value: '0' },
      { name: 'network-id', value: '1' },
    ],
  });
  assert.equal(m.candidates[1]?.tcpType, 'active');
  assert.equal(m.endOfCandidates, true);
  assert.deepEqual(m.simulcast, { send: [['1', '~2'], ['3']], recv: [['4']] });
  assert.deepEqual(m.rids, [{ id: '1', direction: 'send', params: 'pt=96;max-width=1280' }]);
  assert.deepEqual(m.attributes, [{ name: 'x-custom', value: 'value with spaces' }, { name: 'flag' }]);
});

test('write(parse(x)) of other input parses back to the same model', () => {
  const once = parseSdp(MINIMAL);
  const text = writeSdp(once);
  assert.ok(text.endsWith('\r\n') && !text.includes('\n\n'));
  assert.deepEqual(parseSdp(text), once);
  assert.equal(writeSdp(parseSdp(text)), text);
});
