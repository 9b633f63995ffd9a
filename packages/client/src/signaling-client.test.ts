import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ManualClock } from '@itda/common';
import { type ClientMessage, CloseCode, decodeClientMessage, ErrorCode, type ServerMessage } from '@itda/protocol';
import { ClientErrorCode } from './errors.ts';
import { type ConnectionState, SignalingClient } from './signaling-client.ts';
import type { SocketHandlers } from './socket.ts';

/** An in-memory server side: records what the client sent, lets the test answer. */
class FakeSocket {
  readonly sent: ClientMessage[] = [];
  closedWith: number | undefined;
  readonly handlers: SocketHandlers;
  constructor(handlers: SocketHandlers) {
    this.handlers = handlers;
  }
  open(): void {
    this.handlers.onOpen();
  }
  reply(msg: ServerMessage): void {
    this.handlers.onMessage(JSON.stringify(msg));
  }
  drop(code = 1006): void {
    this.handlers.onClose(code, '');
  }
  types(): string[] {
    return this.sent.map((m) => m.type);
  }
}

function setup() {
  const clock = new ManualClock(0);
  const sockets: FakeSocket[] = [];
  const client = new SignalingClient({
    url: 'ws://127.0.0.1:1/ws',
    clock,
    random: () => 0,
    socketFactory: (_url, handlers) => {
      const s = new FakeSocket(handlers);
      sockets.push(s);
      return {
        send: (text) => s.sent.push(decodeClientMessage(text)),
        close: (code) => {
          s.closedWith = code ?? 1000;
        },
      };
    },
  });
  const states: ConnectionState[] = [];
  client.on('state', (s) => states.push(s));
  const last = (): FakeSocket => {
    const s = sockets.at(-1);
    assert.ok(s);
    return s;
  };
  return { clock, sockets, client, states, last };
}

function joined(id: string, token = `tok-${id}`): ServerMessage {
  return {
    type: 'joined',
    v: 1,
    room: 'r1',
    mode: 'p2p',
    participantId: id,
    resumeToken: token,
    participants: [],
    iceServers: [],
    grants: { canPublish: true, canSubscribe: true, canRename: true },
    heartbeat: { intervalMs: 5000, timeoutMs: 15000 },
    resumeGraceMs: 15000,
    limits: { maxMessageBytes: 65536, ratePerSecond: 50, rateBurst: 200, roomCapacity: 4 },
  };
}

test('join, heartbeat pings, room traffic, leave', async () => {
  const { clock, client, states, last } = setup();
  const p = client.join({ room: 'r1', name: 'Ada' });
  last().open();
  assert.deepEqual(last().sent[0], { type: 'join', v: 1, room: 'r1', name: 'Ada' });
  last().reply(joined('p1'));
  const msg = await p;
  assert.equal(msg.participantId, 'p1');
  assert.equal(client.participantId, 'p1');
  clock.advance(5000);
  last().reply({ type: 'pong' });
  clock.advance(5000);
  assert.deepEqual(last().types(), ['join', 'ping', 'ping']);
  const seen: string[] = [];
  client.on('message', (m) => seen.push(m.type));
  last().reply({ type: 'offer', from: 'p2', sdp: 'v=0' });
  last().handlers.onMessage('{"type":"offer"}');
  assert.deepEqual(seen, ['offer']);
  client.send({ type: 'answer', to: 'p2', sdp: 'v=0' });
  client.leave();
  client.leave();
  assert.deepEqual(last().types().slice(-2), ['answer', 'leave']);
  assert.equal(last().closedWith, CloseCode.Normal);
  assert.deepEqual(states, ['connecting', 'connected', 'disconnected']);
  assert.equal(clock.pending, 0);
});

test('join errors reject with the server code', async () => {
  const { client, last, clock } = setup();
  const p = client.join({ room: 'r1', name: 'Ada' });
  last().open();
  last().reply({ type: 'error', code: ErrorCode.RoomFull, message: 'full', ref: 'join' });
  await assert.rejects(p, { code: ErrorCode.RoomFull });
  assert.equal(client.state, 'disconnected');
  assert.equal(clock.pending, 0);
});

test('a socket that closes before joined rejects with connect_failed; silence with connect_timeout', async () => {
  const a = setup();
  const p = a.client.join({ room: 'r1', name: 'Ada' });
  a.last().drop(1006);
  await assert.rejects(p, { code: ClientErrorCode.ConnectFailed });
  const b = setup();
  const q = b.client.join({ room: 'r1', name: 'Ada' });
  b.last().open();
  b.clock.advance(10_000);
  await assert.rejects(q, { code: ClientErrorCode.ConnectTimeout });
  assert.equal(b.clock.pending, 0);
});

test('a dropped socket resumes with the same id; queued messages are flushed after resumed', async () => {
  const { clock, client, states, sockets, last } = setup();
  const p = client.join({ room: 'r1', name: 'Ada' });
  last().open();
  last().reply(joined('p1'));
  await p;
  const resumed: string[] = [];
  client.on('resumed', (m) => resumed.push(m.participantId));
  last().drop(1006);
  assert.equal(client.state, 'reconnecting');
  client.send({ type: 'candidate', to: 'p2', candidate: null });
  clock.advance(250);
  assert.equal(sockets.length, 2);
  last().open();
  assert.deepEqual(last().sent, [{ type: 'resume', v: 1, room: 'r1', participantId: 'p1', resumeToken: 'tok-p1' }]);
  last().reply({ type: 'resumed', participantId: 'p1', mode: 'p2p', participants: [], iceServers: [] });
  assert.deepEqual(resumed, ['p1']);
  assert.deepEqual(last().types(), ['resume', 'candidate']);
  assert.deepEqual(states, ['connecting', 'connected', 'reconnecting', 'connected']);
  client.leave();
});

