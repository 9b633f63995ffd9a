/** ECDHE on node:crypto: the RFC 7748 §6.1 x25519 vector, agreement on both curves, bad keys. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ecdhSharedSecret, generateEcdhKeyPair, NamedGroup } from './ecdh.ts';

test('x25519: RFC 7748 §6.1 Diffie-Hellman vector', () => {
  const alicePriv = Buffer.from('77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a', 'hex');
  const bobPub = Buffer.from('de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f', 'hex');
  assert.equal(
    ecdhSharedSecret(NamedGroup.x25519, alicePriv, bobPub).toString('hex'),
    '4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742',
  );
});

for (const curve of [NamedGroup.x25519, NamedGroup.secp256r1]) {
  test(`curve ${curve}: both sides derive the same secret; sizes as on the wire`, () => {
    const a = generateEcdhKeyPair(curve);
    const b = generateEcdhKeyPair(curve);
    assert.equal(a.publicKey.length, curve === NamedGroup.x25519 ? 32 : 65);
    const s1 = ecdhSharedSecret(curve, a.privateKey, b.publicKey);
    const s2 = ecdhSharedSecret(curve, b.privateKey, a.publicKey);
    assert.deepEqual(s1, s2);
    assert.equal(s1.length, 32);
  });
}

test('bad peer keys throw (caught by the session as a failed handshake)', () => {
  const a = generateEcdhKeyPair(NamedGroup.x25519);
  assert.throws(() => ecdhSharedSecret(NamedGroup.x25519, a.privateKey, Buffer.alloc(32))); // all-zero output
  assert.throws(() => ecdhSharedSecret(NamedGroup.x25519, a.privateKey, Buffer.alloc(31)));
  const p = generateEcdhKeyPair(NamedGroup.secp256r1);
  assert.throws(() => ecdhSharedSecret(NamedGroup.secp256r1, p.privateKey, Buffer.alloc(65, 4)));
  assert.throws(() => generateEcdhKeyPair(24));
});
