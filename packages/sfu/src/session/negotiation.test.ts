/**
 * Subscribe negotiation edge cases that a browser punishes: the BUNDLE tag m-line must
 * never be rejected while the transport lives (Chromium would rebuild ICE and DTLS), and a
 * client whose subscribe transport ended gets every track again on `resubscribe`.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SfuHarness } from '../testing/index.ts';

interface SubscribeMsg {
  type: 'subscribe';
  sdp: string;
  version: number;
  tracks: { mid: string }[];
}

function lastOffer(messages: readonly { type: string }[]): SubscribeMsg {
  const offers = messages.filter((m): m is SubscribeMsg => m.type === 'subscribe');
  const last = offers.at(-1);
  assert.ok(last, 'a subscribe offer');
  return last;
}

/** `[mid, port, direction]` of every m-line, and the BUNDLE group. */
function shape(sdp: string): { lines: [string, number, string][]; bundle: string[] } {
  const lines: [string, number, string][] = [];
  let bundle: string[] = [];
  for (const section of sdp.split(/\r\n(?=m=)/)) {
    const m = /^m=\w+ (\d+)/.exec(section);
    if (m === null) {
      bundle = /a=group:BUNDLE ([^\r\n]*)/.exec(section)?.[1]?.split(' ') ?? [];
      continue;
    }
    const mid = /a=mid:(\S+)/.exec(section)?.[1] ?? '';
    const dir = /a=(sendonly|recvonly|sendrecv|inactive)/.exec(section)?.[1] ?? '';
    lines.push([mid, Number(m[1]), dir]);
  }
  return { lines, bundle };
}

test('the BUNDLE tag stays bundled: idle (a=inactive) when its track ends, and the transport is kept', async () => {
  const h = await SfuHarness.start();
  try {
    const host = h.join('host');
    await host.publish();
    const first = h.join('first');
    await first.publish();
    await host.idle();
    const hostSub = h.service.transportOf('room', 'host', 'subscribe');
    assert.ok(hostSub);
    // The tag's owner leaves: its m-lines end, the tag (mid 0) stays bundled and idle.
    await first.leave();
    await host.idle();
    const alone = shape(lastOffer(host.messages).sdp);
    assert.deepEqual(alone.bundle, ['0']);
    assert.deepEqual(alone.lines[0], ['0', alone.lines[0]?.[1], 'inactive']);
    assert.notEqual(alone.lines[0]?.[1], 0, 'the idle tag keeps a port');
    assert.equal(alone.lines[1]?.[1], 0, 'the other ended m-line is rejected');
    // Someone new: the tag is still first in BUNDLE, new tracks come behind it.
    const second = h.join('second');
    await second.publish();
    await host.idle();
    const again = shape(lastOffer(host.messages).sdp);
    assert.equal(again.bundle[0], '0');
    assert.ok(again.lines.some(([, port, dir]) => port !== 0 && dir === 'sendonly'));
    assert.equal(h.service.transportOf('room', 'host', 'subscribe'), hostSub, 'the same transport all along');
    assert.ok(host.trackFrom('second', 'video'));
    assert.deepEqual(host.failures, []);
  } finally {
    await h.close();
  }
});

test('resubscribe after the subscribe transport ended offers every track again on a new transport', async () => {
  const h = await SfuHarness.start();
  try {
    const host = h.join('host', { manualAnswers: true });
    await host.publish();
    const guest = h.join('guest');
    await guest.publish();
    await new Promise((r) => setTimeout(r, 100));
    const before = h.service.transportOf('room', 'host', 'subscribe');
    assert.ok(before);
    before.close('dtls_close_notify');
    assert.ok(
      host.messages.some(
        (m) =>
          m.type === 'error' &&
          (m as { code?: string; ref?: string }).code === 'sfu_transport_closed' &&
          (m as { ref?: string }).ref === 'subscribe',
      ),
    );
    h.service.resubscribe('room', 'host', { type: 'resubscribe', iceRestart: true });
    const offer = lastOffer(host.messages);
    assert.equal(offer.tracks.length, 2, 'the guest’s audio and video again');
    const after = h.service.transportOf('room', 'host', 'subscribe');
    assert.ok(after && after !== before && !after.closed);
    const s = shape(offer.sdp);
    assert.equal(s.lines.length, 2, 'a fresh peer connection gets only live m-lines');
  } finally {
    await h.close();
  }
});

test('bad session descriptions get an error with a stable code and change nothing; the others are not disturbed', async () => {
  const h = await SfuHarness.start();
  try {
    const host = h.join('host');
    await host.publish();
    const guest = h.join('guest', { manualAnswers: true });
    const errors = (): { code: string; ref?: string }[] =>
      guest.messages.flatMap((m) => (m.type === 'error' ? [{ code: m.code, ref: m.ref }] : []));
    const transportsBefore = h.server.transportCount;

    h.service.publish('room', 'guest', { type: 'publish', sdp: 'v=0\r\nthis is not sdp', tracks: [] });
    h.service.publish('room', 'guest', { type: 'publish', sdp: 'x'.repeat(300 * 1024), tracks: [] });
    // Valid SDP the SFU cannot answer (no ICE, no fingerprint, no BUNDLE): refused after parsing.
    h.service.publish('room', 'guest', {
      type: 'publish',
      sdp: 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:0\r\na=sendonly\r\n',
      tracks: [],
    });
    const offer = guest.messages.find((m) => m.type === 'subscribe');
    assert.ok(offer && offer.type === 'subscribe');
    h.service.subscribed('room', 'guest', { type: 'subscribed', sdp: 'v=0', version: offer.version });
    h.service.subscribed('room', 'guest', { type: 'subscribed', sdp: 'v=0', version: offer.version + 7 });
    assert.deepEqual(errors(), [
      { code: 'sfu_bad_offer', ref: 'publish' },
      { code: 'sfu_bad_offer', ref: 'publish' },
      { code: 'sfu_bad_offer', ref: 'publish' },
      { code: 'sfu_bad_answer', ref: 'subscribed' },
      { code: 'sfu_stale_version', ref: 'subscribed' },
    ]);
    assert.equal(h.service.transportOf('room', 'guest', 'publish'), undefined, 'no publish transport for a bad offer');
    assert.equal(h.server.transportCount, transportsBefore, 'nothing created');

    const viewer = h.join('viewer', { canPublish: false });
    h.service.publish('room', 'viewer', { type: 'publish', sdp: 'v=0', tracks: [] });
    assert.ok(viewer.messages.some((m) => m.type === 'error' && m.code === 'forbidden' && m.ref === 'publish'));

    // The bad answer voided its offer: the same tracks are offered again as the next version,
    // and answering that one works; the host's media reaches the guest.
    const reoffers = guest.messages.filter((m) => m.type === 'subscribe');
    const again = reoffers.at(-1);
    assert.ok(again && again.type === 'subscribe');
    assert.deepEqual([reoffers.length, again.version], [2, offer.version + 1]);
    assert.deepEqual(again.tracks, offer.tracks);
    await guest.answer(again);
    const v = guest.trackFrom('host', 'video');
    assert.ok(v);
    const track = host.published.find((t) => t.kind === 'video');
    assert.ok(track);
    host.publisher?.sendRtp({
      ssrc: track.ssrc,
      payloadType: 96,
      sequenceNumber: 1,
      timestamp: 1,
      payload: Buffer.alloc(10),
    });
    const sub = guest.subscriber;
    assert.ok(sub);
    await sub.waitFor(() => sub.rtpOf(v.ssrc).length === 1, 3000, 'the host’s packet');
  } finally {
    await h.close();
  }
});
