import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '@itda/common';
import { RtcServer } from '../node/index.ts';
import { fixture } from '../sdp/fixtures/index.ts';
import { parseSdp } from '../sdp/index.ts';
import { newestPublisher, WhepPlayer } from './player.ts';
import { SfuService } from './sfu-service.ts';
import type { SfuOutMessage } from './types.ts';

/** A player's offer: recvonly Opus at 109 and VP8 at 120 with RTX 121 (not the publisher's numbers). */
const PLAYER_OFFER = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE a v',
  'a=ice-ufrag:plYr',
  'a=ice-pwd:playerpasswordplayerpassword',
  'a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99',
  'a=setup:actpass',
  'm=audio 9 UDP/TLS/RTP/SAVPF 109',
  'c=IN IP4 0.0.0.0',
  'a=mid:a',
  'a=recvonly',
  'a=rtcp-mux',
  'a=rtpmap:109 opus/48000/2',
  'm=video 9 UDP/TLS/RTP/SAVPF 120 121',
  'c=IN IP4 0.0.0.0',
  'a=mid:v',
  'a=recvonly',
  'a=rtcp-mux',
  'a=rtpmap:120 VP8/90000',
  'a=rtcp-fb:120 nack',
  'a=rtcp-fb:120 nack pli',
  'a=rtpmap:121 rtx/90000',
  'a=fmtp:121 apt=120',
  '',
].join('\r\n');

async function setup(): Promise<{ rtc: RtcServer; service: SfuService; publisher: string }> {
  const rtc = await RtcServer.listen({ host: '127.0.0.1', udpPort: 0, tcpPort: false });
  const service = new SfuService({ transports: rtc, clock: new ManualClock(0) });
  const sent: SfuOutMessage[] = [];
  service.addParticipant({ room: 'r', id: 'p_pub', name: 'Pub', canPublish: true, canSubscribe: false }, (m) =>
    sent.push(m),
  );
  service.publish('r', 'p_pub', { type: 'publish', sdp: fixture('chromium-publish-offer'), tracks: [] });
  assert.equal(sent[0]?.type, 'published');
  return { rtc, service, publisher: 'p_pub' };
}

test('WhepPlayer: answers with the publisher tracks at the player payload types, paused consumers, frees all on close', async () => {
  const { rtc, service, publisher } = await setup();
  const clock = new ManualClock(0);
  try {
    const router = service.routerFor('r');
    assert.ok(router);
    assert.equal(newestPublisher(router), publisher);
    const before = rtc.transportCount;
    const player = WhepPlayer.create({ service, room: 'r', offerSdp: PLAYER_OFFER, clock });
    assert.equal(player.participantId, publisher);
    assert.equal(rtc.transportCount, before + 1);
    assert.equal(router.transports.has(player.transport.id), true);
    const answer = parseSdp(player.answer);
    assert.deepEqual(
      answer.media.map((m) => [m.mid, m.direction, m.codecs.map((c) => `${c.payloadType} ${c.name}`)]),
      [
        ['a', 'sendonly', ['109 opus']],
        ['v', 'sendonly', ['120 VP8', '121 rtx']],
      ],
    );
    assert.equal(answer.media[1]?.msids[0]?.streamId, publisher);
    assert.equal(player.consumers.length, 2);
    assert.ok(player.consumers.every((c) => c.paused));
    const closed: string[] = [];
    player.on('closed', (r) => closed.push(r));
    player.close();
    player.close();
    assert.deepEqual(closed, ['closed']);
    assert.equal(rtc.transportCount, before);
    assert.ok(player.consumers.every((c) => c.closed));
  } finally {
    service.close();
    await rtc.close();
  }
});

test('WhepPlayer: nothing to play is sfu_not_found; no connection in time closes it; the publisher leaving ends it', async () => {
  const { rtc, service, publisher } = await setup();
  const clock = new ManualClock(0);
  try {
    assert.throws(() => WhepPlayer.create({ service, room: 'none', offerSdp: PLAYER_OFFER, clock }), {
      code: 'sfu_not_found',
    });
    assert.throws(
      () => WhepPlayer.create({ service, room: 'r', participantId: 'p_nobody', offerSdp: PLAYER_OFFER, clock }),
      { code: 'sfu_not_found' },
    );
    const before = rtc.transportCount;
    assert.throws(() => WhepPlayer.create({ service, room: 'r', offerSdp: 'v=0\r\n', clock }), { name: 'SdpError' });
    assert.equal(rtc.transportCount, before, 'a failed create leaves no transport');

    const late = WhepPlayer.create({ service, room: 'r', offerSdp: PLAYER_OFFER, clock, connectTimeoutMs: 5000 });
    const reasons: string[] = [];
    late.on('closed', (r) => reasons.push(r));
    clock.advance(4999);
    assert.equal(late.closed, false);
    clock.advance(1);
    assert.deepEqual(reasons, ['connect_timeout']);

    const player = WhepPlayer.create({ service, room: 'r', offerSdp: PLAYER_OFFER, clock });
    player.on('closed', (r) => reasons.push(r));
    service.removeParticipant('r', publisher);
    assert.equal(player.closed, true);
    assert.equal(rtc.transportCount, 0);
  } finally {
    service.close();
    await rtc.close();
  }
});
