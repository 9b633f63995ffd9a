import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { isItdaError } from '@itda/common';
import { CloseCode } from '@itda/protocol';
import { TestClient } from '@itda/signal/node';
import { type ItdaServer, startServer } from '../server.ts';

let webDir: string;
let server: ItdaServer;

before(async () => {
  webDir = mkdtempSync(join(tmpdir(), 'itda-web-'));
  writeFileSync(join(webDir, 'index.html'), '<!doctype html><title>itda</title>');
  mkdirSync(join(webDir, 'assets'));
  writeFileSync(join(webDir, 'assets', 'index-AbCd1234.js'), 'console.log(1)');
  writeFileSync(join(webDir, 'assets', 'style-Zz9_Yy8-.css'), 'body{}');
  writeFileSync(join(webDir, 'favicon.svg'), '<svg/>');
  writeFileSync(join(tmpdir(), 'itda-secret.txt'), 'secret');
  server = await startServer({ port: 0, host: '127.0.0.1', webDir, logLevel: 'warn' });
});

after(async () => {
  await server.close();
  rmSync(webDir, { recursive: true, force: true });
  rmSync(join(tmpdir(), 'itda-secret.txt'), { force: true });
});

async function api(
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
  base = server.url,
) {
  const res = await fetch(`${base}${path}`, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), ...headers },
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await res.text();
  return {
    status: res.status,
    headers: res.headers,
    // biome-ignore lint/suspicious/noExplicitAny: test reads arbitrary JSON answers field by field.
    json: text === '' ? undefined : (JSON.parse(text) as Record<string, any>),
  };
}

test('static: the app routes serve index.html; assets get content types and caching', async () => {
  for (const path of ['/', '/r/my-room', '/r/my-room/', '/lab']) {
    const res = await fetch(`${server.url}${path}`);
    assert.equal(res.status, 200, path);
    assert.equal(res.headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'no-cache');
    assert.match(await res.text(), /<title>itda/);
  }
  const js = await fetch(`${server.url}/assets/index-AbCd1234.js`);
  assert.equal(js.headers.get('content-type'), 'text/javascript; charset=utf-8');
  assert.equal(js.headers.get('cache-control'), 'public, max-age=31536000, immutable');
  await js.text();
  const css = await fetch(`${server.url}/assets/style-Zz9_Yy8-.css`);
  assert.equal(css.headers.get('content-type'), 'text/css; charset=utf-8');
  await css.text();
  const svg = await fetch(`${server.url}/favicon.svg`);
  assert.equal(svg.headers.get('content-type'), 'image/svg+xml');
  assert.equal(svg.headers.get('cache-control'), 'public, max-age=0, must-revalidate');
  const etag = svg.headers.get('etag') ?? '';
  await svg.text();
  const again = await fetch(`${server.url}/favicon.svg`, { headers: { 'if-none-match': etag } });
  assert.equal(again.status, 304);
  assert.equal((await fetch(`${server.url}/nope.js`)).status, 404);
  assert.equal((await api('POST', '/')).status, 405);
});