test('heartbeat timeout drops the socket; resume_failed falls back to a fresh join', async () => {
  const { clock, client, sockets, last } = setup();
  const p = client.join({ room: 'r1', name: 'Ada', media: { audio: true, video: true, screenStreamId: null } });
  last().open();
  last().reply(joined('p1'));
  await p;
  client.send({ type: 'update', media: { audio: false, video: true, screenStreamId: null } });
  clock.advance(15_000);
  assert.equal(sockets[0]?.closedWith, CloseCode.HeartbeatTimeout);
  assert.equal(client.state, 'reconnecting');
  // First attempt fails to connect at all; the second one gets resume_failed.
  clock.advance(250);
  last().drop(1006);
  clock.advance(500);
  assert.equal(sockets.length, 3);
  const rejoined: string[] = [];
  client.on('rejoined', (m) => rejoined.push(m.participantId));
  last().open();
  last().reply({ type: 'error', code: ErrorCode.ResumeFailed, message: 'expired', ref: 'resume' });
  const rejoin = last().sent.at(-1);
  assert.deepEqual(rejoin, {
    type: 'join',
    v: 1,
    room: 'r1',
    name: 'Ada',
    media: { audio: false, video: true, screenStreamId: null },
  });
  last().reply(joined('p9'));
  assert.deepEqual(rejoined, ['p9']);
  assert.equal(client.participantId, 'p9');
  assert.equal(client.state, 'connected');
  client.leave();
  assert.equal(clock.pending, 0);
});

test('past the grace period it joins directly; past the reconnect timeout it gives up', async () => {
  const { clock, client, sockets, last } = setup();
  const p = client.join({ room: 'r1', name: 'Ada' });
  last().open();
  last().reply(joined('p1'));
  await p;
  const closed: string[] = [];
  client.on('closed', (e) => closed.push(e.code));
  last().drop(1001);
  // Early attempts fail to open; once past the 15 s grace, one opens and must send `join`,
  // then the server vanishes again until the 60 s reconnect timeout.
  let sawLateJoin = false;
  for (let i = 0; i < 100 && client.state === 'reconnecting'; i++) {
    clock.advance(5000);
    const s = last();
    if (s.sent.length > 0 || s.closedWith !== undefined) continue;
    if (clock.now() > 20_000 && !sawLateJoin) {
      s.open();
      assert.equal(s.sent[0]?.type, 'join', 'after the grace period: a fresh join');
      sawLateJoin = true;
    }
    s.drop(1006);
  }
  assert.ok(sawLateJoin);
  assert.equal(client.state, 'disconnected');
  assert.deepEqual(closed, [ClientErrorCode.ReconnectFailed]);
  assert.ok(sockets.length > 5 && sockets.length < 30);
  assert.equal(clock.pending, 0);
});

test('terminal close codes and `closed` end the session without reconnecting', async () => {
  for (const end of ['code', 'message'] as const) {
    const { client, sockets, last, clock } = setup();
    const p = client.join({ room: 'r1', name: 'Ada' });
    last().open();
    last().reply(joined('p1'));
    await p;
    const closed: string[] = [];
    client.on('closed', (e) => closed.push(e.code));
    if (end === 'code') last().drop(CloseCode.Removed);
    else last().reply({ type: 'closed', reason: 'room_closed' });
    assert.deepEqual(closed, [ClientErrorCode.SessionClosed]);
    assert.equal(client.state, 'disconnected');
    clock.advance(60_000);
    assert.equal(sockets.length, 1);
  }
});

test('lobby: no connect timeout while waiting, pings keep the socket alive, then admitted or denied', async () => {
  const { clock, client, last } = setup();
  const lobby: string[] = [];
  client.on('lobby', (m) => lobby.push(m.participantId));
  const p = client.join({ room: 'r1', name: 'Ada' });
  last().open();
  last().reply({ type: 'lobby', room: 'r1', participantId: 'p_wait' });
  assert.deepEqual(lobby, ['p_wait']);
  clock.advance(60_000); // far past the 10 s connect timeout
  assert.equal(last().closedWith, undefined, 'waiting in the lobby is not a timeout');
  assert.ok(
    last()
      .types()
      .filter((t) => t === 'ping').length >= 10,
    'a ping every 5 s while waiting',
  );
  last().reply(joined('p_wait'));
  assert.equal((await p).participantId, 'p_wait');

  const denied = setup();
  const q = denied.client.join({ room: 'r1', name: 'Dee' });
  denied.last().open();
  denied.last().reply({ type: 'lobby', room: 'r1', participantId: 'p_dee' });
  denied.last().reply({ type: 'closed', reason: 'denied', by: { id: 'p_ada', name: 'Ada' } });
  await assert.rejects(q, (err: { code?: string; details?: { reason?: string; by?: { name?: string } } }) => {
    return (
      err.code === ClientErrorCode.SessionClosed && err.details?.reason === 'denied' && err.details.by?.name === 'Ada'
    );
  });
  denied.last().drop(CloseCode.Denied);
  denied.clock.advance(60_000);
  assert.equal(denied.sockets.length, 1, 'no reconnect after being denied');
});
