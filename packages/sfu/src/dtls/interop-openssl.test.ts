/**
 * Interop with an independent DTLS-SRTP implementation: OpenSSL's `s_client` / `s_server`
 * over UDP on 127.0.0.1 (RFC 5764 use_srtp, RFC 5705 exporter).
 * - our server ← `openssl s_client -dtls1_2 -use_srtp … -cert …` for both SRTP profiles:
 *   the SRTP keys we emit are exactly the `EXTRACTOR-dtls_srtp` material OpenSSL exports,
 *   application data flows both ways, our close_notify ends s_client;
 * - our client → `openssl s_server -verify 1` (it asks for our certificate);
 * - an OpenSSL client whose certificate is not the SDP's is refused (dtls_fingerprint_mismatch);
 * - an OpenSSL client with an RSA certificate connects (we verify its PKCS #1 CertificateVerify).
 * `openssl` must be installed (Debian package `openssl`); without it these tests fail, they do not skip.
 */
import assert from 'node:assert/strict';
import { type ChildProcessWithoutNullStreams, spawn, spawnSync } from 'node:child_process';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { SRTP_PROFILES, type SrtpProfile } from '../srtp/index.ts';
import { createDtlsCertificate, type DtlsCertificate, fingerprintOf } from './certificate.ts';
import { DtlsErrorCode } from './errors.ts';
import { DtlsSession, type SrtpKeyingMaterial } from './session.ts';

const OPENSSL_NAME: Record<SrtpProfile, string> = {
  SRTP_AEAD_AES_128_GCM: 'SRTP_AEAD_AES_128_GCM',
  SRTP_AES128_CM_HMAC_SHA1_80: 'SRTP_AES128_CM_SHA1_80',
};
const WAIT_MS = 10_000;

const dir = mkdtempSync(join(tmpdir(), 'itda-dtls-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function requireOpenssl(): void {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  if (r.error !== undefined || r.status !== 0) {
    assert.fail(
      'openssl not found: the DTLS interop test needs the Debian package `openssl` (apt-get install -y openssl)',
    );
  }
}

function writePem(name: string, c: DtlsCertificate): { cert: string; key: string } {
  const cert = join(dir, `${name}.cert.pem`);
  const key = join(dir, `${name}.key.pem`);
  writeFileSync(cert, c.cert);
  writeFileSync(key, c.key, { mode: 0o600 });
  return { cert, key };
}

