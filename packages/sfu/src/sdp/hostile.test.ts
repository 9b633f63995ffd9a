/**
 * Hostile SDP: every refusal is a typed SdpError with its code (and line where there is
 * one), work is bounded, and a seeded mutation fuzz of real offers throws nothing else.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { answerPublishOffer } from './answer.ts';
import { SdpError, type SdpErrorCode } from './errors.ts';
import { fixture } from './fixtures/index.ts';
import { LOCAL, SLOTS } from './fixtures/subscribe-slots.ts';
import { parseSubscribeAnswer } from './offer.ts';
import { parseSdp } from './parse.ts';

function rejects(fn: () => unknown, code: SdpErrorCode, line?: number): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SdpError, `not an SdpError: ${String(err)}`);
    assert.equal(err.code, code, err.message);
    if (line !== undefined) assert.equal(err.line, line, err.message);
    return true;
  });
}

const OFFER = fixture('chromium-publish-offer');
const HEAD = 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n';

test('size limits: oversized input, long line, 10,000 m-lines', () => {
  rejects(() => parseSdp(OFFER + 'a=x\r\n'.repeat(60_000)), 'sdp_too_large');
  rejects(() => parseSdp('x'.repeat(10 * 1024 * 1024)), 'sdp_too_large');
  rejects(() => parseSdp(`${HEAD}a=${'x'.repeat(5000)}\r\n`), 'sdp_line_too_long', 5);
  const many = HEAD + 'm=audio 9 RTP/AVP 0\r\n'.repeat(10_000);
  assert.ok(many.length < 256 * 1024);
  rejects(() => parseSdp(many), 'sdp_too_many_media', 4 + 257);
  rejects(() => parseSdp(OFFER, { maxMediaSections: 2 }), 'sdp_too_many_media');
  assert.equal(parseSdp(OFFER, { maxBytes: OFFER.length }).media.length, 3);
  rejects(() => parseSdp(OFFER, { maxBytes: OFFER.length - 1 }), 'sdp_too_large');
  // Multi-byte characters count as bytes.
  rejects(() => parseSdp(`${HEAD}a=x:${'é'.repeat(100)}\r\n`, { maxBytes: 150 }), 'sdp_too_large');
});

test('missing or misplaced mandatory lines', () => {
  rejects(() => parseSdp(''), 'sdp_malformed');
  rejects(() => parseSdp('o=- 1 1 IN IP4 0.0.0.0\r\n'), 'sdp_malformed', 1);
  rejects(() => parseSdp('v=1\r\n'), 'sdp_malformed', 1);
  rejects(() => parseSdp('v=0\r\no=- 1\r\n'), 'sdp_malformed', 2);
  rejects(() => parseSdp('v=0\r\no=- x 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n'), 'sdp_malformed', 2);
  rejects(() => parseSdp('v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n'), 'sdp_malformed');
  rejects(() => parseSdp(`${HEAD}garbage\r\n`), 'sdp_malformed', 5);
  rejects(() => parseSdp(`${HEAD}A=x\r\n`), 'sdp_malformed', 5);
  rejects(() => parseSdp(`${HEAD}a=group:BUNDLE 0\r\n`), 'sdp_malformed');
  rejects(() => parseSdp(`${HEAD}m=audio\r\n`), 'sdp_malformed', 5);
  rejects(() => parseSdp(`${HEAD}m=audio 70000 RTP/AVP 0\r\n`), 'sdp_malformed', 5);
  const two = `${HEAD}m=audio 9 RTP/AVP 0\r\na=mid:x\r\nm=audio 9 RTP/AVP 0\r\na=mid:x\r\n`;
  rejects(() => parseSdp(two), 'sdp_malformed');
});

test('absurd payload types and attribute grammar', () => {
  const m = (body: string): string => `${HEAD}m=video 9 UDP/TLS/RTP/SAVPF 96\r\n${body}\r\n`;
  rejects(() => parseSdp(`${HEAD}m=video 9 UDP/TLS/RTP/SAVPF 300\r\n`), 'sdp_bad_payload_type', 5);
  rejects(() => parseSdp(`${HEAD}m=video 9 UDP/TLS/RTP/SAVPF -1\r\n`), 'sdp_bad_payload_type', 5);
  rejects(() => parseSdp(`${HEAD}m=video 9 UDP/TLS/RTP/SAVPF 96 96\r\n`), 'sdp_malformed', 5);
  rejects(() => parseSdp(m('a=rtpmap:99999999999 VP8/90000')), 'sdp_bad_payload_type', 6);
  rejects(() => parseSdp(m('a=rtpmap:97 VP8/90000')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=rtpmap:96 VP8/abc')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=rtpmap:96 VP8/90000\r\na=rtpmap:96 VP9/90000')), 'sdp_malformed', 7);
  rejects(() => parseSdp(m('a=extmap:0 urn:x')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=extmap:1/sideways urn:x')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=ice-ufrag:a')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=ice-pwd:short')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=fingerprint:sha-256 zz')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=setup:sideways')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=ssrc:4294967296 cname:x')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=ssrc-group:FID')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=rid:a sideways')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=simulcast:send')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=simulcast:send a;b send c')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=msid:a b c')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=sctp-port:99999')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=candidate:1 1 udp')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=candidate:1 1 udp 1 127.0.0.1 99999 typ host')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=candidate:1 1 udp 1 127.0.0.1 9 host host')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=candidate:1 1 tcp 1 127.0.0.1 9 typ host tcptype sideways')), 'sdp_malformed', 6);
  rejects(() => parseSdp(m('a=candidate:1 1 udp 1 127.0.0.1 9 typ host generation')), 'sdp_malformed', 6);
});

/** Replaces every line matching `re` in the offer with `by` (or removes it). */
function edit(re: RegExp, by = ''): string {
  return OFFER.split('\r\n')
    .map((l) => (re.test(l) ? by : l))
    .filter((l, i, all) => l !== '' || i === all.length - 1)
    .join('\r\n');
}

