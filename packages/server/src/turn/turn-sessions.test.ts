/**
 * TURN credentials from `joined` are bound to the participant's session, and TURN
 * capacity is shared out per user and per source address — through `itda serve`, a real
 * WebSocket join and itda's TURN client over UDP on loopback (127.0.0.1 is the
 * participant, 127.0.0.2 another person's address).
 *
 * Waits are on states (allocation gauge, error answers), each bounded by `BOUND_MS`; no
 * step assumes how fast the server is.
 */
import assert from 'node:assert/strict';
import { randomInt } from 'node:crypto';
import { test } from 'node:test';
import type { IceServer, JoinedMessage } from '@itda/protocol';
import { connectTransport, TurnClient, type TurnClientError } from '@itda/turn/client';
import { WebSocket } from 'ws';
import { type ItdaServer, startServer } from '../server.ts';

/** Generous bound for anything the server does on a loaded machine. */
const BOUND_MS = 10_000;

async function until(what: string, probe: () => boolean): Promise<void> {
  const deadline = Date.now() + BOUND_MS;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`not within ${BOUND_MS} ms: ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** One participant: its WebSocket and the `joined` it got. */
interface Session {
  ws: WebSocket;
  joined: JoinedMessage;
  creds: { username: string; password: string };
}

function nextMessage(ws: WebSocket, type: string): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${type} within ${BOUND_MS} ms`)), BOUND_MS);
    const onMessage = (data: unknown): void => {
      const m = JSON.parse(String(data)) as Record<string, unknown>;
      if (m.type !== type) return;
      clearTimeout(timer);
      ws.off('message', onMessage);
      resolve(m);
    };
    ws.on('message', onMessage);
  });
}

async function join(server: ItdaServer, room: string): Promise<Session> {
  const ws = new WebSocket(server.wsUrl);
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const answer = nextMessage(ws, 'joined');
  ws.send(JSON.stringify({ type: 'join', v: 1, room, name: 'T' }));
  const joined = (await answer) as unknown as JoinedMessage;
  const turn = joined.iceServers.find((s: IceServer) => s.username !== undefined);
  assert.ok(turn?.username !== undefined && turn.credential !== undefined, 'joined carries TURN credentials');
  return { ws, joined, creds: { username: turn.username, password: turn.credential } };
}

async function leave(s: Session): Promise<void> {
  const closed = new Promise((resolve) => s.ws.once('close', resolve));
  s.ws.send(JSON.stringify({ type: 'leave' }));
  await closed;
}

/** A TURN client over UDP from `from`; `allocate` resolves to the relayed port or the STUN error code. */
class Relay {
  readonly client: TurnClient;
  constructor(client: TurnClient) {
    this.client = client;
  }
  static async open(server: ItdaServer, creds: Session['creds'], from = '127.0.0.1'): Promise<Relay> {
    const port = server.turn?.addresses.find((a) => a.transport === 'udp')?.port ?? 0;
    const transport = await connectTransport({ transport: 'udp', host: '127.0.0.1', port, localAddress: from });
    return new Relay(new TurnClient(transport, { ...creds, autoRefresh: false }));
  }
  async allocate(): Promise<number | { error: number }> {
    try {
      return (await this.client.allocate()).relayed.port;
    } catch (err) {
      return { error: (err as TurnClientError).stunCode ?? -1 };
    }
  }
  /** Closes the socket without deleting the allocation (what a departing attacker would do). */
  abandon(): void {
    this.client.transport.close();
  }
}

const allocations = (server: ItdaServer): number => server.turn?.server.metrics.allocations ?? -1;

/** A relay port range of `size` below Linux's ephemeral ports (32768+), so no client socket takes one. */
function relayRange(size: number): { minPort: number; maxPort: number } {
  const minPort = 20_000 + randomInt(12_000 - size);
  return { minPort, maxPort: minPort + size - 1 };
}