/** An OpenSSL child whose stdout+stderr we collect; `until(re)` waits (bounded) for a match. */
class Openssl {
  readonly child: ChildProcessWithoutNullStreams;
  out = '';
  readonly exited: Promise<number | null>;
  constructor(args: string[]) {
    this.child = spawn('openssl', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stdout.on('data', (d: Buffer) => {
      this.out += d.toString();
    });
    this.child.stderr.on('data', (d: Buffer) => {
      this.out += d.toString();
    });
    this.exited = new Promise((resolve) => this.child.on('exit', (code) => resolve(code)));
  }
  until(re: RegExp): Promise<RegExpMatchArray> {
    return waitFor(() => this.out.match(re) ?? undefined, `openssl output ${re}:\n${this.out}`);
  }
  /** True when the process exits within `ms`. */
  async exitWithin(ms: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), ms);
    });
    try {
      return await Promise.race([this.exited.then(() => true as const), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
  async stop(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
    await this.exited;
  }
}

/** Polls `get` every 10 ms until it returns something, failing after WAIT_MS. */
async function waitFor<T>(get: () => T | undefined, what: string): Promise<T> {
  for (let waited = 0; waited < WAIT_MS; waited += 10) {
    const v = get();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  return assert.fail(`timed out waiting for ${what}`);
}

async function udp(port = 0): Promise<Socket> {
  const sock = createSocket('udp4');
  await new Promise<void>((resolve) => sock.bind(port, '127.0.0.1', () => resolve()));
  return sock;
}

/** RFC 5764 §4.2 order: client key | server key | client salt | server salt. */
function exported(keys: SrtpKeyingMaterial, weAre: 'server' | 'client'): string {
  const [client, server] = weAre === 'server' ? ['remote', 'local'] : ['local', 'remote'];
  const k = keys as unknown as Record<string, Buffer>;
  return Buffer.concat([
    k[`${client}Key`] as Buffer,
    k[`${server}Key`] as Buffer,
    k[`${client}Salt`] as Buffer,
    k[`${server}Salt`] as Buffer,
  ])
    .toString('hex')
    .toUpperCase();
}

/** Our DtlsSession on a UDP socket, answering whoever wrote last (loopback only). */
async function ourEnd(
  role: 'server' | 'client',
  certificate: DtlsCertificate,
  remote: DtlsCertificate,
  peerPort?: number,
): Promise<{ session: DtlsSession; sock: Socket; port: number; events: string[]; data: string[] }> {
  const sock = await udp();
  let peer: Pick<RemoteInfo, 'address' | 'port'> | undefined =
    peerPort === undefined ? undefined : { address: '127.0.0.1', port: peerPort };
  const events: string[] = [];
  const data: string[] = [];
  const session = new DtlsSession({
    role,
    certificate,
    remoteFingerprints: [remote.fingerprint],
    send: (d) => {
      if (peer !== undefined) sock.send(d, peer.port, peer.address);
    },
  });
  sock.on('message', (m, rinfo) => {
    peer = rinfo;
    session.handle(m);
  });
  session.on('failed', (e) => events.push(`failed:${e.code}`));
  session.on('closed', (r) => events.push(`closed:${r}`));
  session.on('data', (d) => data.push(Buffer.from(d).toString()));
  return { session, sock, port: sock.address().port, events, data };
}

// The client lists P-256 in every case: our ECDSA certificate's curve must be among its
// groups (RFC 8422 §5.1; OpenSSL checks). The server takes the client's first group it knows.
const CASES: { profile: SrtpProfile; groups: string; temp: RegExp; extra?: string[] }[] = [
  { profile: 'SRTP_AEAD_AES_128_GCM', groups: 'X25519:P-256', temp: /Server Temp Key: X25519/ },
  { profile: 'SRTP_AES128_CM_HMAC_SHA1_80', groups: 'X25519:P-256', temp: /Server Temp Key: X25519/ },
  { profile: 'SRTP_AEAD_AES_128_GCM', groups: 'P-256', temp: /Server Temp Key: ECDH, prime256v1/ },
  // A 300-byte MTU: s_client fragments its Certificate over two datagrams (RFC 6347 §4.2.3).
  { profile: 'SRTP_AEAD_AES_128_GCM', groups: 'X25519:P-256', temp: /X25519/, extra: ['-mtu', '300'] },
];
for (const { profile, groups, temp, extra = [] } of CASES) {
  test(`our server ← openssl s_client ${extra.join(' ')}: ${profile}, ECDHE ${groups}: keys equal OpenSSL's exporter, data both ways`, async () => {
    requireOpenssl();
    const ours = createDtlsCertificate();
    const theirs = createDtlsCertificate();
    const files = writePem(`client-${profile}-${groups}-${extra.length}`, theirs);
    const end = await ourEnd('server', ours, theirs);
    const keysP = end.session.next('connected');
    const p = SRTP_PROFILES[profile];
    const ssl = new Openssl([
      's_client',
      '-dtls1_2',
      '-connect',
      `127.0.0.1:${end.port}`,
      '-use_srtp',
      OPENSSL_NAME[profile],
      '-groups',
      groups,
      ...extra,
      '-cert',
      files.cert,
      '-key',
      files.key,
      '-keymatexport',
      'EXTRACTOR-dtls_srtp',
      '-keymatexportlen',
      String(2 * (p.keyLength + p.saltLength)),
    ]);
    try {
      const [keys] = await Promise.race([
        keysP,
        waitFor(() => (end.events.length > 0 ? end.events : undefined), 'connected').then((e) =>
          assert.fail(`server ended: ${e.join(',')}\n${ssl.out}`),
        ),
      ]);
      const material = await ssl.until(/Keying material: ([0-9A-F]+)/);
      assert.equal(keys.profile, profile);
      assert.equal(exported(keys, 'server'), material[1]);
      assert.match(ssl.out, new RegExp(`SRTP Extension negotiated, profile=${OPENSSL_NAME[profile]}`));
      assert.match(ssl.out, /Cipher is ECDHE-ECDSA-AES128-GCM-SHA256/);
      assert.match(ssl.out, /Extended master secret: yes/);
      assert.match(ssl.out, temp);

      ssl.child.stdin.write('hello from openssl\n');
      await waitFor(() => (end.data.join('').includes('hello from openssl') ? true : undefined), 'data from openssl');
      end.session.sendData(Buffer.from('hello from itda\n'));
      await ssl.until(/hello from itda/);

      end.session.close(); // close_notify (RFC 5246 §7.2.1): s_client reports it and exits
      assert.equal(await ssl.exitWithin(WAIT_MS), true, `s_client did not exit on close_notify:\n${ssl.out}`);
      assert.match(ssl.out, /^closed$/m); // SSL_ERROR_ZERO_RETURN: it read our close_notify
      assert.deepEqual(end.events, ['closed:local']);
    } finally {
      await ssl.stop();
      end.session.close();
      end.sock.close();
    }
  });
}

test('our client → openssl s_server -verify 1: keys equal OpenSSL exporter', async () => {
  requireOpenssl();
  const ours = createDtlsCertificate();
  const theirs = createDtlsCertificate();
  const files = writePem('server', theirs);
  const probe = await udp();
  const port = probe.address().port;
  probe.close(); // a free port for s_server (loopback only)
  const ssl = new Openssl([
    's_server',
    '-dtls1_2',
    '-accept',
    `127.0.0.1:${port}`,
    '-cert',
    files.cert,
    '-key',
    files.key,
    '-use_srtp',
    'SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80',
    '-verify',
    '1',
    '-naccept',
    '1',
    '-keymatexport',
    'EXTRACTOR-dtls_srtp',
    '-keymatexportlen',
    '56',
  ]);
  let end: Awaited<ReturnType<typeof ourEnd>> | undefined;
  try {
    await ssl.until(/ACCEPT/);
    end = await ourEnd('client', ours, theirs, port);
    const [keys] = await end.session.next('connected');
    const material = await ssl.until(/Keying material: ([0-9A-F]+)/);
    assert.equal(keys.profile, 'SRTP_AEAD_AES_128_GCM');
    assert.equal(exported(keys, 'client'), material[1]);
    assert.match(ssl.out, /Client certificate/);
    end.session.sendData(Buffer.from('from the itda client\n'));
    await ssl.until(/from the itda client/);
  } finally {
    await ssl.stop();
    end?.session.close();
    end?.sock.close();
  }
});

test('openssl s_client with a certificate that is not in the SDP: dtls_fingerprint_mismatch, no keys', async () => {
  requireOpenssl();
  const ours = createDtlsCertificate();
  const expected = createDtlsCertificate();
  const files = writePem('impostor', createDtlsCertificate());
  const end = await ourEnd('server', ours, expected);
  let connected = false;
  end.session.on('connected', () => {
    connected = true;
  });
  const ssl = new Openssl([
    's_client',
    '-dtls1_2',
    '-connect',
    `127.0.0.1:${end.port}`,
    '-use_srtp',
    'SRTP_AEAD_AES_128_GCM',
    '-cert',
    files.cert,
    '-key',
    files.key,
  ]);
  try {
    await waitFor(() => (end.events.length > 0 ? true : undefined), 'the server to fail');
    assert.deepEqual(end.events, [`failed:${DtlsErrorCode.FingerprintMismatch}`]);
    assert.equal(connected, false);
    await ssl.until(/alert bad certificate|bad certificate/i);
  } finally {
    await ssl.stop();
    end.sock.close();
  }
});

test('openssl s_client with an RSA client certificate (CertificateVerify rsa_pkcs1_sha256) connects', async () => {
  requireOpenssl();
  const cert = join(dir, 'rsa.cert.pem');
  const key = join(dir, 'rsa.key.pem');
  const made = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=rsa', '-days', '1', '-keyout', key, '-out', cert],
    { encoding: 'utf8' },
  );
  assert.equal(made.status, 0, made.stderr);
  const rsaPem = readFileSync(cert, 'utf8');
  const theirs = {
    cert: rsaPem,
    key: '',
    fingerprint: { algorithm: 'sha-256' as const, value: fingerprintOf(rsaPem) },
  };
  const end = await ourEnd('server', createDtlsCertificate(), theirs);
  const connected = end.session.next('connected');
  const ssl = new Openssl([
    's_client',
    '-dtls1_2',
    '-connect',
    `127.0.0.1:${end.port}`,
    '-use_srtp',
    'SRTP_AEAD_AES_128_GCM',
    '-cert',
    cert,
    '-key',
    key,
  ]);
  try {
    const [keys] = await Promise.race([
      connected,
      waitFor(() => (end.events.length > 0 ? end.events : undefined), 'connected').then((e) =>
        assert.fail(`server ended: ${e.join(',')}\n${ssl.out}`),
      ),
    ]);
    assert.equal(keys.profile, 'SRTP_AEAD_AES_128_GCM');
  } finally {
    await ssl.stop();
    end.session.close();
    end.sock.close();
  }
});
