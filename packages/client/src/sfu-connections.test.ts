import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock, silentLogger } from '@itda/common';
import type { ClientMessage, SubscribeTrack } from '@itda/protocol';
import { ClientError } from './errors.ts';
import { SfuPublisher } from './sfu-publisher.ts';
import { SfuSubscriber } from './sfu-subscriber.ts';
import { FakePeerConnection as FakePc, FakeTransceiver } from './testing.ts';

const settle = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

function publisher(screen: { getTracks(): { id: string }[] } | null = null) {
  const clock = new ManualClock(0);
  const pc = new FakePc();
  const sent: ClientMessage[] = [];
  const pub = new SfuPublisher({
    configuration: {},
    clock,
    logger: silentLogger,
    send: (m) => sent.push(m),
    screen: () => screen as MediaStream | null,
    // The fake has only what the publisher uses; the cast stands in for the DOM type.
    createPeerConnection: () => pc as unknown as RTCPeerConnection,
  });
  return { clock, pc, sent, pub };
}

test('publisher: sendonly offer with each mid’s source; one offer at a time; the answer is applied', async () => {
  const screenTrack = { id: 'scr', kind: 'video' };
  const { pc, sent, pub } = publisher({ getTracks: () => [screenTrack] });
  pc.transceivers.push(new FakeTransceiver('audio', { id: 'mic', kind: 'audio' }));
  pc.transceivers.push(new FakeTransceiver('video', { id: 'cam', kind: 'video' }));
  pc.onnegotiationneeded?.();
  pc.onnegotiationneeded?.(); // while the first is out: one more offer after the answer
  await settle();
  assert.deepEqual(sent, [
    {
      type: 'publish',
      sdp: 'offer 1',
      tracks: [
        { mid: '0', source: 'microphone' },
        { mid: '1', source: 'camera' },
      ],
    },
  ]);
  assert.deepEqual(
    pc.transceivers.map((t) => t.direction),
    ['sendonly', 'sendonly'],
  );
  // Screen share starts meanwhile.
  pc.transceivers.push(new FakeTransceiver('video', screenTrack));
  await pub.handlePublished('answer 1');
  await settle();
  assert.equal(sent.length, 2);
  const second = sent[1];
  assert.ok(second?.type === 'publish');
  assert.deepEqual(second.tracks.at(-1), { mid: '2', source: 'screen' });
  await pub.handlePublished('answer 2');
  assert.equal(pc.signalingState, 'stable');

  // Camera off (null track) stays camera; the screen share stops: its transceiver is stopped, not listed.
  const cam = pc.transceivers[1];
  const scr = pc.transceivers[2];
  assert.ok(cam !== undefined && scr !== undefined);
  cam.sender.track = null;
  scr.sender.track = null;
  scr.direction = 'inactive';
  pub.negotiate();
  await settle();
  const third = sent[2];
  assert.ok(third?.type === 'publish');
  assert.deepEqual(third.tracks, [
    { mid: '0', source: 'microphone' },
    { mid: '1', source: 'camera' },
  ]);
  assert.equal(scr.direction, 'stopped');
  // An answer with nothing out is ignored.
  await pub.handlePublished('answer 3');
  await pub.handlePublished('late');
  assert.equal(pc.signalingState, 'stable');
  pub.close();
  assert.equal(pc.closed, true);
});

test('publisher: an error rolls the offer back; unanswered offers are resent 3 times; ICE failure restarts with iceRestart', async () => {
  const { clock, pc, sent, pub } = publisher();
  const errors: string[] = [];
  pub.on('error', (e) => errors.push(e.code));
  pub.negotiate(); // nothing to publish yet: no offer
  await settle();
  assert.equal(sent.length, 0);
  pc.transceivers.push(new FakeTransceiver('audio', { id: 'mic', kind: 'audio' }));
  pub.negotiate();
  await settle();
  assert.equal(pc.signalingState, 'have-local-offer');
  await pub.handleError(new ClientError('sfu_bad_offer', 'no codec'));
  assert.equal(pc.signalingState, 'stable');
  assert.deepEqual(errors, ['sfu_bad_offer']);

  pub.negotiate();
  await settle();
  assert.equal(sent.length, 2);
  for (let i = 0; i < 5; i++) clock.advance(5000);
  assert.equal(sent.length, 5, 'resent 3 times, then no more');
  assert.ok(sent.every((m) => m.type === 'publish'));
  await pub.handlePublished('answer');
  pub.recover(); // nothing pending, ICE fine: nothing sent
  assert.equal(sent.length, 5);

  pc.setIce('failed');
  await settle();
  assert.deepEqual(pc.offerOptions.at(-1), { iceRestart: true });
  assert.equal(sent.length, 6);
  pub.close();
});

function subscriber() {
  const clock = new ManualClock(0);
  const pc = new FakePc();
  const sent: ClientMessage[] = [];
  const sub = new SfuSubscriber({
    configuration: {},
    clock,
    logger: silentLogger,
    send: (m) => sent.push(m),
    // The fake has only what the subscriber uses; the cast stands in for the DOM type.
    createPeerConnection: () => pc as unknown as RTCPeerConnection,
  });
  const events: string[] = [];
  sub.on('track', (info, track) => events.push(`+${info.participantId}/${info.source}/${track.id}`));
  sub.on('ended', (info, track) => events.push(`-${info.participantId}/${info.source}/${track?.id}`));
  return { clock, pc, sent, sub, events };
}

