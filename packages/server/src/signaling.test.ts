/**
 * Integration: real WebSocket clients against a real server on 127.0.0.1 — join, relay,
 * leave, every bad-input case while a second participant's call keeps working, capacity,
 * tokens, heartbeat and resume.
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, test } from 'node:test';
import { CloseCode, ErrorCode } from '@itda/protocol';
import { signRoomToken } from '@itda/signal';
import { TestClient } from '@itda/signal/node';
import { type ItdaServer, type StartServerOptions, startServer } from './server.ts';

const servers: ItdaServer[] = [];
const clients: TestClient[] = [];
const base: StartServerOptions = { port: 0, host: '127.0.0.1', logLevel: 'warn', webDir: '/nonexistent' };

async function start(options: StartServerOptions = {}): Promise<ItdaServer> {
  const s = await startServer({ ...base, ...options });
  servers.push(s);
  return s;
}

async function connect(s: ItdaServer): Promise<TestClient> {
  const c = await TestClient.connect(s.wsUrl);
  clients.push(c);
  return c;
}

let server: ItdaServer;
before(async () => {
  server = await start({ resumeGraceMs: 300, rate: 20, rateBurst: 20, iceServers: [{ urls: 'stun:127.0.0.1:3478' }] });
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all(servers.map((s) => s.close()));
});

/** Two joined participants in `room`, a's participant-joined consumed. */
async function pair(s: ItdaServer, room: string) {
  const a = await connect(s);
  const b = await connect(s);
  const ja = await a.join(room, 'A');
  const jb = await b.join(room, 'B');
  await a.next('participant-joined');
  return { a, b, ja, jb };
}

test('join/joined, participant-joined, relay of offer/answer/candidates, leave', async () => {
  const a = await connect(server);
  const ja = await a.join('call', 'Ada');
  assert.deepEqual(ja.iceServers, [{ urls: 'stun:127.0.0.1:3478' }]);
  assert.equal(ja.resumeGraceMs, 300);
  assert.deepEqual(ja.limits, {
    maxMessageBytes: 65536,
    ratePerSecond: 20,
    rateBurst: 20,
    roomCapacity: 4,
    maxDataPayload: 49152,
    dataBytesPerSecond: 262144,
    dataBurstBytes: 1048576,
    sdpBytesPerSecond: 262144,
    sdpBurstBytes: 1048576,
  });
  const b = await connect(server);
  const jb = await b.join('call', 'Bob');
  assert.deepEqual(
    jb.participants.map((p) => p.name),
    ['Ada'],
  );
  assert.equal((await a.next('participant-joined')).participant.name, 'Bob');

  a.send({ type: 'offer', to: jb.participantId, sdp: 'v=0 o' });
  assert.deepEqual(await b.next('offer'), { type: 'offer', from: ja.participantId, sdp: 'v=0 o' });
  b.send({ type: 'answer', to: ja.participantId, sdp: 'v=0 a' });
  assert.deepEqual(await a.next('answer'), { type: 'answer', from: jb.participantId, sdp: 'v=0 a' });
  const candidate = {
    candidate: 'candidate:1 1 udp 2122260223 127.0.0.1 50000 typ host',
    sdpMid: '0',
    sdpMLineIndex: 0,
  };
  a.send({ type: 'candidate', to: jb.participantId, candidate });
  a.send({ type: 'candidate', to: jb.participantId, candidate: null });
  assert.deepEqual(await b.next('candidate'), { type: 'candidate', from: ja.participantId, candidate });
  assert.deepEqual(await b.next('candidate'), { type: 'candidate', from: ja.participantId, candidate: null });

  b.send({ type: 'leave' });
  assert.equal((await b.closed()).code, CloseCode.Normal);
  assert.deepEqual(await a.next('participant-left'), {
    type: 'participant-left',
    participantId: jb.participantId,
    reason: 'left',
  });
});

test('bad input: each gets its error code while the other participant keeps working', async () => {
  const { a, b, ja, jb } = await pair(server, 'bad-input');
  const cases: [input: unknown, code: string][] = [
    ['{not json', ErrorCode.BadJson],
    ['"a string"', ErrorCode.BadJson],
    [{ type: 'teleport' }, ErrorCode.UnknownType],
    [{ type: 'offer', to: 42, sdp: 'v=0' }, ErrorCode.BadMessage],
    [{ type: 'update', media: { audio: 'yes' } }, ErrorCode.BadMessage],
    [{ type: 'offer', to: 'p_nobody', sdp: 'v=0' }, ErrorCode.UnknownParticipant],
    [JSON.stringify({ type: 'ping', pad: 'x'.repeat(65 * 1024) }), ErrorCode.MessageTooLarge],
    [Buffer.from('{"type":"ping"}'), ErrorCode.BadMessage],
  ];
  for (const [input, code] of cases) {
    b.send(input);
    const err = await b.next('error');
    assert.equal(err.code, code, String(input).slice(0, 40));
    // The call between a and b still works after every bad message.
    a.send({ type: 'candidate', to: jb.participantId, candidate: null });
    assert.equal((await b.next('candidate')).from, ja.participantId);
  }
  assert.equal(await a.quiet('error', 20), true, 'a saw no errors');
  b.send({ type: 'offer', to: ja.participantId, sdp: 'v=0' });
  assert.equal((await a.next('offer')).from, jb.participantId);
});

