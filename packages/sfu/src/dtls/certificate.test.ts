/** createDtlsCertificate and RFC 8122 fingerprints, cross-checked with node:crypto's X509Certificate. */
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { test } from 'node:test';
import { certificateDer, createDtlsCertificate, fingerprintOf, matchesFingerprint } from './certificate.ts';
import { DtlsErrorCode } from './errors.ts';

test('createDtlsCertificate: ECDSA P-256, self-signed, SHA-256 fingerprint as SDP writes it', () => {
  const c = createDtlsCertificate();
  const x = new X509Certificate(c.cert);
  assert.equal(x.publicKey.asymmetricKeyType, 'ec');
  assert.equal(x.publicKey.asymmetricKeyDetails?.namedCurve, 'prime256v1');
  assert.ok(x.verify(x.publicKey), 'self-signed');
  assert.equal(c.fingerprint.algorithm, 'sha-256');
  assert.equal(c.fingerprint.value, x.fingerprint256);
  assert.match(c.fingerprint.value, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
  assert.match(c.key, /^-----BEGIN PRIVATE KEY-----/);
  assert.notEqual(createDtlsCertificate().fingerprint.value, c.fingerprint.value, 'fresh key each time');
});

test('fingerprintOf: sha-1/256/384/512 of PEM or DER, any case of the hash name', () => {
  const c = createDtlsCertificate();
  const x = new X509Certificate(c.cert);
  const der = certificateDer(c.cert);
  assert.deepEqual(der, x.raw);
  assert.equal(fingerprintOf(c.cert, 'sha-1'), x.fingerprint);
  assert.equal(fingerprintOf(der, 'SHA-256'), x.fingerprint256);
  assert.equal(fingerprintOf(new Uint8Array(der), 'sha-512'), x.fingerprint512);
  assert.equal(fingerprintOf(der), x.fingerprint256);
  assert.equal(fingerprintOf(der, 'sha-384').split(':').length, 48);
  assert.throws(() => fingerprintOf(der, 'md5'), { code: DtlsErrorCode.BadOptions });
  assert.throws(() => fingerprintOf('not a pem', 'sha-256'), { code: DtlsErrorCode.BadOptions });
});

test('matchesFingerprint: any listed fingerprint, hex case-insensitive, unknown hashes skipped', () => {
  const c = createDtlsCertificate();
  const der = certificateDer(c.cert);
  const other = createDtlsCertificate().fingerprint;
  assert.ok(matchesFingerprint(der, [c.fingerprint]));
  assert.ok(matchesFingerprint(der, [other, { algorithm: 'sha-256', value: c.fingerprint.value.toLowerCase() }]));
  assert.ok(
    matchesFingerprint(der, [
      { algorithm: 'md5', value: 'AA' },
      { algorithm: 'sha-1', value: fingerprintOf(der, 'sha-1') },
    ]),
  );
  assert.ok(!matchesFingerprint(der, [other]));
  assert.ok(!matchesFingerprint(der, []));
  assert.ok(!matchesFingerprint(der, [{ algorithm: 'sha-256', value: fingerprintOf(der, 'sha-1') }]));
});
