/**
 * The descriptor reserve of `itda serve` (issue 10, hole 4): ICE-TCP and TURN TCP/TLS
 * share one budget, the open-file limit minus `fdReserve`; when stalled connections have
 * used it up, media TCP is refused (counted and logged) while `/healthz` and WebSocket
 * joins go on. Over real loopback sockets, with the reserve set so that the budget is 3.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { isItdaError, type LogFields, silentLogger } from '@itda/common';
import { openFileLimit } from '@itda/common/node';
import { WebSocket } from 'ws';
import { startServer } from '../server.ts';
import { DEFAULT_TCP_LIMITS_CONFIG, mediaTcpBudget } from './tcp-limits.ts';

/** Generous bound for what the test waits on (a busy CI machine); never a speed assertion. */
const WAIT_MS = 20_000;

function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not within ${WAIT_MS} ms: ${what}`)), WAIT_MS);
  });
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
}

test('mediaTcpBudget: half the open-file limit by default, the limit minus --fd-reserve, invalid_config when none is left', () => {
  assert.equal(mediaTcpBudget(DEFAULT_TCP_LIMITS_CONFIG, silentLogger, 20_000)?.limit, 10_000);
  assert.equal(mediaTcpBudget({ ...DEFAULT_TCP_LIMITS_CONFIG, fdReserve: 1_000 }, silentLogger, 20_000)?.limit, 19_000);
  assert.equal(mediaTcpBudget(DEFAULT_TCP_LIMITS_CONFIG, silentLogger, undefined), undefined);
  assert.throws(
    () => mediaTcpBudget({ ...DEFAULT_TCP_LIMITS_CONFIG, fdReserve: 1024 }, silentLogger, 1024),
    (err: unknown) => isItdaError(err, 'invalid_config'),
  );
});

test('itda serve: stalled media TCP connections use up their share, not HTTP/WebSocket: refused, counted, logged', async () => {
  // The suite runs on Linux (scripts/test.sh needs unshare), where /proc/self/limits exists.
  const limit = openFileLimit();
  assert.ok(limit !== undefined, 'the open-file limit, read from /proc/self/limits');
  const records: LogFields[] = [];
  const server = await startServer({
    port: 0,
    host: '127.0.0.1',
    turn: true,
    sfu: true,
    mediaWorkers: 0,
    fdReserve: limit - 3,
    webDir: '/nonexistent',
    logLevel: 'info',
    logSink: (r) => records.push(r),
  });
  const sockets: Socket[] = [];
  const stall = async (port: number | undefined): Promise<{ closed: Promise<void> }> => {
    assert.ok(port !== undefined);
    const socket = connect({ host: '127.0.0.1', port });
    sockets.push(socket);
    socket.on('error', () => {});
    const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
    await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
    socket.write(Buffer.from([0xff, 0xff]));
    return { closed };
  };
  try {
    const port = (transport: string): number | undefined =>
      server.turn?.addresses.find((a) => a.transport === transport)?.port;
    await stall(server.sfu?.rtc.tcpPort);
    await stall(server.sfu?.rtc.tcpPort);
    await stall(port('tcp'));
    const refused = await stall(port('tls'));
    await within(refused.closed, 'a fourth media TCP connection refused by the shared budget');

    // HTTP and WebSocket are not part of that budget.
    const health = await fetch(`${server.url}/healthz`);
    assert.equal(health.status, 200);
    const joined = await within(
      new Promise<string>((resolve, reject) => {
        const ws = new WebSocket(server.wsUrl);
        ws.once('open', () => ws.send(JSON.stringify({ type: 'join', v: 1, room: 'reserve', name: 'ada' })));
        ws.on('message', (data) => {
          const m = JSON.parse(String(data)) as { type: string };
          ws.close();
          resolve(m.type);
        });
        ws.once('error', reject);
      }),
      'a WebSocket join',
    );
    assert.equal(joined, 'joined');

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    assert.match(metrics, /itda_tcp_connections_refused_total\{listener="turn_tls",reason="shared_limit"\} 1\n/);
    assert.match(metrics, /itda_tcp_connections\{listener="ice_tcp"\} 2\n/);
    const line = records.find((r) => r.msg === 'tcp connection limit');
    assert.equal(line?.code, 'shared_limit');
    assert.equal(line?.listener, 'turn_tls');
    assert.equal(line?.level, 'warn');
  } finally {
    for (const s of sockets) s.destroy();
    await server.close();
  }
});
