/**
 * SrtpSession behaviour: round trips for both profiles, rollover counter across the
 * 65535 → 0 wrap, replay and too-old packets, tampering, truncated and malformed input,
 * and that a rejected packet changes no state.
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { SRTP_PROFILES, type SrtpProfile } from './profiles.ts';
import { SrtpSession } from './session.ts';

const PROFILES: SrtpProfile[] = ['SRTP_AES128_CM_HMAC_SHA1_80', 'SRTP_AEAD_AES_128_GCM'];

function pair(profile: SrtpProfile, replayWindow?: number): { tx: SrtpSession; rx: SrtpSession } {
  const p = SRTP_PROFILES[profile];
  const masterKey = randomBytes(p.keyLength);
  const masterSalt = randomBytes(p.saltLength);
  return {
    tx: SrtpSession.create({ profile, masterKey, masterSalt }),
    rx: SrtpSession.create({ profile, masterKey, masterSalt, ...(replayWindow ? { replayWindow } : {}) }),
  };
}

/** An RTP packet: V=2, PT 96, `csrcs` CSRCs, optional one-byte-header extension, `size` payload bytes. */
function rtp(seq: number, ssrc: number, size: number, opts: { csrcs?: number; ext?: boolean } = {}): Buffer {
  const cc = opts.csrcs ?? 0;
  const extLen = opts.ext ? 8 : 0;
  const b = Buffer.alloc(12 + 4 * cc + extLen + size);
  b[0] = 0x80 | (opts.ext ? 0x10 : 0) | cc;
  b[1] = 96;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE((seq * 960) >>> 0, 4);
  b.writeUInt32BE(ssrc, 8);
  for (let i = 0; i < cc; i++) b.writeUInt32BE(0x1000 + i, 12 + 4 * i);
  if (opts.ext) {
    const o = 12 + 4 * cc;
    b.writeUInt16BE(0xbede, o);
    b.writeUInt16BE(1, o + 2);
    b[o + 4] = 0x10; // id 1, one byte
    b[o + 5] = 0x42;
  }
  for (let i = 12 + 4 * cc + extLen; i < b.length; i++) b[i] = (i * 7 + seq) & 0xff;
  return b;
}

/** An RTCP receiver report with one report block (32 bytes). */
function rtcp(ssrc: number): Buffer {
  const b = Buffer.alloc(32);
  b[0] = 0x81;
  b[1] = 201;
  b.writeUInt16BE(7, 2);
  b.writeUInt32BE(ssrc, 4);
  b.writeUInt32BE(0xdeadbeef, 8);
  return b;
}

