import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isItdaError } from '@itda/common';
import { DEFAULT_SERVER_CONFIG, validateServerConfig } from './config.ts';
import { parseDuration } from './duration.ts';
import { loadServerConfig } from './load-config.ts';
import { defaultMediaWorkers } from './sfu-settings.ts';

const files = (content: Record<string, unknown>) => (path: string) => {
  if (path !== 'itda.json') throw new Error('ENOENT');
  return JSON.stringify(content);
};

function errorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    assert.ok(isItdaError(err, 'invalid_config'), String(err));
    return err.message;
  }
  assert.fail('expected invalid_config');
}

test('defaults come from the protocol limits', () => {
  const config = loadServerConfig();
  assert.deepEqual(config, DEFAULT_SERVER_CONFIG);
  assert.equal(config.port, 8080);
  assert.equal(config.host, '0.0.0.0');
  assert.equal(config.openRooms, true);
  assert.equal(config.roomCapacity, 4);
  assert.equal(config.maxMessageBytes, 65536);
  assert.match(config.webDir, /apps[/\\]web[/\\]dist$/);
});

test('precedence: flags > environment > config file > defaults', () => {
  const readFile = files({ port: 1111, host: '127.0.0.1', roomCapacity: 6, resumeGraceMs: '20s', rate: 10 });
  const fileOnly = loadServerConfig({ flags: { config: 'itda.json' }, readFile });
  assert.equal(fileOnly.port, 1111);
  assert.equal(fileOnly.resumeGraceMs, 20_000);
  const env = { ITDA_CONFIG: 'itda.json', PORT: '2222', ITDA_ROOM_CAPACITY: '8', ITDA_OPEN_ROOMS: 'true' };
  const withEnv = loadServerConfig({ env, readFile });
  assert.deepEqual([withEnv.port, withEnv.host, withEnv.roomCapacity, withEnv.rate], [2222, '127.0.0.1', 8, 10]);
  const withFlags = loadServerConfig({
    env,
    readFile,
    flags: { port: '3333', 'resume-grace': '500ms', 'ice-server': ['stun:127.0.0.1:3478'], 'open-rooms': true },
  });
  assert.deepEqual(
    [withFlags.port, withFlags.roomCapacity, withFlags.resumeGraceMs, withFlags.iceServers],
    [3333, 8, 500, [{ urls: 'stun:127.0.0.1:3478' }]],
  );
});

test('lists: repeatable flags and comma-separated env; --no-open-rooms needs a secret', () => {
  const a = loadServerConfig({ env: { ITDA_JWT_SECRET: 'k1, k2' }, flags: { 'open-rooms': false } });
  assert.deepEqual(a.jwtSecrets, ['k1', 'k2']);
  assert.equal(a.openRooms, false);
  const b = loadServerConfig({ env: { ITDA_JWT_SECRET: 'k1' }, flags: { 'jwt-secret': ['new', 'old'] } });
  assert.deepEqual(b.jwtSecrets, ['new', 'old']);
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'open-rooms': false } })),
    /--no-open-rooms needs at least one --jwt-secret/,
  );
});

test('bad values stop the start with a message naming the setting and its source', () => {
  assert.match(
    errorOf(() => loadServerConfig({ flags: { port: 'eighty' } })),
    /^--port: must be a number/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ env: { PORT: '70000' } })),
    /^\$PORT: must be from 0 to 65535/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ env: { ITDA_OPEN_ROOMS: 'maybe' } })),
    /ITDA_OPEN_ROOMS: must be true or false/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'room-capacity': '0' } })),
    /--room-capacity: must be from 1 to 1000/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'active-speaker-interval': '50ms' } })),
    /--active-speaker-interval: must be from 100ms to 5000ms/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'resume-grace': 'soon' } })),
    /--resume-grace: must be a duration/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'log-level': 'loud' } })),
    /--log-level: must be one of/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'ice-server': ['http://x'] } })),
    /--ice-server: ICE server URLs/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ flags: { config: 'itda.json' }, readFile: files({ prot: 1 }) })),
    /itda.json: unknown setting "prot"/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ flags: { config: 'itda.json' }, readFile: files({ rateBurst: 'many' }) })),
    /itda.json: rateBurst: must be a number/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ flags: { config: 'missing.json' }, readFile: files({}) })),
    /cannot read/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'heartbeat-interval': '20s', 'heartbeat-timeout': '10s' } })),
    /heartbeatTimeoutMs/,
  );
  assert.match(
    errorOf(() => validateServerConfig({ ...DEFAULT_SERVER_CONFIG, rate: -1 })),
    /^rate \(--rate, ITDA_RATE\)/,
  );
});

test('durations', () => {
  assert.equal(parseDuration('15s'), 15_000);
  assert.equal(parseDuration('250'), 250);
  assert.equal(parseDuration('250', 's'), 250_000);
  assert.equal(parseDuration('1.5m'), 90_000);
  assert.equal(parseDuration('2h'), 7_200_000);
  assert.equal(parseDuration('-1s'), undefined);
  assert.equal(parseDuration('1 week'), undefined);
});

test('room mode and sfu room capacity: flags, environment, file; unset means the server decides', () => {
  assert.equal(loadServerConfig().roomMode, undefined);
  assert.equal(loadServerConfig().sfuRoomCapacity, 50);
  assert.equal(loadServerConfig({ flags: { 'room-mode': 'p2p' } }).roomMode, 'p2p');
  assert.equal(loadServerConfig({ env: { ITDA_ROOM_MODE: 'sfu' } }).roomMode, 'sfu');
  const fromFile = loadServerConfig({
    flags: { config: 'itda.json' },
    readFile: files({ roomMode: 'sfu', sfuRoomCapacity: 12 }),
  });
  assert.deepEqual([fromFile.roomMode, fromFile.sfuRoomCapacity], ['sfu', 12]);
  assert.match(
    errorOf(() => loadServerConfig({ flags: { 'room-mode': 'mesh' } })),
    /roomMode \(--room-mode, ITDA_ROOM_MODE\): must be p2p or sfu/,
  );
  assert.match(
    errorOf(() => loadServerConfig({ env: { ITDA_SFU_ROOM_CAPACITY: '1001' } })),
    /ITDA_SFU_ROOM_CAPACITY: must be from 1 to 1000/,
  );
});

test('--media-workers defaults to none on one or two CPUs, else CPUs − 1 (at most 8); the flag and env set it, 0 … 64', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 9, 64].map((n) => defaultMediaWorkers(n)),
    [0, 0, 2, 3, 8, 8],
  );
  assert.equal(loadServerConfig({ flags: { 'media-workers': '0' } }).mediaWorkers, 0);
  assert.equal(loadServerConfig({ env: { ITDA_MEDIA_WORKERS: '3' } }).mediaWorkers, 3);
  assert.throws(
    () => loadServerConfig({ flags: { 'media-workers': '65' } }),
    (err: unknown) => isItdaError(err),
  );
});
