import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseRestUsername, restPassword } from '@itda/turn';
import { loadServerConfig } from '../config/load-config.ts';
import { hostOfHeader, isSessionIdentity, restIdentity, turnIceServersProvider, turnUrls } from './ice-servers.ts';
import { remoteTurnProvider } from './turn-embed.ts';

test('hostOfHeader keeps plain host names and IP literals, drops ports and anything odd', () => {
  assert.equal(hostOfHeader('localhost:8080'), 'localhost');
  assert.equal(hostOfHeader('192.168.1.5:8080'), '192.168.1.5');
  assert.equal(hostOfHeader('Meet.Example.org'), 'meet.example.org');
  assert.equal(hostOfHeader('[::1]:8080'), '[::1]');
  assert.equal(hostOfHeader('[2001:db8::1]'), '[2001:db8::1]');
  assert.equal(hostOfHeader(undefined), undefined);
  assert.equal(hostOfHeader(''), undefined);
  assert.equal(hostOfHeader('evil.example?transport=tcp'), undefined);
  assert.equal(hostOfHeader('a b'), undefined);
  assert.equal(hostOfHeader('x@y:80'), undefined);
  assert.equal(hostOfHeader('::1'), undefined);
});

test('turnUrls: stun, turn udp/tcp and turns with the bound ports, IPv6 in brackets, filtered by announce', () => {
  const ports = { udp: 3478, tcp: 3479, tls: 5349 };
  assert.deepEqual(turnUrls('example.org', ports, ['stun', 'udp', 'tcp', 'tls']), {
    stun: ['stun:example.org:3478'],
    turn: [
      'turn:example.org:3478?transport=udp',
      'turn:example.org:3479?transport=tcp',
      'turns:example.org:5349?transport=tcp',
    ],
  });
  assert.deepEqual(turnUrls('::1', ports, ['tls']), { stun: [], turn: ['turns:[::1]:5349?transport=tcp'] });
  assert.deepEqual(turnUrls('[::1]', { udp: 1 }, ['stun', 'tls']), { stun: ['stun:[::1]:1'], turn: [] });
});

test('the provider hands each participant URLs on the host it used and REST credentials that verify and expire', () => {
  const now = Date.UTC(2030, 0, 1);
  const provider = turnIceServersProvider({
    ports: { udp: 3478, tcp: 3478, tls: 5349 },
    announce: ['stun', 'udp', 'tcp', 'tls'],
    fixedHost: undefined,
    fallbackHost: '10.0.0.7',
    secret: 'rest-secret',
    ttlSeconds: 3600,
    extra: [{ urls: 'stun:stun.example.org' }],
    now: () => now,
  });
  const servers = provider({ room: 'r', participantId: 'p_1', identity: null, host: '192.168.1.5:8080' });
  assert.equal(servers.length, 3);
  assert.deepEqual(servers[0], { urls: ['stun:192.168.1.5:3478'] });
  const turn = servers[1];
  assert.ok(turn?.username !== undefined && turn.credential !== undefined);
  assert.deepEqual(turn.urls, [
    'turn:192.168.1.5:3478?transport=udp',
    'turn:192.168.1.5:3478?transport=tcp',
    'turns:192.168.1.5:5349?transport=tcp',
  ]);
  assert.deepEqual(parseRestUsername(turn.username), { expiresAt: now / 1000 + 3600, identity: 'p_1' });
  assert.equal(turn.credential, restPassword('rest-secret', turn.username));
  assert.deepEqual(servers[2], { urls: 'stun:stun.example.org' });

  // Always the participant id (one credential per session, not per token identity); the
  // fallback host without a usable Host.
  const withIdentity = provider({ room: 'r', participantId: 'p_2', identity: 'ada@example.org', host: 'bad host' });
  assert.match(withIdentity[1]?.username ?? '', /^\d+:p_2$/);
  assert.deepEqual(withIdentity[0], { urls: ['stun:10.0.0.7:3478'] });
  assert.equal(restIdentity({ participantId: 'p_3' }), 'p_3');
  assert.equal(isSessionIdentity('p_Xk3aB9qLm2Zc'), true);
  for (const other of ['ada', 'p_', 'p_a:b', 'P_abc', `p_${'x'.repeat(65)}`])
    assert.equal(isSessionIdentity(other), false);
});

test('a fixed host (--turn-host / --external-ip) wins over the Host header; announce can hand out TLS only', () => {
  const provider = turnIceServersProvider({
    ports: { udp: 3478, tcp: 3478, tls: 443 },
    announce: ['tls'],
    fixedHost: 'turn.example.org',
    fallbackHost: '127.0.0.1',
    secret: 's',
    ttlSeconds: 60,
  });
  const servers = provider({ room: 'r', participantId: 'p', identity: null, host: 'localhost:8080' });
  assert.equal(servers.length, 1);
  assert.deepEqual(servers[0]?.urls, ['turns:turn.example.org:443?transport=tcp']);
});

test('--no-turn with --turn-secret and --turn-host hands out credentials for a TURN server elsewhere', () => {
  const base = loadServerConfig({
    flags: { turn: false, 'turn-secret': ['shared'], 'turn-host': 'turn.example.org', 'turn-tls-port': '443' },
  });
  const provider = remoteTurnProvider(base);
  assert.ok(provider);
  const [stun, turn] = provider({ room: 'r', participantId: 'p_9', identity: null, host: 'meet.example.org' });
  assert.deepEqual(stun?.urls, ['stun:turn.example.org:3478']);
  assert.deepEqual(turn?.urls, [
    'turn:turn.example.org:3478?transport=udp',
    'turn:turn.example.org:3478?transport=tcp',
    'turns:turn.example.org:443?transport=tcp',
  ]);
  assert.equal(turn?.credential, restPassword('shared', turn?.username ?? ''));
  assert.equal(remoteTurnProvider({ ...base, turnSecrets: [] }), undefined);
  assert.equal(remoteTurnProvider({ ...base, turnHost: undefined }), undefined);
  assert.equal(remoteTurnProvider({ ...base, turn: true }), undefined);
});
