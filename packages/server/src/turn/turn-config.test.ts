import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import { loadConfig, loadServerConfig } from '../config/load-config.ts';
import { DEFAULT_TURN_CLI_CONFIG, TURN_CLI_SPEC } from '../config/turn-cli-config.ts';
import { chooseRelayIp, turnListenHost } from './turn-embed.ts';

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isItdaError(err, 'invalid_config'), String(err));
    return err.message;
  }
  assert.fail('expected invalid_config');
}

const file = (name: string, content: Record<string, unknown>) => (path: string) => {
  if (path !== name) throw new Error('ENOENT');
  return JSON.stringify(content);
};

test('serve: TURN is on by default with the standard ports, a 12 h credential TTL and automatic URL kinds', () => {
  const c = loadServerConfig();
  assert.equal(c.turn, true);
  assert.deepEqual([c.turnPort, c.turnTlsPort, c.turnTls], [3478, 5349, true]);
  assert.equal(c.realm, 'itda');
  assert.equal(c.turnCredentialTtlMs, 12 * 3_600_000);
  assert.equal(c.turnAnnounce, undefined);
  assert.deepEqual([c.minPort, c.maxPort, c.allowLoopbackPeers], [49152, 65535, false]);
  assert.equal(c.turnSecrets.length, 0);
  assert.equal(c.relayIp, undefined);
});

test('serve: TURN settings follow flags > environment > config file', () => {
  const readFile = file('itda.json', { turnPort: 4000, realm: 'file', turnUsers: ['a:1'], turnCredentialTtlMs: '1h' });
  const env = { ITDA_CONFIG: 'itda.json', ITDA_TURN_PORT: '4001', ITDA_TURN_SECRET: 'e1,e2', ITDA_TURN: 'false' };
  const c = loadServerConfig({
    env,
    readFile,
    flags: {
      turn: true,
      'turn-secret': ['f1'],
      'turn-user': ['ada:pa:ss', 'bea:x'],
      'relay-ip': '10.1.2.3',
      'external-ip': '203.0.113.9',
      'turn-host': 'turn.example.org',
      'min-port': '50000',
      'max-port': '50100',
      'allow-loopback-peers': true,
      'turn-credential-ttl': '30m',
      'turn-announce': ['tls'],
    },
  });
  assert.equal(c.turn, true);
  assert.equal(c.turnPort, 4001);
  assert.equal(c.realm, 'file');
  assert.deepEqual(c.turnSecrets, ['f1']);
  assert.deepEqual(c.turnUsers, ['ada:pa:ss', 'bea:x']);
  assert.deepEqual([c.relayIp, c.externalIp, c.turnHost], ['10.1.2.3', '203.0.113.9', 'turn.example.org']);
  assert.deepEqual([c.minPort, c.maxPort, c.allowLoopbackPeers], [50000, 50100, true]);
  assert.equal(c.turnCredentialTtlMs, 1_800_000);
  assert.deepEqual(c.turnAnnounce, ['tls']);
  assert.equal(loadServerConfig({ env, readFile }).turn, false);
  assert.deepEqual(loadServerConfig({ env, readFile }).turnSecrets, ['e1', 'e2']);
});

test('serve: bad TURN settings are refused, naming the setting', () => {
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'turn-cert': 'c.pem' } })),
    /--turn-cert and --turn-key/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'turn-user': ['nopass'] } })),
    /--turn-user: users are name:password/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'turn-user': [':x'] } })),
    /name:password/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'min-port': '6000', 'max-port': '5000' } })),
    /--min-port/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'relay-ip': 'example.org' } })),
    /--relay-ip must be an IP/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'external-ip': '1.2.3' } })),
    /--external-ip/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'turn-host': 'bad host/x' } })),
    /--turn-host/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'turn-announce': ['udp,quic'] } })),
    /"quic" is not one of/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'turn-credential-ttl': '5s' } })),
    /--turn-credential-ttl/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ env: { ITDA_TURN_PORT: '99999' } })),
    /\$ITDA_TURN_PORT/,
  );
});

