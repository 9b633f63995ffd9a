/**
 * The SFU's API across a real worker_threads MessageChannel (structured clone, answers
 * later): what the WHIP/WHEP endpoint and signaling need of it — publish and its answer,
 * transport changes, ICE restarts, WHEP players, errors as messages, call timeouts —
 * and the in-process link's promise to behave like a network (copies, never at once).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MessageChannel } from 'node:worker_threads';
import { ManualClock } from '@itda/common';
import { RtcServer } from '../node/index.ts';
import { fixture } from '../sdp/fixtures/index.ts';
import { SdpErrorCode } from '../sdp/index.ts';
import type { SfuOutMessage } from '../session/types.ts';
import { SfuHarness } from '../testing/index.ts';
import { SfuCallError, SfuClient, type SfuTransportChange } from './client.ts';
import { SfuHost } from './host.ts';
import { localSfuLink, messagePortLink } from './link.ts';
import type { SfuEvent, SfuLink, SfuRequest } from './messages.ts';

const PLAYER_OFFER = [
  'v=0',
  'o=- 1 1 IN IP4 127.0.0.1',
  's=-',
  't=0 0',
  'a=group:BUNDLE v',
  'a=ice-ufrag:plYr',
  'a=ice-pwd:playerpasswordplayerpassword',
  'a=fingerprint:sha-256 AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99',
  'a=setup:actpass',
  'm=video 9 UDP/TLS/RTP/SAVPF 120',
  'c=IN IP4 0.0.0.0',
  'a=mid:v',
  'a=recvonly',
  'a=rtcp-mux',
  'a=rtpmap:120 VP8/90000',
  '',
].join('\r\n');

async function rejection(promise: Promise<unknown>): Promise<SfuCallError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof SfuCallError, `an SfuCallError, got ${String(err)}`);
    return err;
  }
  assert.fail('expected a rejection');
}

/** A client and host over a MessageChannel, on an RtcServer of 127.0.0.1. */
async function overPort(): Promise<{ client: SfuClient; host: SfuHost; rtc: RtcServer; close(): Promise<void> }> {
  const rtc = await RtcServer.listen({ host: '127.0.0.1', udpPort: 0, tcpPort: false });
  const { port1, port2 } = new MessageChannel();
  const clock = new ManualClock(0);
  const host = new SfuHost({ link: messagePortLink<SfuEvent, SfuRequest>(port2), transports: rtc, clock });
  const client = new SfuClient({ link: messagePortLink<SfuRequest, SfuEvent>(port1), clock });
  return {
    client,
    host,
    rtc,
    close: async () => {
      client.close();
      host.close();
      await rtc.close();
    },
  };
}

test('over a MessageChannel: publish is answered later through send; play, ICE restarts and stop go by calls', async () => {
  const { client, host, close } = await overPort();
  try {
    const sent: SfuOutMessage[] = [];
    client.addParticipant({ room: 'r', id: 'pub', name: 'Pub', canPublish: true, canSubscribe: false }, (m) =>
      sent.push(m),
    );
    client.publish('r', 'pub', { type: 'publish', sdp: fixture('chromium-publish-offer'), tracks: [] });
    assert.equal(sent.length, 0, 'nothing is answered synchronously');
    await client.ping();
    assert.deepEqual(
      sent.map((m) => m.type),
      ['published'],
    );

    const restart = await client.restartIce('r', 'pub', 'newUfrag');
    const transport = host.service.transportOf('r', 'pub', 'publish');
    assert.equal(transport?.iceParameters.ufrag, restart.ice.ufrag);
    assert.ok(restart.ice.pwd.length >= 22);
    assert.ok(restart.candidates.some((c) => c.address === '127.0.0.1' && c.protocol === 'udp'));
    assert.equal((await rejection(client.restartIce('r', 'nobody', 'someUfrag'))).code, 'sfu_not_found');

    const closed: string[] = [];
    const played = await client.play(
      { room: 'r', playerId: 'w1', offer: PLAYER_OFFER, connectTimeoutMs: 30_000 },
      (reason) => closed.push(reason),
    );
    assert.equal(played.participantId, 'pub');
    assert.match(played.answer, /a=ice-lite/);
    assert.equal(host.playerCount, 1);
    assert.equal((await client.restartPlayerIce('w1', 'plYr2')).ice.ufrag.length > 0, true);
    assert.equal((await rejection(client.restartPlayerIce('w1', 'no'))).code, 'sfu_bad_parameters');
    const duplicate = client.play({ room: 'r', playerId: 'w1', offer: PLAYER_OFFER, connectTimeoutMs: 1 }, () => {});
    assert.equal((await rejection(duplicate)).code, 'sfu_duplicate');
    assert.equal(
      (await rejection(client.play({ room: 'r', playerId: 'w2', offer: 'v=0', connectTimeoutMs: 1 }, () => {}))).code,
      SdpErrorCode.Malformed,
    );
    assert.equal(
      (
        await rejection(
          client.play({ room: 'empty', playerId: 'w3', offer: PLAYER_OFFER, connectTimeoutMs: 1 }, () => {}),
        )
      ).code,
      'sfu_not_found',
    );

    // A second player ends with its stream: the publisher leaves, `onClosed` says why.
    await client.play({ room: 'r', playerId: 'w4', offer: PLAYER_OFFER, connectTimeoutMs: 30_000 }, (reason) =>
      closed.push(`w4 ${reason}`),
    );
    client.stopPlayer('w1', 'deleted');
    client.removeParticipant('r', 'pub');
    await client.ping();
    assert.deepEqual(closed, ['w4 stream_ended'], 'a stopped player is not reported; an ended one is');
    assert.equal(host.playerCount, 0);
    assert.equal(host.service.roomCount, 0);
  } finally {
    await close();
  }
});