test('static: paths cannot escape the web dir', async () => {
  for (const path of [
    '/../itda-secret.txt',
    '/%2e%2e/itda-secret.txt',
    '/assets/%2e%2e/%2e%2e/itda-secret.txt',
    '/%00',
    '/%E0%A4%A',
  ]) {
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${server.url}${path}`, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.ok(status === 404 || status === 400, `${path}: ${status}`);
  }
});

test('security headers: every answer carries the CSP, nosniff, Referrer-Policy, COOP and X-Frame-Options', async (t) => {
  // A server of its own: the shared one's request counters are asserted by /metrics below.
  const own = await startServer({ port: 0, host: '127.0.0.1', webDir, logLevel: 'warn' });
  t.after(() => own.close());
  for (const [method, path] of [
    ['GET', '/'],
    ['GET', '/r/my-room'],
    ['GET', '/lab'],
    ['GET', '/assets/index-AbCd1234.js'],
    ['GET', '/favicon.svg'],
    ['GET', '/nope.js'],
    ['POST', '/'],
    ['GET', '/healthz'],
    ['GET', '/metrics'],
    ['GET', '/api/rooms'],
    ['GET', '/ws'],
  ] as const) {
    const res = await fetch(`${own.url}${path}`, { method });
    await res.arrayBuffer();
    const where = `${method} ${path} (${res.status})`;
    const csp = res.headers.get('content-security-policy') ?? '';
    const directives = new Map(
      csp.split(';').map((d): [string, string] => {
        const [name = '', ...values] = d.trim().split(/\s+/);
        return [name, values.join(' ')];
      }),
    );
    assert.equal(directives.get('default-src'), "'self'", where);
    assert.equal(directives.get('script-src'), "'self'", where);
    assert.equal(directives.get('style-src'), "'self'", where);
    assert.equal(directives.get('connect-src'), "'self' blob:", where);
    assert.equal(directives.get('object-src'), "'none'", where);
    assert.equal(directives.get('base-uri'), "'none'", where);
    assert.equal(directives.get('frame-ancestors'), "'none'", where);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/, where);
    assert.equal(res.headers.get('x-content-type-options'), 'nosniff', where);
    assert.equal(res.headers.get('referrer-policy'), 'no-referrer', where);
    assert.equal(res.headers.get('cross-origin-opener-policy'), 'same-origin', where);
    assert.equal(res.headers.get('x-frame-options'), 'DENY', where);
  }
});

test('security headers: --frame-ancestor names who may frame the app; a source that could inject a directive is refused at start', async () => {
  const framed = await startServer({
    port: 0,
    host: '127.0.0.1',
    webDir,
    logLevel: 'warn',
    frameAncestors: ["'self'", 'https://intranet.example.com', 'https://*.example.org:8443'],
  });
  try {
    const res = await fetch(`${framed.url}/r/room`);
    await res.text();
    assert.match(
      res.headers.get('content-security-policy') ?? '',
      /(^|; )frame-ancestors 'self' https:\/\/intranet\.example\.com https:\/\/\*\.example\.org:8443($|;)/,
    );
    assert.equal(res.headers.get('x-frame-options'), null, 'X-Frame-Options cannot name origins');
  } finally {
    await framed.close();
  }
  for (const bad of ["https://a.example; script-src 'unsafe-inline'", 'https://a.example,https://b', '*', 'self', '']) {
    await assert.rejects(
      startServer({ port: 0, host: '127.0.0.1', webDir, logLevel: 'warn', frameAncestors: [bad] }),
      (err: unknown) => isItdaError(err, 'invalid_config') && /frameAncestors/.test(String(err)),
      JSON.stringify(bad),
    );
  }
});

test('/healthz and /metrics', async () => {
  const health = await api('GET', '/healthz');
  assert.equal(health.status, 200);
  assert.equal(health.json?.status, 'ok');
  assert.equal(typeof health.json?.uptimeS, 'number');
  assert.equal(health.json?.rooms, 0);
  assert.equal(health.json?.participants, 0);

  const c = await TestClient.connect(server.wsUrl);
  await c.join('metrics-room', 'M');
  c.send('{bad');
  await c.next('error');
  const res = await fetch(`${server.url}/metrics`);
  assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
  const text = await res.text();
  assert.match(text, /^# HELP itda_rooms /m);
  assert.match(text, /^itda_rooms 1$/m);
  assert.match(text, /^itda_participants 1$/m);
  assert.match(text, /^itda_connections 1$/m);
  assert.match(text, /^itda_signal_messages_total\{type="join"\} 1$/m);
  assert.match(text, /^itda_signal_errors_total\{code="bad_json"\} 1$/m);
  assert.match(text, /^itda_http_requests_total\{route="healthz",status="200"\} 1$/m);
  assert.match(text, /^process_cpu_seconds_total \d/m);
  assert.match(text, /^process_resident_memory_bytes \d+$/m);
  assert.doesNotMatch(text, /metrics-room/, 'no per-room labels');
  await c.close();
});

test('room API: create, list, get, conflicts, bad bodies, delete closes sockets with 4000', async () => {
  const created = await api('POST', '/api/rooms', { name: 'standup', mode: 'p2p', capacity: 3 });
  assert.equal(created.status, 201);
  assert.equal(created.json?.room.name, 'standup');
  assert.equal(created.json?.room.capacity, 3);
  assert.equal(created.json?.room.origin, 'api');
  assert.equal((await api('POST', '/api/rooms', { name: 'standup' })).json?.error.code, 'room_exists');
  assert.equal((await api('POST', '/api/rooms', { name: 'standup' })).status, 409);
  const bad: [unknown, number, string][] = [
    ['{nope', 400, 'bad_json'],
    [[1], 400, 'bad_request'],
    [{ name: 'a b' }, 400, 'bad_request'],
    [{ name: 7 }, 400, 'bad_request'],
    [{ name: 'x', mode: 'mesh' }, 400, 'bad_request'],
    [{ name: 'x', mode: 'sfu' }, 400, 'unsupported_mode'],
    [{ name: 'x', mode: 'auto' }, 400, 'unsupported_mode'],
    [{ name: 'x', capacity: 0 }, 400, 'bad_request'],
    [{ name: 'x', pad: 'y'.repeat(20_000) }, 413, 'body_too_large'],
  ];
  for (const [body, status, code] of bad) {
    const r = await api('POST', '/api/rooms', body);
    assert.deepEqual([r.status, r.json?.error.code], [status, code], JSON.stringify(body).slice(0, 40));
    assert.equal(typeof r.json?.error.message, 'string');
  }

  const a = await TestClient.connect(server.wsUrl);
  const joined = await a.join('standup', 'Ada');
  assert.equal(joined.limits.roomCapacity, 3);
  const list = await api('GET', '/api/rooms');
  const room = list.json?.rooms.find((r: { name: string }) => r.name === 'standup');
  assert.deepEqual(
    room.participants.map((p: { id: string; name: string; connected: boolean }) => [p.id, p.name, p.connected]),
    [[joined.participantId, 'Ada', true]],
  );
  assert.equal((await api('GET', '/api/rooms/standup')).json?.room.name, 'standup');
  assert.equal((await api('GET', '/api/rooms/nope')).json?.error.code, 'room_not_found');
  assert.equal((await api('PUT', '/api/rooms/standup')).status, 405);
  assert.equal((await api('GET', '/api/other')).status, 404);

  assert.equal((await api('DELETE', '/api/rooms/standup')).status, 204);
  assert.deepEqual(await a.next('closed'), { type: 'closed', reason: 'room_closed' });
  assert.equal((await a.closed()).code, CloseCode.RoomClosed);
  assert.equal((await api('DELETE', '/api/rooms/standup')).status, 404);
});

test('room API: kick a participant with DELETE …/participants/:id', async () => {
  const a = await TestClient.connect(server.wsUrl);
  const b = await TestClient.connect(server.wsUrl);
  await a.join('kick', 'A');
  const jb = await b.join('kick', 'B');
  assert.equal((await api('DELETE', `/api/rooms/kick/participants/${jb.participantId}`)).status, 204);
  assert.deepEqual(await b.next('closed'), {
    type: 'closed',
    reason: 'removed',
    by: { id: null, name: 'the room API' },
  });
  assert.equal((await b.closed()).code, CloseCode.Removed);
  assert.deepEqual(await a.next('participant-left'), {
    type: 'participant-left',
    participantId: jb.participantId,
    reason: 'removed',
  });
  assert.equal((await api('DELETE', `/api/rooms/kick/participants/${jb.participantId}`)).status, 404);
  await a.close();
});

test('room API with an API key: Bearer required; with open rooms off and no key: disabled', async () => {
  const keyed = await startServer({ port: 0, host: '127.0.0.1', webDir, apiKey: 'k3y' });
  try {
    const none = await api('GET', '/api/rooms', undefined, {}, keyed.url);
    assert.deepEqual([none.status, none.json?.error.code], [401, 'unauthorized']);
    assert.equal(none.headers.get('www-authenticate'), 'Bearer');
    const wrong = await api('GET', '/api/rooms', undefined, { authorization: 'Bearer nope' }, keyed.url);
    assert.equal(wrong.status, 401);
    const ok = await api('POST', '/api/rooms', { name: 'r' }, { authorization: 'Bearer k3y' }, keyed.url);
    assert.equal(ok.status, 201);
  } finally {
    await keyed.close();
  }
  const closed = await startServer({ port: 0, host: '127.0.0.1', webDir, openRooms: false, jwtSecrets: ['s'] });
  try {
    const r = await api('GET', '/api/rooms', undefined, {}, closed.url);
    assert.deepEqual([r.status, r.json?.error.code], [403, 'api_disabled']);
  } finally {
    await closed.close();
  }
});

test('close is idempotent and tells clients server_shutdown with 1001', async () => {
  const s = await startServer({ port: 0, host: '127.0.0.1', webDir });
  const c = await TestClient.connect(s.wsUrl);
  await c.join('bye', 'A');
  await Promise.all([s.close(), s.close()]);
  assert.deepEqual(await c.next('closed'), { type: 'closed', reason: 'server_shutdown' });
  assert.equal((await c.closed()).code, CloseCode.GoingAway);
  await s.close();
  await assert.rejects(startServer({ port: server.port, host: '127.0.0.1', webDir }), /listen_failed|cannot listen/);
});

test('/config.json tells the web app the mode and size of new rooms and whether joining needs an invitation', async () => {
  const p2p = await api('GET', '/config.json');
  assert.deepEqual(p2p.json, { roomMode: 'p2p', roomCapacity: 4, openRooms: true });
  const sfu = await startServer({
    port: 0,
    host: '127.0.0.1',
    webDir,
    logLevel: 'warn',
    sfu: true,
    openRooms: false,
    jwtSecrets: ['s'],
  });
  try {
    const res = await fetch(`${sfu.url}/config.json`);
    assert.deepEqual(await res.json(), { roomMode: 'sfu', roomCapacity: 50, openRooms: false });
  } finally {
    await sfu.close();
  }
});

test('room API: POST …/moderate does what a host does — mute, lock, lobby with admit and deny — with clear errors', async () => {
  const a = await TestClient.connect(server.wsUrl);
  const b = await TestClient.connect(server.wsUrl);
  await a.join('moderated', 'A');
  const jb = await b.join('moderated', 'B');
  const moderate = (body: unknown) => api('POST', '/api/rooms/moderated/moderate', body);
  assert.equal((await moderate({ action: 'mute', participantId: jb.participantId, kind: 'audio' })).status, 204);
  assert.deepEqual(await b.next('moderated'), {
    type: 'moderated',
    action: 'mute',
    kind: 'audio',
    by: { id: null, name: 'the room API' },
  });
  assert.equal((await moderate({ action: 'lobby-on' })).status, 204);
  assert.equal((await a.next('room-state')).lobby, true);
  const c = await TestClient.connect(server.wsUrl);
  c.send({ type: 'join', v: 1, room: 'moderated', name: 'C' });
  const knock = await a.next('knock');
  const listed = await api('GET', '/api/rooms/moderated');
  assert.deepEqual(
    listed.json?.room.knocking.map((k: { id: string }) => k.id),
    [knock.participant.id],
  );
  assert.equal((await moderate({ action: 'admit', participantId: knock.participant.id })).status, 204);
  assert.equal((await c.next('joined')).participantId, knock.participant.id);

  assert.equal((await moderate({ action: 'dance' })).status, 400);
  assert.equal((await moderate({ action: 'mute', participantId: 'p_nobody', kind: 'audio' })).status, 404);
  assert.equal((await moderate({ action: 'mute', participantId: jb.participantId })).status, 400);
  assert.equal((await api('POST', '/api/rooms/nowhere/moderate', { action: 'lock' })).status, 404);
  assert.equal((await api('GET', '/api/rooms/moderated/moderate')).status, 405);
  for (const client of [a, b, c]) await client.close();
});
