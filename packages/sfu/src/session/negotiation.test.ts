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