test('over a MessageChannel: transport changes reach the watcher; failed requests are error messages to the participant', async () => {
  const { client, host, close } = await overPort();
  try {
    const sent: SfuOutMessage[] = [];
    const changes: SfuTransportChange[] = [];
    client.addParticipant({ room: 'r', id: 'pub', name: 'Pub', canPublish: true, canSubscribe: true }, (m) =>
      sent.push(m),
    );
    client.watchTransports('r', 'pub', (c) => changes.push(c));
    client.publish('r', 'pub', { type: 'publish', sdp: fixture('chromium-publish-offer'), tracks: [] });
    await client.ping();
    host.service.transportOf('r', 'pub', 'publish')?.close('ice_consent_expired');
    await client.ping();
    assert.deepEqual(changes, [{ role: 'publish', state: 'closed', reason: 'ice_consent_expired' }]);

    // `quality` past its limit throws inside the SFU: the participant gets the error, ref `quality`.
    for (let i = 0; i <= 1000; i++) {
      client.setQuality('r', 'pub', { type: 'quality', participantId: `p${i}`, quality: 'low' });
    }
    client.publish('r', 'pub', { type: 'publish', sdp: 'not sdp', tracks: [] });
    await client.ping();
    const errors = sent.filter((m) => m.type === 'error').map((m) => `${m.code} ${m.ref}`);
    assert.deepEqual(errors, ['sfu_transport_closed publish', 'sfu_limit_reached quality', 'sfu_bad_offer publish']);
    // Requests for participants the SFU does not know are dropped, not answered.
    client.publish('r', 'ghost', { type: 'publish', sdp: 'x', tracks: [] });
    client.resumed('nowhere', 'ghost');
    await client.ping();
    assert.equal(sent.filter((m) => m.type === 'error').length, 3);
  } finally {
    await close();
  }
});

test('a call the SFU does not answer fails with sfu_unavailable after callTimeoutMs; close() fails the rest', async () => {
  const clock = new ManualClock(0);
  const posted: SfuRequest[] = [];
  const nowhere: SfuLink<SfuRequest, SfuEvent> = {
    post: (m) => posted.push(m),
    onMessage: () => {},
    close: () => {},
  };
  const client = new SfuClient({ link: nowhere, clock, callTimeoutMs: 5000 });
  const first = rejection(client.restartIce('r', 'p', 'u'));
  clock.advance(5000);
  const err = await first;
  assert.equal(err.code, 'sfu_unavailable');
  const second = rejection(client.ping());
  client.close();
  assert.equal((await second).code, 'sfu_unavailable');
  assert.equal((await rejection(client.ping())).code, 'sfu_unavailable', 'a closed client fails at once');
  assert.deepEqual(
    posted.map((r) => r.type),
    ['restart-ice', 'ping'],
  );
  assert.throws(() => new SfuClient({ link: nowhere, callTimeoutMs: 0 }), RangeError);
});

