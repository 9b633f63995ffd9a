/**
 * HTTPS and WSS on itda's port (`--tls self-signed`, `--tls-cert`/`--tls-key`): served
 * and verified against the certificate itself, plain HTTP redirected, certificate files
 * that do not load refused with the file named, and a reload (SIGHUP) that new
 * connections see while an open WebSocket goes on.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import { selfSignedCertificate } from '@itda/common/node';
import { servedFingerprint } from '@itda/common/node-testing';
import { TestClient } from '@itda/signal/node';
import { startServer } from '../server.ts';

function getStatus(url: string, ca?: string): Promise<{ status: number; location: string | undefined }> {
  const get = url.startsWith('https:') ? httpsGet : httpGet;
  return new Promise((resolve, reject) => {
    get(url, { agent: false, ...(ca === undefined ? {} : { ca }) }, (res) => {
      res.resume();
      resolve({ status: res.statusCode ?? 0, location: res.headers.location });
    }).on('error', reject);
  });
}

/** SHA-256 of the certificate a new TLS connection to the port gets. */

function certFiles(dir: string, name: string): { cert: string; key: string; fingerprint256: string; pem: string } {
  const made = selfSignedCertificate({ hosts: ['localhost', '127.0.0.1'] });
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  writeFileSync(cert, made.cert);
  writeFileSync(key, made.key);
  return { cert, key, fingerprint256: made.fingerprint256, pem: made.cert };
}

async function startError(options: Parameters<typeof startServer>[0]): Promise<Error> {
  try {
    const s = await startServer(options);
    await s.close();
  } catch (err) {
    return err as Error;
  }
  assert.fail('expected the start to fail');
}

test('--tls self-signed: HTTPS and WSS on the port, verified against the certificate; http:// redirected; TURN over TLS shares it', async () => {
  const server = await startServer({ port: 0, host: '127.0.0.1', tls: 'self-signed', turn: true, logLevel: 'warn' });
  try {
    const tls = server.tls;
    assert.ok(tls?.selfSigned);
    assert.match(server.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.match(server.wsUrl, /^wss:\/\//);
    assert.ok(tls.names.includes('127.0.0.1') && tls.names.includes('localhost'));
    assert.deepEqual(await getStatus(`${server.url}/healthz`, tls.cert), { status: 200, location: undefined });
    assert.deepEqual(await getStatus(`http://127.0.0.1:${server.port}/r/standup`), {
      status: 308,
      location: `https://127.0.0.1:${server.port}/r/standup`,
    });
    const client = await TestClient.connect(server.wsUrl, { ca: tls.cert });
    client.send({ type: 'join', v: 1, room: 'secure', name: 'Ada' });
    assert.equal((await client.next('joined')).room, 'secure');
    client.ws.close();
    assert.equal(server.turn?.certificate?.pem, tls.cert, 'turns: uses the same certificate');
  } finally {
    await server.close();
  }
});

test('--tls-cert/--tls-key: served; reloadTls (SIGHUP) gives new connections the new certificate while an open WebSocket goes on', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'itda-tls-'));
  try {
    const first = certFiles(dir, 'a');
    const server = await startServer({
      port: 0,
      host: '127.0.0.1',
      tlsCert: first.cert,
      tlsKey: first.key,
      logLevel: 'warn',
    });
    try {
      assert.equal(server.tls?.selfSigned, false);
      assert.equal(await servedFingerprint(server.port), first.fingerprint256);
      const ada = await TestClient.connect(server.wsUrl, { ca: first.pem });
      ada.send({ type: 'join', v: 1, room: 'reload', name: 'Ada' });
      await ada.next('joined');

      const second = certFiles(dir, 'b');
      writeFileSync(first.cert, readFileSync(second.cert, 'utf8'));
      writeFileSync(first.key, readFileSync(second.key, 'utf8'));
      server.reloadTls();
      assert.equal(await servedFingerprint(server.port), second.fingerprint256);
      assert.equal(server.tls?.fingerprint256, second.fingerprint256);
      const bob = await TestClient.connect(server.wsUrl, { ca: second.pem });
      bob.send({ type: 'join', v: 1, room: 'reload', name: 'Bob' });
      await bob.next('joined');
      assert.equal((await ada.next('participant-joined')).participant.name, 'Bob', 'the open WebSocket goes on');

      // A pair that does not load: the reload throws naming the file, the served certificate stays.
      writeFileSync(first.key, 'not a key');
      assert.throws(() => server.reloadTls(), /--tls-key .*a\.key does not load/);
      assert.equal(await servedFingerprint(server.port), second.fingerprint256);
      ada.ws.close();
      bob.ws.close();
    } finally {
      await server.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('certificate files that cannot be read or do not load stop the start with invalid_config naming the file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'itda-tls-'));
  try {
    const good = certFiles(dir, 'good');
    const other = certFiles(dir, 'other');
    const garbage = join(dir, 'garbage.crt');
    writeFileSync(garbage, '-----BEGIN CERTIFICATE-----\nnope\n-----END CERTIFICATE-----\n');
    const cases: [Parameters<typeof startServer>[0], RegExp][] = [
      [{ tlsCert: join(dir, 'missing.crt'), tlsKey: good.key }, /cannot read --tls-cert .*missing\.crt: ENOENT/],
      [{ tlsCert: garbage, tlsKey: good.key }, /--tls-cert .*garbage\.crt is not a PEM certificate/],
      [{ tlsCert: good.cert, tlsKey: other.key }, /--tls-key .*other\.key does not load with --tls-cert/],
      [{ tlsCert: good.cert }, /--tls-cert and --tls-key go together/],
      [{ tls: 'self-signed', tlsCert: good.cert, tlsKey: good.key }, /exclude each other/],
    ];
    for (const [options, message] of cases) {
      const err = await startError({ port: 0, host: '127.0.0.1', logLevel: 'error', ...options });
      assert.ok(isItdaError(err, 'invalid_config'), `${String(err)}`);
      assert.match(err.message, message);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