for (const profile of PROFILES) {
  test(`${profile}: RTP round trip for payload sizes 0..1200, CSRCs and header extensions`, () => {
    const { tx, rx } = pair(profile);
    let seq = 100;
    for (const size of [0, 1, 15, 16, 17, 100, 1200]) {
      for (const opts of [{}, { csrcs: 2 }, { ext: true }, { csrcs: 1, ext: true }]) {
        const plain = rtp(seq++, 0x11223344, size, opts);
        const srtp = tx.protectRtp(plain);
        assert.equal(srtp.length, plain.length + tx.rtpOverhead);
        const hdr = plain.length - size;
        assert.deepEqual(srtp.subarray(0, hdr), plain.subarray(0, hdr), 'header stays in the clear');
        if (size >= 16) assert.notDeepEqual(srtp.subarray(hdr, plain.length), plain.subarray(hdr));
        assert.deepEqual(rx.unprotectRtp(srtp), plain);
      }
    }
  });

  test(`${profile}: the rollover counter follows 65535 → 0 and late packets from before the wrap`, () => {
    const { tx, rx } = pair(profile);
    const ssrc = 0xabcdef01;
    const sent = new Map<number, Buffer>();
    const seqs = [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2];
    for (const s of seqs) sent.set(s, tx.protectRtp(rtp(s, ssrc, 40)));
    assert.equal(tx.outboundRoc(ssrc), 1);
    // Delivered out of order across the wrap: 65534 arrives after 0 and 1.
    for (const s of [65530, 65531, 65532, 65533, 65535, 0, 1, 65534, 2]) {
      assert.deepEqual(rx.unprotectRtp(sent.get(s) as Buffer), rtp(s, ssrc, 40), `seq ${s}`);
    }
    // A receiver that assumed ROC 0 for seq 0 would fail authentication: prove ROC 1 was used.
    const fresh = pair(profile);
    const t2 = fresh.tx;
    t2.setOutboundRoc(ssrc, 1, 0);
    const pkt = t2.protectRtp(rtp(5, ssrc, 40));
    assert.throws(() => fresh.rx.unprotectRtp(pkt), { code: 'srtp_auth_failed' });
  });

  test(`${profile}: replayed packets and packets older than the window are refused`, () => {
    const { tx, rx } = pair(profile, 64);
    const ssrc = 7;
    const pkts: Buffer[] = [];
    for (let s = 1000; s < 1100; s++) pkts.push(tx.protectRtp(rtp(s, ssrc, 20)));
    rx.unprotectRtp(pkts[0] as Buffer);
    assert.throws(() => rx.unprotectRtp(pkts[0] as Buffer), { code: 'srtp_replayed' });
    for (let i = 2; i < 100; i++) rx.unprotectRtp(pkts[i] as Buffer);
    // seq 1001 was never delivered, but it is now 98 behind the highest: outside 64.
    assert.throws(() => rx.unprotectRtp(pkts[1] as Buffer), { code: 'srtp_replay_too_old' });
    assert.throws(() => rx.unprotectRtp(pkts[99] as Buffer), { code: 'srtp_replayed' });
    // Inside the window and not yet seen: accepted once, out of order.
    const late = tx.protectRtp(rtp(1100, ssrc, 20));
    const later = tx.protectRtp(rtp(1101, ssrc, 20));
    rx.unprotectRtp(later);
    rx.unprotectRtp(late);
    assert.throws(() => rx.unprotectRtp(late), { code: 'srtp_replayed' });
  });

  test(`${profile}: tampering anywhere fails authentication and changes no state`, () => {
    const { tx, rx } = pair(profile);
    const good = tx.protectRtp(rtp(500, 9, 100));
    for (const at of [1, 3, 8, 12, 60, good.length - 1]) {
      const bad = Buffer.from(good);
      bad[at] = (bad[at] as number) ^ 0x01;
      assert.throws(() => rx.unprotectRtp(bad), { code: 'srtp_auth_failed' }, `byte ${at}`);
    }
    assert.equal(rx.streamCount, 0, 'a forged packet creates no stream state');
    // A forged packet far ahead must not move the window: the real one still passes.
    const forged = Buffer.from(tx.protectRtp(rtp(501, 9, 100)));
    forged[forged.length - 1] = (forged[forged.length - 1] as number) ^ 0x80;
    assert.throws(() => rx.unprotectRtp(forged), { code: 'srtp_auth_failed' });
    assert.deepEqual(rx.unprotectRtp(good), rtp(500, 9, 100));
    // Wrong key altogether.
    const other = pair(profile);
    assert.throws(() => other.rx.unprotectRtp(tx.protectRtp(rtp(502, 9, 10))), { code: 'srtp_auth_failed' });
  });

  test(`${profile}: truncated and malformed packets are refused with a code`, () => {
    const { tx, rx } = pair(profile);
    const good = tx.protectRtp(rtp(1, 5, 50, { csrcs: 2, ext: true }));
    for (let n = 0; n < good.length; n += 3) {
      assert.throws(
        () => rx.unprotectRtp(good.subarray(0, n)),
        (err: { code?: string }) => ['srtp_too_short', 'srtp_bad_header', 'srtp_auth_failed'].includes(err.code ?? ''),
      );
    }
    const v1 = Buffer.from(good);
    v1[0] = 0x40 | ((v1[0] as number) & 0x3f);
    assert.throws(() => rx.unprotectRtp(v1), { code: 'srtp_bad_header' });
    assert.throws(() => tx.protectRtp(Buffer.alloc(11)), { code: 'srtp_too_short' });
    const csrcPastEnd = rtp(2, 5, 0);
    csrcPastEnd[0] = 0x8f;
    assert.throws(() => tx.protectRtp(csrcPastEnd), { code: 'srtp_bad_header' });
    const extPastEnd = rtp(3, 5, 4);
    extPastEnd[0] = 0x90;
    extPastEnd.writeUInt16BE(100, 14);
    assert.throws(() => tx.protectRtp(extPastEnd), { code: 'srtp_bad_header' });
    assert.throws(() => tx.protectRtcp(Buffer.alloc(7, 0x80)), { code: 'srtp_too_short' });
    assert.throws(() => rx.unprotectRtcp(Buffer.alloc(8 + rx.rtcpOverhead - 1, 0x80)), { code: 'srtp_too_short' });
    assert.equal(rx.streamCount, 0);
  });

  test(`${profile}: SRTCP round trip, per-SSRC index, replay and tampering`, () => {
    const { tx, rx } = pair(profile);
    const a = tx.protectRtcp(rtcp(0x1111));
    const b = tx.protectRtcp(rtcp(0x1111));
    const c = tx.protectRtcp(rtcp(0x2222));
    assert.equal(a.length, 32 + tx.rtcpOverhead);
    assert.deepEqual(rx.unprotectRtcp(b), rtcp(0x1111));
    assert.deepEqual(rx.unprotectRtcp(a), rtcp(0x1111));
    assert.deepEqual(rx.unprotectRtcp(c), rtcp(0x2222));
    assert.throws(() => rx.unprotectRtcp(a), { code: 'srtp_replayed' });
    const bad = Buffer.from(tx.protectRtcp(rtcp(0x1111)));
    bad[20] = (bad[20] as number) ^ 4;
    assert.throws(() => rx.unprotectRtcp(bad), { code: 'srtp_auth_failed' });
    // The E flag and index word are authenticated: flipping E is a forgery.
    const noE = Buffer.from(tx.protectRtcp(rtcp(0x1111)));
    const eAt = profile === 'SRTP_AEAD_AES_128_GCM' ? noE.length - 4 : noE.length - 14;
    noE[eAt] = (noE[eAt] as number) & 0x7f;
    assert.throws(() => rx.unprotectRtcp(noE), { code: 'srtp_auth_failed' });
  });
}