test('localSfuLink behaves like a network: delivered later, in order, as copies', async () => {
  const link = localSfuLink();
  const got: SfuRequest[] = [];
  link.host.onMessage((m) => got.push(m));
  const participant = { room: 'r', id: 'a', name: 'A', canPublish: true, canSubscribe: true };
  link.client.post({ type: 'join', participant });
  link.client.post({ type: 'leave', room: 'r', participantId: 'a' });
  participant.name = 'changed after posting';
  assert.equal(got.length, 0, 'not delivered synchronously');
  await Promise.resolve();
  await Promise.resolve();
  assert.deepEqual(
    got.map((m) => m.type),
    ['join', 'leave'],
  );
  const join = got[0];
  assert.ok(join?.type === 'join');
  assert.equal(join.participant.name, 'A', 'a copy, not the object');
  assert.notEqual(join.participant, participant);
  link.client.close();
  link.client.post({ type: 'close-room', room: 'r' });
  await Promise.resolve();
  assert.equal(got.length, 2, 'nothing is posted on a closed link');
});

test('the harness over the API: a publisher and a subscriber exchange media through a MessageChannel', async () => {
  const h = await SfuHarness.start({ api: 'message-port' });
  try {
    const pub = h.join('pub', { canSubscribe: false });
    const sub = h.join('sub', { canPublish: false });
    const tracks = await pub.publish({ audio: false });
    const video = tracks[0];
    assert.ok(video);
    for (;;) {
      await h.client?.ping();
      await sub.idle();
      if (sub.trackFrom('pub', 'video') !== undefined) break;
    }
    pub.publisher?.sendRtp({
      ssrc: video.ssrc,
      payloadType: 96,
      sequenceNumber: 1,
      timestamp: 1,
      payload: Buffer.alloc(20),
    });
    const t = sub.trackFrom('pub', 'video');
    const peer = sub.subscriber;
    assert.ok(t && peer);
    await peer.waitFor(() => peer.rtpOf(t.ssrc).length > 0, 10_000, 'video at the subscriber');
  } finally {
    await h.close();
  }
});

test('holdMedia: a forced-off microphone forwards nothing (video goes on), and flows again when released', async () => {
  const h = await SfuHarness.start({ api: 'message-port' });
  try {
    const pub = h.join('pub', { canSubscribe: false });
    const sub = h.join('sub', { canPublish: false });
    const [audio, video] = await pub.publish();
    assert.ok(audio && video && audio.kind === 'audio');
    for (;;) {
      await h.client?.ping();
      await sub.idle();
      if (sub.trackFrom('pub', 'audio') !== undefined && sub.trackFrom('pub', 'video') !== undefined) break;
    }
    const peer = sub.subscriber;
    const a = sub.trackFrom('pub', 'audio');
    const v = sub.trackFrom('pub', 'video');
    assert.ok(peer && a && v);
    let seq = 0;
    const send = (): void => {
      seq++;
      pub.publisher?.sendRtp({
        ssrc: audio.ssrc,
        payloadType: 111,
        sequenceNumber: seq,
        timestamp: seq * 960,
        payload: Buffer.alloc(20),
      });
      pub.publisher?.sendRtp({
        ssrc: video.ssrc,
        payloadType: 96,
        sequenceNumber: seq,
        timestamp: seq * 3000,
        payload: Buffer.alloc(20),
      });
    };
    send();
    await peer.waitFor(() => peer.rtpOf(a.ssrc).length > 0 && peer.rtpOf(v.ssrc).length > 0, 10_000, 'both flow');

    h.client?.holdMedia('room', 'pub', 'audio', true);
    await h.client?.ping();
    const audioBefore = peer.rtpOf(a.ssrc).length;
    const videoBefore = peer.rtpOf(v.ssrc).length;
    for (let i = 0; i < 5; i++) send();
    await peer.waitFor(() => peer.rtpOf(v.ssrc).length >= videoBefore + 5, 10_000, 'video goes on');
    assert.equal(peer.rtpOf(a.ssrc).length, audioBefore, 'no audio while held');

    h.client?.holdMedia('room', 'pub', 'audio', false);
    await h.client?.ping();
    send();
    await peer.waitFor(() => peer.rtpOf(a.ssrc).length > audioBefore, 10_000, 'audio again once released');
  } finally {
    await h.close();
  }
});
