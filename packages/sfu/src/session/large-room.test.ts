/**
 * A room of 31: one subscriber receives 30 publishers' audio and video (60 m-lines in one
 * subscribe connection). The offer and the answer stay within the signaling limit for SFU
 * session descriptions, and a packet of every track arrives.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_SFU_SDP_LENGTH } from '@itda/protocol';
import { SfuHarness } from '../testing/index.ts';
import type { SfuOutMessage } from './types.ts';

type SubscribeOffer = Extract<SfuOutMessage, { type: 'subscribe' }>;

const PUBLISHERS = 30;

test(`one subscriber, ${PUBLISHERS} publishers: ${2 * PUBLISHERS} m-lines, SDP within the limit, every track delivered`, async (t) => {
  const h = await SfuHarness.start();
  try {
    const host = h.join('host', { canPublish: false });
    const pubs = [];
    for (let i = 0; i < PUBLISHERS; i++) {
      const p = h.join(`pub${i}`, { canSubscribe: false });
      pubs.push({ p, tracks: await p.publish() });
    }
    await host.idle();
    const offers = host.messages.filter((m): m is SubscribeOffer => m.type === 'subscribe');
    const last = offers.at(-1);
    assert.ok(last);
    const mLines = last.sdp.split('\r\nm=').length - 1;
    t.diagnostic(`${offers.length} offers; the last: ${mLines} m-lines, ${last.sdp.length} characters`);
    assert.equal(mLines, 2 * PUBLISHERS);
    assert.ok(last.sdp.length < MAX_SFU_SDP_LENGTH, `offer of ${last.sdp.length} characters`);
    const payload = Buffer.alloc(100, 3);
    for (const { p, tracks } of pubs) {
      for (const track of tracks) {
        p.publisher?.sendRtp({
          ssrc: track.ssrc,
          payloadType: track.kind === 'audio' ? 111 : 96,
          sequenceNumber: 1,
          timestamp: 1,
          payload,
        });
      }
    }
    const sub = host.subscriber;
    assert.ok(sub);
    await sub.waitFor(
      () => new Set(sub.rtp.map((r) => r.ssrc)).size === 2 * PUBLISHERS,
      5000,
      'a packet of every track',
    );
    assert.deepEqual(host.failures, []);
  } finally {
    await h.close();
  }
});
