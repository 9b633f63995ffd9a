/**
 * Known-answer tests: RFC 3711 Appendix B.2 (AES-CM keystream) and B.3 (key
 * derivation), RFC 7714 §16.1.1 (SRTP, AEAD_AES_128_GCM) and §17.1 / §17.3 (SRTCP,
 * encrypted and tag-only), and libsrtp's AES_CM_128_HMAC_SHA1_80 packet (master key in:
 * KDF, AES-CM and HMAC-SHA1 together). Every vector must match byte for byte.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { AesCtrKeystream } from './aes-ctr.ts';
import { aesCmPrf, deriveSessionKeys, KdfLabel, type SrtpSessionKeys } from './kdf.ts';
import { SrtpSession } from './session.ts';

const hex = (s: string): Buffer => Buffer.from(s.replace(/\s+/g, ''), 'hex');

test('RFC 3711 B.2: AES-CM keystream, first three blocks and blocks 0xFEFF..0xFF01', () => {
  const ks = new AesCtrKeystream(hex('2B7E151628AED2A6ABF7158809CF4F3C'));
  const iv = hex('F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000');
  const out = ks.keystream(iv, 0xff02 * 16);
  assert.equal(
    out.subarray(0, 48).toString('hex').toUpperCase(),
    'E03EAD0935C95E80E166B16DD92B4EB4D23513162B02D0F72A43A2FE4A5F97AB41E95B3BB0A2E8DD477901E4FCA894C0',
  );
  assert.equal(
    out
      .subarray(0xfeff * 16, 0xff02 * 16)
      .toString('hex')
      .toUpperCase(),
    'EC8CDF7398607CB0F2D21675EA9EA1E4362B7C3C6773516318A077D7FC5073AE6A2CC3787889374FBEB4C81B17BA6C44',
  );
});

test('RFC 3711 B.3: key derivation (cipher key, salt, the full 94-byte auth key stream)', () => {
  const key = hex('E1F97A0D3E018BE0D64FA32C06DE4139');
  const salt = hex('0EC675AD498AFEEBB6960B3AABE6');
  assert.equal(aesCmPrf(key, salt, KdfLabel.RtpEncryption, 16).toString('hex'), 'c61e7a93744f39ee10734afe3ff7a087');
  assert.equal(aesCmPrf(key, salt, KdfLabel.RtpSalt, 14).toString('hex'), '30cbbc08863d8c85d49db34a9ae1');
  assert.deepEqual(
    aesCmPrf(key, salt, KdfLabel.RtpAuthentication, 94),
    hex(`CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE
         E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25
         6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2`),
  );
  const keys = deriveSessionKeys('SRTP_AES128_CM_HMAC_SHA1_80', key, salt);
  assert.equal(keys.rtpAuthKey.toString('hex'), 'cebe321f6ff7716b6fd4ab49af256a156d38baa4');
  // SRTCP labels 3..5: not in the RFC; the figures other implementations' tests agree on.
  assert.equal(keys.rtcpKey.toString('hex'), '4c1aa45a81f73d61c800bbb00fbb1eaa');
  assert.equal(keys.rtcpSalt.toString('hex'), '9581c7ad87b3e530bf3e4454a8b3');
  assert.equal(keys.rtcpAuthKey.toString('hex'), '8d54534feb49ae8e7993a6bd0b844fc323a93dfd');
});

test('libsrtp AES_CM_128_HMAC_SHA1_80 packet: protect and unprotect from the master key', () => {
  const opts = {
    profile: 'SRTP_AES128_CM_HMAC_SHA1_80' as const,
    masterKey: hex('e1f97a0d3e018be0d64fa32c06de4139'),
    masterSalt: hex('0ec675ad498afeebb6960b3aabe6'),
  };
  const plain = hex('800f1234decafbadcafebabeabababababababababababababababab');
  const srtp = hex('800f1234decafbadcafebabe 4e55dc4ce79978d88ca4d215949d2402 b78d6acc99ea179b8dbb');
  assert.deepEqual(SrtpSession.create(opts).protectRtp(plain), srtp);
  assert.deepEqual(SrtpSession.create(opts).unprotectRtp(srtp), plain);
});

/** RFC 7714 §16/§17 give session keys directly: key 00..0f, salt "Quid pro quo". */
function gcmVectorSession(): SrtpSession {
  const key = hex('000102030405060708090a0b0c0d0e0f');
  const salt = hex('517569642070726f2071756f');
  const keys: SrtpSessionKeys = {
    rtpKey: key,
    rtpAuthKey: Buffer.alloc(0),
    rtpSalt: salt,
    rtcpKey: key,
    rtcpAuthKey: Buffer.alloc(0),
    rtcpSalt: salt,
  };
  return SrtpSession.fromSessionKeys('SRTP_AEAD_AES_128_GCM', keys);
}

test('RFC 7714 §16.1.1: SRTP AEAD_AES_128_GCM encryption and decryption', () => {
  const plain = hex(`8040f17b 8041f8d3 5501a0b2 47616c6c 69612065 7374206f 6d6e6973
                     20646976 69736120 696e2070 61727465 73207472 6573`);
  const srtp = hex(`8040f17b 8041f8d3 5501a0b2 f24de3a3 fb34de6c acba861c 9d7e4bca
                    be633bd5 0d294e6f 42a5f47a 51c7d19b 36de3adf 8833899d 7f27beb1
                    6a9152cf 765ee439 0cce`);
  assert.deepEqual(gcmVectorSession().protectRtp(plain), srtp);
  assert.deepEqual(gcmVectorSession().unprotectRtp(srtp), plain);
});

const RTCP = hex(`81c8000d 4d617273 4e545031 4e545032 52545020 0000042a 0000e930 4c756e61
                  deadbeef deadbeef deadbeef deadbeef deadbeef`);

test('RFC 7714 §17.1: SRTCP AEAD_AES_128_GCM encryption and decryption (index 0x5d4)', () => {
  const srtcp = hex(`81c8000d 4d617273 63e94885 dcdab67c a727d766 2f6b7e99 7ff5c0f7 6c06f32d
                     c676a5f1 730d6fda 4ce09b46 86303ded 0bb9275b c84aa458 96cf4d2f c5abf872
                     45d9eade 800005d4`);
  const tx = gcmVectorSession();
  tx.setOutboundRtcpIndex(0x4d617273, 0x5d4);
  assert.deepEqual(tx.protectRtcp(RTCP), srtcp);
  assert.deepEqual(gcmVectorSession().unprotectRtcp(srtcp), RTCP);
});

test('RFC 7714 §17.3: SRTCP AEAD_AES_128_GCM tag-only (E = 0) verification', () => {
  const srtcp = Buffer.concat([RTCP, hex('841dd968 3dd78ec9 2ae58790 125f62b3 000005d4')]);
  assert.deepEqual(gcmVectorSession().unprotectRtcp(srtcp), RTCP);
  const bad = Buffer.from(srtcp);
  bad[10] = (bad[10] as number) ^ 1;
  assert.throws(() => gcmVectorSession().unprotectRtcp(bad), { code: 'srtp_auth_failed' });
});