const t = (mid: string, participantId: string, kind: 'audio' | 'video', source: SubscribeTrack['source']) => ({
  mid,
  participantId,
  kind,
  source,
});
const sdpOf = (tracks: SubscribeTrack[]): string => tracks.map((x) => `a=mid:${x.mid} ${x.kind}`).join('\n');

test('subscriber: offers in version order (overtaken and stale ones skipped), tracks mapped by mid, ended when unlisted', async () => {
  const { pc, sent, sub, events } = subscriber();
  const v1 = [t('0', 'p_a', 'audio', 'microphone')];
  const v2 = [...v1, t('1', 'p_a', 'video', 'camera'), t('2', 'p_b', 'video', 'screen')];
  void sub.handleSubscribe({ type: 'subscribe', sdp: sdpOf(v1), version: 1, tracks: v1 });
  await sub.handleSubscribe({ type: 'subscribe', sdp: sdpOf(v2), version: 2, tracks: v2 });
  assert.deepEqual(sent, [{ type: 'subscribed', sdp: `answer to ${sdpOf(v2)}`, version: 2 }]);
  assert.deepEqual(events, ['+p_a/microphone/track-0', '+p_a/camera/track-1', '+p_b/screen/track-2']);
  assert.equal(sub.version, 2);
  await sub.handleSubscribe({ type: 'subscribe', sdp: 'old', version: 1, tracks: v1 });
  assert.equal(sent.length, 1);
  // The offer answered, sent again (after a resume: the answer may be lost): the same answer again.
  await sub.handleSubscribe({ type: 'subscribe', sdp: 'same', version: 2, tracks: v2 });
  assert.deepEqual(sent.slice(1), [sent[0]]);
  sent.length = 1;

  // p_b stops sharing (port 0: unlisted) and p_c's track recycles that slot with mid 3.
  const v3 = [...v2.slice(0, 2), t('3', 'p_c', 'audio', 'microphone')];
  events.length = 0;
  await sub.handleSubscribe({ type: 'subscribe', sdp: sdpOf(v3), version: 3, tracks: v3 });
  assert.deepEqual(events, ['+p_c/microphone/track-3', '-p_b/screen/track-2']);
  assert.deepEqual(
    sub.current().map((x) => x.info.mid),
    ['0', '1', '3'],
  );
  assert.equal(sent.at(-1)?.type, 'subscribed');

  // A bad offer: error, rolled back, no answer.
  const errors: string[] = [];
  sub.on('error', (e) => errors.push(e.code));
  pc.failNext = true;
  await sub.handleSubscribe({ type: 'subscribe', sdp: 'junk', version: 4, tracks: v3 });
  assert.deepEqual(errors, ['negotiation_failed']);
  // The server waits for an answer to v4: the subscriber asks for a fresh offer instead.
  assert.deepEqual(sent.slice(2), [{ type: 'resubscribe' }]);
  assert.equal(pc.signalingState, 'stable');
  sub.close();
});

test('subscriber: a connection that does not come up 15 s after an answer with tracks, or fails in DTLS, asks for an ICE restart', async () => {
  const { clock, pc, sent, sub } = subscriber();
  const v1 = [t('0', 'p_a', 'audio', 'microphone')];
  await sub.handleSubscribe({ type: 'subscribe', sdp: sdpOf(v1), version: 1, tracks: v1 });
  pc.setIce('checking'); // and it stays there: the server never took our answer
  clock.advance(14_999);
  assert.equal(sent.length, 1);
  clock.advance(1);
  assert.deepEqual(sent.slice(1), [{ type: 'resubscribe', iceRestart: true }]);
  // ICE up but DTLS failed: the connection as a whole is `failed`.
  clock.advance(5000);
  pc.setIce('connected');
  pc.setConnection('failed');
  assert.deepEqual(sent.slice(2), [{ type: 'resubscribe', iceRestart: true }]);
  // Up in time: no restart.
  pc.setConnection('connected');
  const v2 = [...v1, t('1', 'p_a', 'video', 'camera')];
  await sub.handleSubscribe({ type: 'subscribe', sdp: sdpOf(v2), version: 2, tracks: v2 });
  clock.advance(60_000);
  assert.equal(sent.length, 4);
  sub.close();
});

test('subscriber: ICE failed or disconnected for 4 s asks for resubscribe with iceRestart', async () => {
  const { clock, pc, sent, sub } = subscriber();
  pc.setIce('disconnected');
  clock.advance(3999);
  assert.equal(sent.length, 0);
  clock.advance(1);
  assert.deepEqual(sent, [{ type: 'resubscribe', iceRestart: true }]);
  pc.setIce('failed'); // within 5 s of the last restart: deferred
  assert.equal(sent.length, 1);
  clock.advance(5000);
  assert.equal(sent.length, 2);
  pc.setIce('connected');
  sub.recover();
  assert.equal(sent.length, 2);
  sub.close();
  pc.setIce('failed');
  clock.advance(10_000);
  assert.equal(sent.length, 2);
});