test('itda turn: defaults, host:port lists (IPv4, IPv6, bare port), environment and its own config file', () => {
  assert.deepEqual(loadConfig(TURN_CLI_SPEC), DEFAULT_TURN_CLI_CONFIG);
  const c = loadConfig(TURN_CLI_SPEC, {
    flags: {
      listen: ['127.0.0.1:3478', '[::1]:3479', ':3480'],
      'tls-listen': ['127.0.0.1:5349'],
      user: ['ada:secret'],
      secret: ['s1', 's0'],
      'metrics-listen': ['127.0.0.1:9641'],
      'allow-loopback-peers': true,
      rfc5780: '127.0.0.2',
    },
  });
  assert.deepEqual(c.listen, [
    { host: '127.0.0.1', port: 3478 },
    { host: '::1', port: 3479 },
    { host: '0.0.0.0', port: 3480 },
  ]);
  assert.deepEqual(c.tlsListen, [{ host: '127.0.0.1', port: 5349 }]);
  assert.deepEqual(c.metricsListen, [{ host: '127.0.0.1', port: 9641 }]);
  assert.deepEqual(
    [c.users, c.secrets, c.allowLoopbackPeers, c.rfc5780],
    [['ada:secret'], ['s1', 's0'], true, '127.0.0.2'],
  );

  const readFile = file('turn.json', { realm: 'r', listen: ['0.0.0.0:3478'], secrets: ['f'], minPort: 40000 });
  const fromFile = loadConfig(TURN_CLI_SPEC, {
    env: { ITDA_TURN_CONFIG: 'turn.json', ITDA_TURN_SECRET: 'env', ITDA_CONFIG: 'serve.json' },
    readFile,
  });
  assert.deepEqual([fromFile.realm, fromFile.secrets, fromFile.minPort], ['r', ['env'], 40000]);
});

test('itda turn: bad settings are refused', () => {
  const load = (flags: Record<string, string | boolean | string[]>) => () => loadConfig(TURN_CLI_SPEC, { flags });
  assert.match(errorOf(load({ listen: ['localhost'] })), /--listen: must be host:port/);
  assert.match(errorOf(load({ listen: ['127.0.0.1:70000'] })), /must be host:port/);
  assert.match(errorOf(load({ listen: ['example.org:3478'] })), /listen addresses must be IP addresses/);
  assert.match(errorOf(load({ cert: 'c.pem' })), /--cert and --key/);
  assert.match(errorOf(load({ user: ['ada'] })), /--user: users are name:password/);
  assert.match(errorOf(load({ 'metrics-listen': ['127.0.0.1:1', '127.0.0.1:2'] })), /--metrics-listen takes one/);
  assert.match(errorOf(load({ rfc5780: 'second' })), /--rfc5780 must be an IP/);
  assert.match(
    errorOf(() => loadConfig(TURN_CLI_SPEC, { flags: { config: 't.json' }, readFile: file('t.json', { port: 1 }) })),
    /unknown setting "port"/,
  );
});

test('TURN listen and relay addresses follow --host: names are refused, localhost is 127.0.0.1', () => {
  assert.equal(turnListenHost('0.0.0.0'), '0.0.0.0');
  assert.equal(turnListenHost(''), '0.0.0.0');
  assert.equal(turnListenHost('localhost'), '127.0.0.1');
  assert.equal(turnListenHost('::'), '::');
  assert.match(
    errorOf(() => turnListenHost('meet.example.org')),
    /TURN listens on IP addresses/,
  );
  assert.equal(chooseRelayIp({ relayIp: '10.0.0.2', host: '0.0.0.0' }), '10.0.0.2');
  assert.equal(chooseRelayIp({ relayIp: undefined, host: '127.0.0.1' }), '127.0.0.1');
  // A wildcard host: each relay on the address its Allocate arrived on.
  assert.equal(chooseRelayIp({ relayIp: undefined, host: '0.0.0.0' }), undefined);
});

test('TURN quotas: defaults 1,000 / 500 / 10,000, from flag, environment or config file, for serve and turn; out of range refused', () => {
  const serve = loadServerConfig();
  assert.deepEqual([serve.userQuota, serve.sourceQuota, serve.totalQuota], [1000, 500, 10_000]);
  const turn = loadConfig(TURN_CLI_SPEC);
  assert.deepEqual([turn.userQuota, turn.sourceQuota, turn.totalQuota], [1000, 500, 10_000]);
  const c = loadServerConfig({
    env: { ITDA_CONFIG: 'itda.json', ITDA_TURN_SOURCE_QUOTA: '40' },
    readFile: file('itda.json', { userQuota: 7, totalQuota: 300 }),
    flags: { 'total-quota': '200' },
  });
  assert.deepEqual([c.userQuota, c.sourceQuota, c.totalQuota], [7, 40, 200]);
  const t = loadConfig(TURN_CLI_SPEC, { flags: { 'user-quota': '3' }, env: { ITDA_TURN_TOTAL_QUOTA: '9' } });
  assert.deepEqual([t.userQuota, t.sourceQuota, t.totalQuota], [3, 500, 9]);
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'source-quota': '0' } })),
    /--source-quota.*must be from 1 to 1000000/,
  );
  assert.match(
    errorOf(() => loadConfig(TURN_CLI_SPEC, { flags: { 'user-quota': '100001' } })),
    /--user-quota.*must be from 1 to 100000/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ env: { ITDA_TURN_TOTAL_QUOTA: 'lots' } })),
    /ITDA_TURN_TOTAL_QUOTA/,
  );
});