test('options are validated once: key and salt lengths, replay window, stream limit', () => {
  const profile = 'SRTP_AES128_CM_HMAC_SHA1_80';
  assert.throws(() => SrtpSession.create({ profile, masterKey: Buffer.alloc(15), masterSalt: Buffer.alloc(14) }), {
    code: 'srtp_bad_key',
  });
  assert.throws(
    () =>
      SrtpSession.create({
        profile: 'SRTP_AEAD_AES_128_GCM',
        masterKey: Buffer.alloc(16),
        masterSalt: Buffer.alloc(14),
      }),
    { code: 'srtp_bad_key' },
  );
  assert.throws(
    () =>
      SrtpSession.create({ profile: 'nope' as SrtpProfile, masterKey: Buffer.alloc(16), masterSalt: Buffer.alloc(14) }),
    { code: 'srtp_bad_profile' },
  );
  const base = { profile, masterKey: Buffer.alloc(16), masterSalt: Buffer.alloc(14) } as const;
  assert.throws(() => SrtpSession.create({ ...base, replayWindow: 32 }), RangeError);
  assert.throws(() => SrtpSession.create({ ...base, maxStreams: 0 }), RangeError);
  const tx = SrtpSession.create(base);
  const rx = SrtpSession.create({ ...base, maxStreams: 2 });
  rx.unprotectRtp(tx.protectRtp(rtp(1, 1, 10)));
  rx.unprotectRtp(tx.protectRtp(rtp(1, 2, 10)));
  assert.throws(() => rx.unprotectRtp(tx.protectRtp(rtp(1, 3, 10))), { code: 'srtp_too_many_streams' });
  rx.removeStream(1);
  assert.deepEqual(rx.unprotectRtp(tx.protectRtp(rtp(1, 3, 10))), rtp(1, 3, 10));
});

test('the input buffer is never modified and may be a view into a larger buffer', () => {
  const profile = 'SRTP_AES128_CM_HMAC_SHA1_80';
  const base = { profile, masterKey: Buffer.alloc(16, 1), masterSalt: Buffer.alloc(14, 2) } as const;
  const tx = SrtpSession.create(base);
  const rx = SrtpSession.create(base);
  const plain = rtp(10, 42, 301);
  const big = Buffer.alloc(plain.length + 3);
  plain.copy(big, 3); // unaligned view
  const view = new Uint8Array(big.buffer, big.byteOffset + 3, plain.length);
  const srtp = tx.protectRtp(view);
  assert.deepEqual(Buffer.from(view), plain);
  const copy = Buffer.from(srtp);
  assert.deepEqual(rx.unprotectRtp(srtp), plain);
  assert.deepEqual(srtp, copy);
});

test('trackOutboundRtp follows the rollover counter without encrypting: a context that only tracked a stream takes it over past the wrap', () => {
  for (const profile of Object.keys(SRTP_PROFILES) as SrtpProfile[]) {
    const p = SRTP_PROFILES[profile];
    const masterKey = randomBytes(p.keyLength);
    const masterSalt = randomBytes(p.saltLength);
    const sender = SrtpSession.create({ profile, masterKey, masterSalt });
    const tracker = SrtpSession.create({ profile, masterKey, masterSalt });
    const rx = SrtpSession.create({ profile, masterKey, masterSalt });
    const ssrc = 0x5eed;
    // 70,000 packets from 60,000: the sequence wraps once, the ROC becomes 1.
    for (let i = 0; i < 70_000; i++) {
      const packet = rtp((60_000 + i) & 0xffff, ssrc, 20);
      if (i % 1000 === 0) rx.unprotectRtp(sender.protectRtp(packet));
      else sender.protectRtp(packet);
      tracker.trackOutboundRtp(packet);
    }
    assert.equal(sender.outboundRoc(ssrc), 1);
    assert.equal(tracker.outboundRoc(ssrc), 1);
    const next = rtp((60_000 + 70_000) & 0xffff, ssrc, 20);
    const fromTracker = tracker.protectRtp(next);
    assert.deepEqual(fromTracker, sender.protectRtp(next), `${profile}: the same bytes as the sender's own context`);
    assert.deepEqual(rx.unprotectRtp(fromTracker), next);
  }
});
