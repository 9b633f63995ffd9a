/**
 * TURN in the `itda` process and `itda turn`, over real loopback sockets on ephemeral
 * ports: the ICE servers in `joined` (host from the Host header, REST credentials that
 * allocate a relay), STUN Binding, /healthz and /metrics, certificates, start failures.
 */
import assert from 'node:assert/strict';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import { selfSignedCertificate } from '@itda/common/node';
import type { IceServer, JoinedMessage } from '@itda/protocol';
import {
  AttrType,
  attr,
  createTransactionId,
  type DecodedStunMessage,
  decodeMessage,
  encodeMessage,
  longTermKey,
  type StunAttribute,
  StunClass,
  StunMethod,
} from '@itda/stun';
import { restCredential } from '@itda/turn';
import { WebSocket } from 'ws';
import { runCli } from '../cli.ts';
import { TURN_CLI_SETTINGS } from '../config/turn-cli-config.ts';
import { startServer } from '../server.ts';

/** One STUN request over UDP from a fresh socket on 127.0.0.1; the answer, within 2 s. */
class StunUdp {
  readonly socket: Socket = createSocket('udp4');
  readonly #port: number;

  constructor(port: number) {
    this.#port = port;
  }

  async open(): Promise<number> {
    await new Promise<void>((resolve) => this.socket.bind(0, '127.0.0.1', resolve));
    return this.socket.address().port;
  }

  request(method: number, attributes: StunAttribute[], key?: Uint8Array): Promise<DecodedStunMessage> {
    const transactionId = createTransactionId();
    const bytes = encodeMessage(
      { class: StunClass.Request, method, transactionId, attributes },
      { fingerprint: true, ...(key === undefined ? {} : { integrityKey: key }) },
    );
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.socket.off('message', onMessage);
        reject(new Error('no STUN answer within 2 s'));
      }, 2000);
      const onMessage = (msg: Buffer): void => {
        const decoded = decodeMessage(msg);
        if (Buffer.compare(Buffer.from(decoded.transactionId), Buffer.from(transactionId)) !== 0) return;
        clearTimeout(timer);
        this.socket.off('message', onMessage);
        resolve(decoded);
      };
      this.socket.on('message', onMessage);
      this.socket.send(bytes, this.#port, '127.0.0.1');
    });
  }

  close(): void {
    this.socket.close();
  }
}

/** Allocate with long-term credentials (RFC 8656 §7.1): 401 with REALM and NONCE, then again signed. */
async function allocate(stun: StunUdp, username: string, password: string): Promise<DecodedStunMessage> {
  const transport = attr(AttrType.RequestedTransport, 17);
  const first = await stun.request(StunMethod.Allocate, [transport]);
  assert.equal(first.class, StunClass.ErrorResponse);
  assert.equal(first.get(AttrType.ErrorCode)?.code, 401);
  const realm = first.get(AttrType.Realm) ?? '';
  const nonce = first.get(AttrType.Nonce) ?? '';
  return stun.request(
    StunMethod.Allocate,
    [transport, attr(AttrType.Username, username), attr(AttrType.Realm, realm), attr(AttrType.Nonce, nonce)],
    longTermKey(username, realm, password),
  );
}

/** Sockets of `joinWithHost`, closed by `leaveAll`. */
const joinedSockets = new Set<WebSocket>();

/**
 * Joins `room` over a WebSocket whose upgrade request carries `Host: host`; returns
 * `joined`. The socket stays open (the TURN credential is bound to the session) until
 * `leaveAll`.
 */
function joinWithHost(wsUrl: string, host: string, room: string): Promise<JoinedMessage> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(wsUrl, { headers: { host } });
    joinedSockets.add(ws);
    const timer = setTimeout(() => {
      ws.terminate();
      reject(new Error('no joined within 3 s'));
    }, 3000);
    ws.once('open', () => ws.send(JSON.stringify({ type: 'join', v: 1, room, name: 'T' })));
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as { type: string };
      if (m.type !== 'joined') return;
      clearTimeout(timer);
      resolve(m as JoinedMessage);
    });
    ws.once('error', reject);
  });
}

function leaveAll(): void {
  for (const ws of joinedSockets) ws.close();
  joinedSockets.clear();
}

const turnServerOf = (servers: IceServer[]): IceServer | undefined => servers.find((s) => s.username !== undefined);