test('a frame over the hard limit (4 × maxMessageBytes) closes that connection with 1009 only', async () => {
  const { a, b, jb } = await pair(server, 'too-big');
  b.send('x'.repeat(4 * 65536 + 1));
  assert.equal((await b.closed()).code, CloseCode.MessageTooBig);
  a.send({ type: 'ping', ts: 7 });
  assert.deepEqual(await a.next('pong'), { type: 'pong', ts: 7 });
  // b's session is in resume grace, not gone (a connection error, not a leave).
  assert.equal(await a.quiet('participant-left', 50), true);
  assert.equal(server.signal.core.connectionOf(jb.participantId), null);
});

test('a flood gets rate_limited, then close 4008, and does not disturb the other', async () => {
  const { a, b, ja } = await pair(server, 'flood');
  for (let i = 0; i < 200; i++) b.send({ type: 'ping' });
  assert.equal((await b.next('error')).code, ErrorCode.RateLimited);
  assert.equal((await b.closed()).code, CloseCode.RateLimitExceeded);
  a.send({ type: 'ping', ts: 1 });
  assert.deepEqual(await a.next('pong'), { type: 'pong', ts: 1 });
  void ja;
});

test('capacity: a full room answers room_full', async () => {
  const s = await start({ roomCapacity: 2 });
  await pair(s, 'full');
  const c = await connect(s);
  c.send({ type: 'join', v: 1, room: 'full', name: 'C' });
  assert.equal((await c.next('error')).code, ErrorCode.RoomFull);
  c.send({ type: 'join', v: 1, room: 'other', name: 'C' });
  assert.equal((await c.next('joined')).room, 'other', 'the connection stays usable');
});

test('tokens: required when open rooms are off; bad, expired, wrong room; identity and grants', async () => {
  const s = await start({ openRooms: false, jwtSecrets: ['new-secret', 'old-secret'] });
  const token = (room: string, extra: Partial<Parameters<typeof signRoomToken>[1]> = {}, secret = 'new-secret') =>
    signRoomToken(secret, { room, identity: 'ada', ...extra });
  const attempts: [Record<string, unknown>, string][] = [
    [{}, ErrorCode.Unauthorized],
    [{ token: 'not.a.token' }, ErrorCode.InvalidToken],
    [{ token: token('locked', {}, 'wrong-secret') }, ErrorCode.InvalidToken],
    [{ token: token('locked', { ttlSeconds: -1 }) }, ErrorCode.TokenExpired],
    [{ token: token('elsewhere') }, ErrorCode.Forbidden],
  ];
  const c = await connect(s);
  for (const [extra, code] of attempts) {
    c.send({ type: 'join', v: 1, room: 'locked', name: 'x', ...extra });
    assert.equal((await c.next('error')).code, code);
  }
  const joined = await c.join('locked', 'x', {
    token: token('locked', { name: 'Ada', grants: { canPublish: false } }),
  });
  assert.deepEqual(joined.grants, { canPublish: false, canSubscribe: true, canRename: false });
  const d = await connect(s);
  const jd = await d.join('locked', 'Dee', { token: token('locked', { identity: 'dee' }, 'old-secret') });
  assert.deepEqual(
    jd.participants.map((p) => [p.name, p.identity]),
    [['Ada', 'ada']],
  );
  c.send({ type: 'offer', to: jd.participantId, sdp: 'v=0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendonly\r\n' });
  assert.equal((await c.next('error')).code, ErrorCode.Forbidden);
});

