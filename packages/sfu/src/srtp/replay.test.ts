import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { test } from 'node:test';
import { deriveSessionKeys } from './kdf.ts';
import { ReplayWindow } from './replay.ts';
import { SrtpSession } from './session.ts';

test('ReplayWindow: accepts each index once, slides on jumps larger than the window, refuses too-old', () => {
  const w = new ReplayWindow(64);
  for (const i of [5, 3, 4, 70]) {
    w.check(i);
    w.commit(i);
  }
  assert.throws(() => w.check(5), { code: 'srtp_replay_too_old' }); // 70 - 5 ≥ 64
  assert.throws(() => w.check(70), { code: 'srtp_replayed' });
  w.check(7); // inside and never seen
  w.commit(1_000_000); // a jump: every old slot is cleared
  assert.equal(w.highest, 1_000_000);
  w.check(1_000_000 - 63);
  assert.throws(() => w.check(1_000_000 - 64), { code: 'srtp_replay_too_old' });
  assert.throws(() => new ReplayWindow(63), RangeError);
});

test('AES-CM SRTCP with E = 0 (authenticated, not encrypted) is accepted; indices run out at 2^31', () => {
  const masterKey = Buffer.alloc(16, 7);
  const masterSalt = Buffer.alloc(14, 9);
  const profile = 'SRTP_AES128_CM_HMAC_SHA1_80';
  const keys = deriveSessionKeys(profile, masterKey, masterSalt);
  const rtcp = Buffer.alloc(32); // receiver report, one block, sender SSRC 0x42
  rtcp.writeUInt32BE(0x81c90007, 0);
  rtcp.writeUInt32BE(0x42, 4);
  const trailer = Buffer.from('00000009', 'hex'); // E = 0, index 9
  const body = Buffer.concat([rtcp, trailer]);
  const tag = createHmac('sha1', keys.rtcpAuthKey).update(body).digest().subarray(0, 10);
  const rx = SrtpSession.create({ profile, masterKey, masterSalt });
  assert.deepEqual(rx.unprotectRtcp(Buffer.concat([body, tag])), rtcp);
  assert.throws(() => rx.unprotectRtcp(Buffer.concat([body, tag])), { code: 'srtp_replayed' });

  const tx = SrtpSession.create({ profile, masterKey, masterSalt });
  tx.setOutboundRtcpIndex(0x42, 0x7fffffff);
  const last = tx.protectRtcp(rtcp);
  assert.equal(last.readUInt32BE(32), 0xffffffff); // E = 1, index 2^31 - 1
  assert.throws(() => tx.protectRtcp(rtcp), { code: 'srtp_index_exhausted' });
});