test('itda serve with TURN: ephemeral ports, URLs on the page host, REST credentials that allocate, health and metrics', async () => {
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    turn: true,
    turnSecrets: ['current', 'previous'],
    turnUsers: ['ada:lovelace'],
    webDir: '/nonexistent',
  });
  const stun = new StunUdp(server.turn?.addresses.find((a) => a.transport === 'udp')?.port ?? 0);
  try {
    const turn = server.turn;
    assert.ok(turn);
    assert.deepEqual(
      turn.addresses.map((a) => a.transport),
      ['udp', 'tcp', 'tls'],
    );
    for (const a of turn.addresses) assert.ok(a.port !== 3478 && a.port !== 5349 && a.port > 0, `${a.transport} port`);
    assert.equal(turn.certificate?.selfSigned, true);
    assert.deepEqual(turn.announce, ['stun', 'udp', 'tcp']);
    const udp = turn.addresses[0]?.port;
    const tcp = turn.addresses[1]?.port;

    // The page host, port dropped: what a browser on http://meet.example:8080 can reach.
    const joined = await joinWithHost(server.wsUrl, 'meet.example:8080', 'turn-host');
    assert.deepEqual(joined.iceServers[0], { urls: [`stun:meet.example:${udp}`] });
    const relay = turnServerOf(joined.iceServers);
    assert.deepEqual(relay?.urls, [`turn:meet.example:${udp}?transport=udp`, `turn:meet.example:${tcp}?transport=tcp`]);
    assert.match(relay?.username ?? '', new RegExp(`^\\d+:${joined.participantId}$`));
    const expiry = Number(relay?.username?.split(':')[0]);
    assert.ok(Math.abs(expiry - (Date.now() / 1000 + 12 * 3600)) < 60, 'expires in 12 h');

    // STUN Binding: our own address back (RFC 8489 §14.2).
    const localPort = await stun.open();
    const binding = await stun.request(StunMethod.Binding, []);
    assert.equal(binding.class, StunClass.SuccessResponse);
    assert.deepEqual(binding.get(AttrType.XorMappedAddress), { family: 'IPv4', address: '127.0.0.1', port: localPort });

    // The credentials from joined allocate a relay on 127.0.0.1.
    const ok = await allocate(stun, relay?.username ?? '', relay?.credential ?? '');
    assert.equal(ok.class, StunClass.SuccessResponse, JSON.stringify(ok.get(AttrType.ErrorCode)));
    assert.equal(ok.get(AttrType.XorRelayedAddress)?.address, '127.0.0.1');

    // A credential signed with the older secret verifies too; an expired one and a wrong password do not.
    const other = new StunUdp(udp ?? 0);
    await other.open();
    try {
      const old = restCredential({ secret: 'previous', identity: 'x', ttlSeconds: 60 });
      assert.equal((await allocate(other, old.username, old.credential)).class, StunClass.SuccessResponse);
    } finally {
      other.close();
    }
    const third = new StunUdp(udp ?? 0);
    await third.open();
    try {
      const expired = restCredential({ secret: 'current', identity: 'y', ttlSeconds: 60, now: Date.now() - 3_600_000 });
      assert.equal((await allocate(third, expired.username, expired.credential)).get(AttrType.ErrorCode)?.code, 401);
      assert.equal((await allocate(third, 'ada', 'wrong')).get(AttrType.ErrorCode)?.code, 401);
      assert.equal((await allocate(third, 'ada', 'lovelace')).class, StunClass.SuccessResponse);
    } finally {
      third.close();
    }

    const health = (await (await fetch(`${server.url}/healthz`)).json()) as {
      turn: { listeners: unknown[]; relayIp: string; allocations: number };
    };
    assert.equal(health.turn.listeners.length, 3);
    assert.equal(health.turn.relayIp, '127.0.0.1');
    assert.equal(health.turn.allocations, 3);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /^itda_turn_allocations 3$/m);
    assert.match(metrics, /^itda_turn_requests_total\{method="binding",result="success"\} 1$/m);
    assert.match(metrics, /^itda_turn_auth_failures_total\{reason="[a-z_]+"\} [1-9]/m);
    assert.match(metrics, /^itda_rooms 1$/m);
  } finally {
    stun.close();
    leaveAll();
    await server.close();
  }
});