test('publish offers a browser would not make', () => {
  rejects(() => answerPublishOffer(edit(/^a=ice-ufrag/), LOCAL), 'sdp_missing_ice');
  rejects(() => answerPublishOffer(edit(/^a=ice-pwd/), LOCAL), 'sdp_missing_ice');
  rejects(() => answerPublishOffer(edit(/^a=fingerprint/), LOCAL), 'sdp_missing_fingerprint');
  rejects(() => answerPublishOffer(edit(/^a=group/), LOCAL), 'sdp_no_bundle');
  rejects(() => answerPublishOffer(edit(/^a=group/, 'a=group:BUNDLE 0 1'), LOCAL), 'sdp_no_bundle');
  rejects(() => answerPublishOffer(edit(/^a=rtcp-mux/), LOCAL), 'sdp_no_rtcp_mux');
  rejects(() => answerPublishOffer(edit(/^a=setup/, 'a=setup:passive'), LOCAL), 'sdp_bad_setup');
  rejects(() => answerPublishOffer(edit(/^a=mid:2/).replace(' 0 1 2', ' 0 1'), LOCAL), 'sdp_malformed');
  rejects(() => answerPublishOffer(OFFER, { ...LOCAL, ice: { ufrag: 'x', pwd: 'y' } }), 'sdp_bad_input');
});

test('subscribe answers that do not fit the offer', () => {
  const answer = fixture('chromium-subscribe-answer');
  assert.deepEqual(parseSubscribeAnswer(answer, SLOTS).rejectedMids, []);
  rejects(() => parseSubscribeAnswer(answer, SLOTS.slice(0, 2)), 'sdp_mid_mismatch');
  rejects(
    () => parseSubscribeAnswer(answer.replace('a=mid:1', 'a=mid:9').replace('BUNDLE 0 1', 'BUNDLE 0 9'), SLOTS),
    'sdp_mid_mismatch',
  );
  rejects(() => parseSubscribeAnswer(answer.replaceAll('a=setup:active', 'a=setup:passive'), SLOTS), 'sdp_bad_setup');
  rejects(() => parseSubscribeAnswer(answer.replace(/a=recvonly/, 'a=sendrecv'), SLOTS), 'sdp_mid_mismatch');
  rejects(() => parseSubscribeAnswer(answer.replace('a=group:BUNDLE 0 1', 'a=group:BUNDLE 0'), SLOTS), 'sdp_no_bundle');
  rejects(() => parseSubscribeAnswer(answer.replaceAll(/a=ice-ufrag:bW01\r\n/g, ''), SLOTS), 'sdp_missing_ice');
  rejects(() => parseSubscribeAnswer(answer.replaceAll(/a=fingerprint:.*\r\n/g, ''), SLOTS), 'sdp_missing_fingerprint');
  rejects(() => parseSubscribeAnswer(answer.replaceAll('a=rtcp-mux\r\n', ''), SLOTS), 'sdp_no_rtcp_mux');
  const otherPt = answer
    .replace('m=audio 9 UDP/TLS/RTP/SAVPF 111', 'm=audio 9 UDP/TLS/RTP/SAVPF 112')
    .replace(/:111 /g, ':112 ');
  rejects(() => parseSubscribeAnswer(otherPt, SLOTS), 'sdp_unsupported_codec');
});

/** xorshift32: a small seeded generator, so failures reproduce. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 0x100000000;
  };
}

test('fuzz: 3,000 mutated Chromium offers and answers throw only SdpError', () => {
  const rand = rng(0x5d9);
  const sources = [OFFER, fixture('chromium-simulcast-offer'), fixture('chromium-subscribe-answer')];
  const tokens = [
    ' ',
    ':',
    '=',
    '/',
    ';',
    '\r\n',
    '\n',
    '*',
    '~',
    '0',
    '127',
    '128',
    '65536',
    '-1',
    'a=',
    'm=',
    'é',
    '\u0000',
  ];
  let typed = 0;
  for (let i = 0; i < 3000; i++) {
    let text = sources[i % sources.length] ?? '';
    const edits = 1 + Math.floor(rand() * 6);
    for (let e = 0; e < edits; e++) {
      const at = Math.floor(rand() * text.length);
      const kind = rand();
      if (kind < 0.3) text = text.slice(0, at) + text.slice(at + 1 + Math.floor(rand() * 20));
      else if (kind < 0.6)
        text = text.slice(0, at) + (tokens[Math.floor(rand() * tokens.length)] ?? '') + text.slice(at);
      else if (kind < 0.8) {
        const lines = text.split('\r\n');
        const a = Math.floor(rand() * lines.length);
        const b = Math.floor(rand() * lines.length);
        [lines[a], lines[b]] = [lines[b] ?? '', lines[a] ?? ''];
        text = lines.join('\r\n');
      } else text = text.slice(0, at);
    }
    for (const run of [
      () => parseSdp(text),
      () => answerPublishOffer(text, LOCAL),
      () => parseSubscribeAnswer(text, SLOTS),
    ]) {
      try {
        run();
      } catch (err) {
        if (!(err instanceof SdpError)) throw new Error(`case ${i}: ${String(err)}\n${text}`);
        typed++;
      }
    }
  }
  assert.ok(typed > 0);
});