test('names: a token name cannot be changed by update {name} without canRename; crit tokens and bad names are refused', async () => {
  const s = await start({ openRooms: false, jwtSecrets: ['k'] });
  const token = (extra: Partial<Parameters<typeof signRoomToken>[1]> = {}) =>
    signRoomToken('k', { room: 'names', identity: 'ada', name: 'Ada', ...extra });
  const ada = await connect(s);
  const bob = await connect(s);
  const ja = await ada.join('names', 'Ada', { token: token() });
  assert.equal(ja.grants.canRename, false);
  const jb = await bob.join('names', 'Bob', {
    token: token({ identity: 'bob', name: 'Bob', grants: { canRename: true } }),
  });
  assert.equal(jb.grants.canRename, true);
  await ada.next('participant-joined');

  // The review's attack: a token names you Ada, update {name: "CEO"} renamed you for everyone.
  ada.send({ type: 'update', name: 'CEO' });
  const refused = await ada.next('error');
  assert.deepEqual([refused.code, refused.ref], [ErrorCode.Forbidden, 'update']);
  // Messages arrive in order: the next update Bob sees is this media change, still named Ada.
  ada.send({ type: 'update', media: { audio: true, video: false, screenStreamId: null } });
  const seen = await bob.next('participant-updated');
  assert.deepEqual([seen.participant.name, seen.participant.media.audio], ['Ada', true]);
  // With the grant, renaming works.
  bob.send({ type: 'update', name: 'Robert' });
  assert.equal((await ada.next('participant-updated')).participant.name, 'Robert');

  // RFC 7515 §4.1.11: a critical extension this server does not understand voids the token.
  const [h = '', p = ''] = token().split('.');
  const header = Buffer.from(JSON.stringify({ alg: 'HS256', typ: 'JWT', crit: ['exp'], exp: 0 })).toString('base64url');
  const critToken = `${header}.${p}.${createHmac('sha256', 'k').update(`${header}.${p}`).digest('base64url')}`;
  assert.notEqual(h, header);
  const eve = await connect(s);
  eve.send({ type: 'join', v: 1, room: 'names', name: 'Eve', token: critToken });
  assert.equal((await eve.next('error')).code, ErrorCode.InvalidToken);
  // Four spaces or zero-width characters are no name, whichever way they come.
  eve.send({ type: 'join', v: 1, room: 'names', name: '    ', token: token({ identity: 'eve', name: undefined }) });
  assert.equal((await eve.next('error')).code, ErrorCode.BadMessage);
  eve.send({
    type: 'join',
    v: 1,
    room: 'names',
    name: '\u200b\u200b',
    token: token({ identity: 'eve', name: undefined }),
  });
  assert.equal((await eve.next('error')).code, ErrorCode.BadMessage);
  const jeve = await eve.join('names', '  Eve  ', { token: token({ identity: 'eve', name: undefined }) });
  assert.equal(jeve.grants.canRename, true);
  assert.equal((await ada.next('participant-joined')).participant.name, 'Eve');
  eve.send({ type: 'update', name: '    ' });
  assert.equal((await eve.next('error')).code, ErrorCode.BadMessage);
});

test('resume after dropConnection keeps the participant id, without left/joined for the other', async () => {
  const { a, b, ja, jb } = await pair(server, 'resume');
  assert.equal(server.signal.dropConnection(jb.participantId), true);
  await b.closed();
  const b2 = await connect(server);
  b2.send({ type: 'resume', v: 1, room: 'resume', participantId: jb.participantId, resumeToken: jb.resumeToken });
  const resumed = await b2.next('resumed');
  assert.equal(resumed.participantId, jb.participantId);
  assert.deepEqual(
    resumed.participants.map((p) => p.id),
    [ja.participantId],
  );
  assert.deepEqual(resumed.iceServers, [{ urls: 'stun:127.0.0.1:3478' }]);
  a.send({ type: 'offer', to: jb.participantId, sdp: 'v=0 restart' });
  assert.equal((await b2.next('offer')).sdp, 'v=0 restart');
  assert.equal(await a.quiet('participant-left', 400), true, 'no participant-left after the grace period');
  assert.equal(
    a.inbox.some((m) => m.type === 'participant-joined'),
    false,
  );
});

test('resume after the grace period fails with resume_failed; the other saw participant-left timeout', async () => {
  const { a, b, jb } = await pair(server, 'late');
  server.signal.dropConnection(jb.participantId);
  await b.closed();
  assert.deepEqual(await a.next('participant-left'), {
    type: 'participant-left',
    participantId: jb.participantId,
    reason: 'timeout',
  });
  const b2 = await connect(server);
  b2.send({ type: 'resume', v: 1, room: 'late', participantId: jb.participantId, resumeToken: jb.resumeToken });
  const err = await b2.next('error');
  assert.deepEqual([err.code, err.ref], [ErrorCode.ResumeFailed, 'resume']);
});

test('heartbeat: a silent connection is closed with 4002, then its participant times out', async () => {
  // a pings every 50 ms against a 2 s timeout: 40 pings of margin, so a busy machine (a
  // stalled event loop) cannot time a out too; b stays silent and is closed after 2 s.
  // a waits up to 10 s for participant-left (2 s timeout + 100 ms grace, with room).
  const s = await start({ heartbeatIntervalMs: 50, heartbeatTimeoutMs: 2000, resumeGraceMs: 100 });
  const a = await TestClient.connect(s.wsUrl, { timeoutMs: 10_000 });
  clients.push(a);
  const b = await connect(s);
  await a.join('hb', 'A');
  const jb = await b.join('hb', 'B');
  await a.next('participant-joined');
  const pinger = setInterval(() => a.send({ type: 'ping' }), 50);
  try {
    assert.equal((await b.closed()).code, CloseCode.HeartbeatTimeout);
    const left = await a.next('participant-left');
    assert.deepEqual([left.participantId, left.reason], [jb.participantId, 'timeout']);
  } finally {
    clearInterval(pinger);
  }
});