test('with --turn-cert the turns: URL is announced; TURN is off in startServer unless asked', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'itda-turn-'));
  const { cert, key } = selfSignedCertificate({ hosts: ['turn.example'] });
  writeFileSync(join(dir, 'cert.pem'), cert);
  writeFileSync(join(dir, 'key.pem'), key);
  const withCert = await startServer({
    port: 0,
    host: '127.0.0.1',
    turn: true,
    turnCert: join(dir, 'cert.pem'),
    turnKey: join(dir, 'key.pem'),
    turnHost: 'turn.example',
    webDir: '/nonexistent',
  });
  const plain = await startServer({ port: 0, host: '127.0.0.1', webDir: '/nonexistent' });
  try {
    assert.equal(withCert.turn?.certificate?.selfSigned, false);
    assert.equal(withCert.turn?.certificate?.pem, cert);
    const tls = withCert.turn?.addresses.find((a) => a.transport === 'tls')?.port;
    const joined = await joinWithHost(withCert.wsUrl, 'ignored.example', 'with-cert');
    assert.ok(turnServerOf(joined.iceServers)?.urls.includes(`turns:turn.example:${tls}?transport=tcp`));

    assert.equal(plain.turn, undefined);
    const none = await joinWithHost(plain.wsUrl, 'localhost', 'no-turn');
    assert.deepEqual(none.iceServers, []);
    const health = (await (await fetch(`${plain.url}/healthz`)).json()) as Record<string, unknown>;
    assert.equal('turn' in health, false);
    assert.doesNotMatch(await (await fetch(`${plain.url}/metrics`)).text(), /itda_turn_/);
  } finally {
    leaveAll();
    await withCert.close();
    await plain.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a TURN port in use stops the start with listen_failed; a bad certificate file with invalid_config', async () => {
  const busy = createSocket('udp4');
  await new Promise<void>((resolve) => busy.bind(0, '127.0.0.1', resolve));
  try {
    await assert.rejects(
      startServer({ port: 0, host: '127.0.0.1', turn: true, turnPort: busy.address().port, turnTlsPort: 0 }),
      (err) => isItdaError(err, 'listen_failed') && /--turn-port/.test(err.message),
    );
    await assert.rejects(
      startServer({
        port: 0,
        host: '127.0.0.1',
        turn: true,
        turnCert: '/nonexistent.pem',
        turnKey: '/nonexistent.pem',
      }),
      (err) => isItdaError(err, 'invalid_config'),
    );
  } finally {
    busy.close();
  }
});

test('`itda turn` starts on ephemeral ports, answers STUN, serves /metrics and /healthz, and stops', async () => {
  const out: string[] = [];
  const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t), env: {} };
  const result = await runCli(
    [
      'turn',
      '--listen',
      '127.0.0.1:0',
      '--tls-listen',
      '127.0.0.1:0',
      '--secret',
      'rest',
      '--user',
      'ada:pw',
      '--metrics-listen',
      '127.0.0.1:0',
      '--log-level',
      'info',
    ],
    io,
  );
  assert.ok('turn' in result, out.join(''));
  if (!('turn' in result)) return;
  const running = result.turn;
  const udp = running.addresses.find((a) => a.transport === 'udp')?.port ?? 0;
  const stun = new StunUdp(udp);
  try {
    assert.deepEqual(
      running.addresses.map((a) => a.transport),
      ['udp', 'tcp', 'tls'],
    );
    const port = await stun.open();
    const binding = await stun.request(StunMethod.Binding, []);
    assert.equal(binding.get(AttrType.XorMappedAddress)?.port, port);
    const cred = restCredential({ secret: 'rest', identity: 'cli' });
    assert.equal((await allocate(stun, cred.username, cred.credential)).class, StunClass.SuccessResponse);
    assert.ok(running.metricsUrl);
    assert.match(await (await fetch(`${running.metricsUrl}/metrics`)).text(), /^itda_turn_allocations 1$/m);
    const health = (await (await fetch(`${running.metricsUrl}/healthz`)).json()) as { status: string };
    assert.equal(health.status, 'ok');
    assert.equal((await fetch(`${running.metricsUrl}/nope`)).status, 404);
  } finally {
    stun.close();
    await running.close();
    await running.close();
  }
  const records = out
    .join('')
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  assert.ok(records.some((r) => r.msg === 'TURN ready'));
  assert.ok(records.some((r) => r.code === 'self_signed_certificate'));
});

test('`itda turn` refuses bad flags with exit code 2', async () => {
  const err: string[] = [];
  const io = { stdout: () => {}, stderr: (t: string) => err.push(t), env: {} };
  assert.deepEqual(await runCli(['turn', '--listen', 'nowhere'], io), { code: 2 });
  assert.match(err.join(''), /--listen: must be host:port/);
  assert.deepEqual(await runCli(['turn', '--port', '1'], io), { code: 2 });
  assert.match(err.join(''), /See: itda turn --help/);
});

test('`itda turn --help` and docs/server.md document every `itda turn` flag and environment variable', async () => {
  const out: string[] = [];
  const io = { stdout: (t: string) => out.push(t), stderr: (t: string) => out.push(t), env: {} };
  assert.deepEqual(await runCli(['turn', '--help'], io), { code: 0 });
  assert.deepEqual(await runCli(['help', 'turn'], io), { code: 0 });
  const { readFile } = await import('node:fs/promises');
  const doc = await readFile(new URL('../../../../docs/server.md', import.meta.url), 'utf8');
  const help = out.join('');
  for (const s of TURN_CLI_SETTINGS) {
    for (const text of [`--${s.flag}`, ...s.env]) {
      assert.ok(help.includes(text), `help: ${text}`);
      assert.ok(doc.includes(text), `docs: ${text}`);
    }
    assert.ok(doc.includes(`\`${s.key}\``), `docs: ${s.key}`);
  }
  assert.match(help, /ITDA_TURN_CONFIG/);
});
