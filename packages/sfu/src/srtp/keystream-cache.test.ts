/**
 * AES-CM with keystream computed ahead (keystream-cache.ts) and the one-shot HMAC
 * (hmac-sha1.ts), byte for byte against a textbook implementation that creates a
 * node:crypto AES-CTR cipher and an HMAC per packet: across window boundaries, growing
 * packets, reordered and retransmitted indexes, forward jumps, the ROC wrap inside a
 * window, more SSRCs than the cache keeps, and forgotten streams.
 */
import assert from 'node:assert/strict';
import { createCipheriv, createHmac, randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { AesCtrKeystream } from './aes-ctr.ts';
import { HmacSha1, tagMatches } from './hmac-sha1.ts';
import { deriveSessionKeys, type SrtpSessionKeys } from './kdf.ts';
import { KeystreamCache } from './keystream-cache.ts';
import { SrtpSession } from './session.ts';

const PROFILE = 'SRTP_AES128_CM_HMAC_SHA1_80';

function rtp(seq: number, ssrc: number, size: number): Buffer {
  const b = Buffer.alloc(12 + size);
  b[0] = 0x80;
  b[1] = 96;
  b.writeUInt16BE(seq & 0xffff, 2);
  b.writeUInt32BE(ssrc, 8);
  for (let i = 12; i < b.length; i++) b[i] = (seq * 7 + i) & 0xff;
  return b;
}

/** RFC 3711 §4.1.1 and §4.2 the plain way: one cipher and one HMAC per packet. */
function reference(k: SrtpSessionKeys, p: Buffer, roc: number): Buffer {
  const ssrc = p.readUInt32BE(8);
  const index = roc * 65536 + p.readUInt16BE(2);
  const iv = Buffer.from(k.rtpSalt.subarray(0, 14));
  const ivFull = Buffer.concat([iv, Buffer.alloc(2)]);
  ivFull.writeUInt32BE((ivFull.readUInt32BE(4) ^ ssrc) >>> 0, 4);
  const idx = Buffer.alloc(8);
  idx.writeUIntBE(index, 2, 6);
  for (let i = 0; i < 6; i++) ivFull[8 + i] = (ivFull[8 + i] as number) ^ (idx[2 + i] as number);
  const c = createCipheriv('aes-128-ctr', k.rtpKey, ivFull);
  const body = Buffer.concat([p.subarray(0, 12), c.update(p.subarray(12)), c.final()]);
  const rocBuf = Buffer.alloc(4);
  rocBuf.writeUInt32BE(roc);
  const tag = createHmac('sha1', k.rtpAuthKey).update(body).update(rocBuf).digest().subarray(0, 10);
  return Buffer.concat([body, tag]);
}

function session(): { tx: SrtpSession; rx: SrtpSession; keys: SrtpSessionKeys } {
  const masterKey = randomBytes(16);
  const masterSalt = randomBytes(14);
  return {
    tx: SrtpSession.create({ profile: PROFILE, masterKey, masterSalt }),
    rx: SrtpSession.create({ profile: PROFILE, masterKey, masterSalt }),
    keys: deriveSessionKeys(PROFILE, masterKey, masterSalt),
  };
}

test('protect matches the textbook cipher across windows, growing packets, the ROC wrap and two streams', () => {
  const { tx, rx, keys } = session();
  // Video-sized packets that now and then grow (the stride grows, the window restarts),
  // audio-sized packets on a second SSRC, and sequence numbers across 65535 → 0.
  let roc = 0;
  for (let n = 0; n < 400; n++) {
    const seq = (65_400 + n) & 0xffff;
    if (seq === 0) roc++;
    const video = rtp(seq, 0x1111, n % 50 === 49 ? 1300 + n : 900 + ((n * 37) % 300));
    const audio = rtp((seq + 5) & 0xffff, 0x2222, 60 + (n % 100));
    const v = tx.protectRtp(video);
    assert.deepEqual(v, reference(keys, video, roc), `video packet ${n}`);
    assert.deepEqual(rx.unprotectRtp(v), video);
    const audioRoc = ((seq + 5) & 0xffff) < seq ? roc + 1 : roc;
    const a = tx.protectRtp(audio);
    assert.deepEqual(a, reference(keys, audio, audioRoc), `audio packet ${n}`);
    assert.deepEqual(rx.unprotectRtp(a), audio);
  }
});

test('reordered, retransmitted and skipped indexes give the same bytes as in order', () => {
  const { tx, rx, keys } = session();
  const order = [
    ...Array.from({ length: 30 }, (_, i) => i + 1),
    5, // behind the window: a retransmission without RTX
    31,
    29, // reordered, still inside the window
    40,
    1_000, // a forward jump past the window
    3, // far behind
    1_001,
  ];
  for (const seq of order) {
    const p = rtp(seq, 0x3333, 1_100);
    assert.deepEqual(tx.protectRtp(p), reference(keys, p, 0), `seq ${seq}`);
  }
  // The receiver, fed packets out of order, decrypts each (the replay window permits).
  for (const seq of [50, 52, 51, 60, 55, 70, 53]) {
    const p = rtp(seq, 0x4444, 1_000);
    assert.deepEqual(rx.unprotectRtp(reference(keys, p, 0)), p, `seq ${seq}`);
  }
});

test('a tampered packet is still refused, and the good one still decrypts', () => {
  const { tx, rx } = session();
  const good = tx.protectRtp(rtp(10, 0x5555, 800));
  const bad = Buffer.from(good);
  bad[500] = (bad[500] as number) ^ 1;
  assert.throws(() => rx.unprotectRtp(bad), { code: 'srtp_auth_failed' });
  assert.deepEqual(rx.unprotectRtp(good), rtp(10, 0x5555, 800));
});

test('the cache keeps at most maxStreams windows, drops the oldest, and forgets a stream', () => {
  const ks = new AesCtrKeystream(randomBytes(16));
  const iv = Buffer.alloc(16);
  const ivOf = (ssrc: number, index: number): Buffer => {
    iv.fill(0);
    iv.writeUInt32BE(ssrc, 4);
    iv.writeUInt32BE(index, 10);
    return iv;
  };
  const cache = new KeystreamCache(ks, ivOf, { maxStreams: 3, budget: 4_096 });
  for (const ssrc of [1, 2, 3, 4]) assert.ok(cache.lookup(ssrc, 100, 500));
  assert.equal(cache.size, 3);
  // SSRC 1 was dropped: its next lookup computes a fresh window that starts at the index.
  assert.equal(cache.lookup(1, 101, 500)?.start, 101);
  const w = cache.lookup(4, 102, 500);
  assert.equal(w?.start, 100);
  assert.equal(w?.stride, 512);
  assert.equal(w?.count, 8);
  // The keystream in the window is the direct keystream of that index.
  const direct = ks.keystream(Buffer.from(ivOf(4, 102)), 500);
  assert.deepEqual(w?.bytes.subarray(2 * 512, 2 * 512 + 500), direct);
  // Behind the window: direct path. Too big for four packets in the budget: direct path.
  assert.equal(cache.lookup(4, 99, 500), undefined);
  assert.equal(cache.lookup(4, 103, 1_100), undefined);
  cache.forget(4);
  assert.equal(cache.size, 2);
});

test('HmacSha1 equals createHmac for short, long and growing messages and keys longer than a block', () => {
  for (const keyLength of [20, 64, 100]) {
    const key = randomBytes(keyLength);
    const mac = new HmacSha1(key, 32);
    for (const length of [0, 1, 31, 64, 65, 1_200, 5_000]) {
      const msg = randomBytes(length);
      mac.reserve(length).set(msg, HmacSha1.MESSAGE_OFFSET);
      const ours = Buffer.from(mac.mac(length), 'latin1');
      assert.deepEqual(ours, createHmac('sha1', key).update(msg).digest(), `key ${keyLength}, length ${length}`);
      assert.ok(tagMatches(mac.mac(length), ours, 0, 20));
      const wrong = Buffer.from(ours);
      wrong[19] = (wrong[19] as number) ^ 0x80;
      assert.ok(!tagMatches(mac.mac(length), wrong, 0, 20));
    }
  }
});
