import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { connect, createServer } from 'node:tls';
import { selfSignedCertificate, spkiSha256 } from './self-signed.ts';

test('the self-signed certificate parses, verifies itself and names every host', () => {
  const notBefore = new Date('2030-01-01T00:00:00Z');
  const { cert, key, fingerprint256 } = selfSignedCertificate({
    hosts: ['localhost', 'turn.example', '127.0.0.1', '::1', '2001:db8::5'],
    days: 30,
    notBefore,
  });
  assert.match(key, /^-----BEGIN PRIVATE KEY-----/);
  const x = new X509Certificate(cert);
  assert.equal(x.subject, 'CN=itda');
  assert.equal(x.issuer, 'CN=itda');
  assert.equal(x.ca, false);
  assert.equal(x.verify(x.publicKey), true);
  assert.equal(x.fingerprint256, fingerprint256);
  assert.equal(new Date(x.validFrom).toISOString(), notBefore.toISOString());
  assert.equal(new Date(x.validTo).getTime() - notBefore.getTime(), 30 * 86_400_000);
  assert.equal(x.checkHost('localhost'), 'localhost');
  assert.equal(x.checkHost('turn.example'), 'turn.example');
  assert.equal(x.checkHost('other.example'), undefined);
  assert.equal(x.checkIP('127.0.0.1'), '127.0.0.1');
  assert.equal(x.checkIP('::1'), '::1');
  assert.equal(x.checkIP('2001:db8::5'), '2001:db8::5');
  assert.equal(x.checkIP('10.0.0.1'), undefined);
  assert.deepEqual(x.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  // GeneralizedTime after 2049.
  const late = new X509Certificate(
    selfSignedCertificate({ notBefore: new Date('2049-12-01T00:00:00Z'), days: 60 }).cert,
  );
  assert.equal(new Date(late.validTo).getUTCFullYear(), 2050);
  assert.throws(() => selfSignedCertificate({ days: 0 }), RangeError);
  assert.match(spkiSha256(cert), /^[A-Za-z0-9+/]{43}=$/);
  assert.notEqual(spkiSha256(cert), spkiSha256(selfSignedCertificate().cert));
});

test('a TLS client that trusts the certificate completes a verified handshake with it', async () => {
  const { cert, key } = selfSignedCertificate();
  const server = createServer({ cert, key }, (socket) => socket.end('ok'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    const port = (server.address() as AddressInfo).port;
    for (const servername of ['localhost', undefined]) {
      const text = await new Promise<string>((resolve, reject) => {
        const socket = connect({ host: '127.0.0.1', port, ca: cert, ...(servername ? { servername } : {}) }, () => {
          if (!socket.authorized) reject(socket.authorizationError);
        });
        let data = '';
        socket.setEncoding('utf8');
        socket.on('data', (d: string) => {
          data += d;
        });
        socket.on('end', () => resolve(data));
        socket.on('error', reject);
      });
      assert.equal(text, 'ok');
    }
  } finally {
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