test('a TURN credential from joined lives as long as its session (resume included) and is refused, its relays freed, once it ends', async () => {
  // A resume grace far longer than the steps between the drop and the resume take.
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    turn: true,
    webDir: '/nonexistent',
    resumeGraceMs: 120_000,
  });
  const relays: Relay[] = [];
  try {
    const ada = await join(server, 'bound');
    const first = await Relay.open(server, ada.creds);
    relays.push(first);
    assert.equal(typeof (await first.allocate()), 'number');
    assert.equal(allocations(server), 1);

    // The connection drops: the session waits for a resume, and the credential keeps working.
    const dropped = new Promise((resolve) => ada.ws.once('close', resolve));
    ada.ws.terminate();
    await dropped;
    const second = await Relay.open(server, ada.creds);
    relays.push(second);
    assert.equal(typeof (await second.allocate()), 'number');
    // Resumed on a new connection: the same session, the same credential.
    const ws = new WebSocket(server.wsUrl);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    const resumed = nextMessage(ws, 'resumed');
    ws.send(
      JSON.stringify({
        type: 'resume',
        v: 1,
        room: 'bound',
        participantId: ada.joined.participantId,
        resumeToken: ada.joined.resumeToken,
      }),
    );
    await resumed;
    assert.equal(allocations(server), 2);

    // Ada leaves: both of her allocations go at once, and her credential is refused (401).
    await leave({ ...ada, ws });
    await until('the departed session’s allocations are freed', () => allocations(server) === 0);
    const late = await Relay.open(server, ada.creds);
    relays.push(late);
    assert.deepEqual(await late.allocate(), { error: 401 });
    assert.ok((server.turn?.server.metrics.authFailures.session_ended ?? 0) >= 1);

    // Someone else's session is not touched: Bob still allocates, and a kick frees Bob's relay too.
    const bob = await join(server, 'bound');
    const bobs = await Relay.open(server, bob.creds);
    relays.push(bobs);
    assert.equal(typeof (await bobs.allocate()), 'number');
    const kicked = new Promise((resolve) => bob.ws.once('close', resolve));
    assert.equal(server.signal.core.removeParticipant('bound', bob.joined.participantId), true);
    await kicked;
    await until('the removed participant’s allocation is freed', () => allocations(server) === 0);
  } finally {
    for (const r of relays) r.abandon();
    await server.close();
  }
});

test('join/leave cycles cannot fill the relay range, nor can one address holding sessions; a newcomer still gets a relay', async () => {
  // 40 relay ports; one address may hold 20 allocations (--source-quota), per session the default quota.
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    turn: true,
    webDir: '/nonexistent',
    ...relayRange(40),
    sourceQuota: 20,
  });
  const relays: Relay[] = [];
  try {
    // Five times: join, take 12 relays (more than 40/5), leave without deleting them.
    for (let cycle = 0; cycle < 5; cycle++) {
      const s = await join(server, 'cycles');
      for (let i = 0; i < 12; i++) {
        const r = await Relay.open(server, s.creds);
        relays.push(r);
        const got = await r.allocate();
        assert.equal(typeof got, 'number', `cycle ${cycle}, allocation ${i}: ${JSON.stringify(got)}`);
        r.abandon();
      }
      await leave(s);
      await until(`cycle ${cycle}: the allocations of the departed session are freed`, () => allocations(server) === 0);
    }

    // Three sessions held open from one address: together they get --source-quota (20), then 486.
    const held = await Promise.all([join(server, 'hold'), join(server, 'hold'), join(server, 'hold')]);
    const results: (number | { error: number })[] = [];
    for (const s of held) {
      for (let i = 0; i < 10; i++) {
        const r = await Relay.open(server, s.creds);
        relays.push(r);
        results.push(await r.allocate());
      }
    }
    assert.equal(results.filter((x) => typeof x === 'number').length, 20);
    assert.deepEqual(
      results.filter((x) => typeof x !== 'number'),
      Array.from({ length: 10 }, () => ({ error: 486 })),
    );

    // A newcomer from another address joins and gets a relay.
    const newcomer = await join(server, 'hold');
    const r = await Relay.open(server, newcomer.creds, '127.0.0.2');
    relays.push(r);
    assert.equal(typeof (await r.allocate()), 'number');
    for (const s of [...held, newcomer]) await leave(s);
    await until('every allocation is freed once everyone left', () => allocations(server) === 0);
  } finally {
    for (const r of relays) r.abandon();
    await server.close();
  }
});
