import assert from 'node:assert/strict';
import { type AddressInfo, connect, createServer, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { ConnectionLimiter, SharedConnectionBudget, sourceKey } from './connection-limiter.ts';
import { parseOpenFileLimit } from './fd-limit.ts';
import { type GuardHooks, resolveStreamGuardLimits, StreamGuard } from './stream-guard.ts';

/** Generous bound for anything the tests wait on (a busy CI machine); never a speed assertion. */
const WAIT_MS = 20_000;

test('sourceKey: IPv4 as is, IPv4-mapped as IPv4, IPv6 by its /64', () => {
  assert.equal(sourceKey('192.0.2.7'), '192.0.2.7');
  assert.equal(sourceKey('::ffff:192.0.2.7'), '192.0.2.7');
  assert.equal(sourceKey('2001:db8:1:2:aaaa::1'), '2001:db8:1:2::/64');
  assert.equal(sourceKey('2001:db8:1:2:bbbb:cccc:dddd:eeee'), '2001:db8:1:2::/64');
  assert.equal(sourceKey('2001:db8::1'), '2001:db8:0:0::/64');
  assert.equal(sourceKey('::1'), '0:0:0:0::/64');
  assert.equal(sourceKey('fe80::1%eth0'), 'fe80:0:0:0::/64');
  assert.notEqual(sourceKey('2001:db8:1:3::1'), sourceKey('2001:db8:1:2::1'));
});

test('ConnectionLimiter: per source, in total, and a budget shared by two listeners', () => {
  const shared = new SharedConnectionBudget(3);
  const a = new ConnectionLimiter({ maxConnections: 3, maxPerSource: 2, shared });
  const b = new ConnectionLimiter({ maxConnections: 10, maxPerSource: 10, shared });
  assert.equal(a.admit('192.0.2.1'), undefined);
  assert.equal(a.admit('192.0.2.1'), undefined);
  assert.equal(a.admit('::ffff:192.0.2.1'), 'source_limit');
  assert.equal(a.admit('2001:db8::1'), undefined);
  assert.equal(a.admit('2001:db8::2'), 'total_limit');
  assert.equal(b.admit('198.51.100.1'), 'shared_limit');
  a.release('192.0.2.1');
  assert.equal(b.admit('198.51.100.1'), undefined);
  assert.equal(shared.used, 3);
  a.release('unknown'); // not counted: nothing changes
  assert.equal(a.open, 2);
  assert.equal(shared.used, 3);
});

test('limits are validated once: out of range is a RangeError naming the limit', () => {
  assert.throws(() => resolveStreamGuardLimits({ maxPerSource: 0 }), /maxPerSource/);
  assert.throws(() => resolveStreamGuardLimits({ handshakeTimeoutMs: 10 }), /handshakeTimeoutMs/);
  assert.throws(() => resolveStreamGuardLimits({ idleTimeoutMs: 1.5 }), /idleTimeoutMs/);
  assert.deepEqual(resolveStreamGuardLimits({}), {
    maxConnections: 10_000,
    maxPerSource: 128,
    handshakeTimeoutMs: 10_000,
    idleTimeoutMs: 60_000,
  });
});

test('parseOpenFileLimit reads the soft limit of /proc/self/limits', () => {
  const text =
    'Max processes             63439                63439                processes\nMax open files            20000                40000                files\n';
  assert.equal(parseOpenFileLimit(text), 20_000);
  assert.equal(
    parseOpenFileLimit('Max open files            unlimited            unlimited            files\n'),
    undefined,
  );
  assert.equal(parseOpenFileLimit(''), undefined);
});

interface Client {
  socket: Socket;
  closed: Promise<void>;
}

async function open(port: number, localAddress = '127.0.0.1'): Promise<Client> {
  const socket = connect({ port, host: '127.0.0.1', localAddress });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  return { socket, closed };
}

function within<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`not within ${WAIT_MS} ms: ${what}`)), WAIT_MS);
  });
  return Promise.race([p, bound]).finally(() => clearTimeout(timer));
}

async function guarded(
  guard: StreamGuard,
  hooks: (s: Socket) => GuardHooks,
): Promise<{ server: Server; port: number; accepted: Socket[] }> {
  const accepted: Socket[] = [];
  const server = createServer((s) => {
    s.on('error', () => {});
    if (guard.admit(s, hooks(s))) accepted.push(s);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port, accepted };
}

async function shut(server: Server, sockets: Socket[]): Promise<void> {
  for (const s of sockets) s.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
}

test('StreamGuard over real sockets: a source over its cap is refused, others are not; a freed slot is reused', async () => {
  const records: Record<string, unknown>[] = [];
  const logger = {
    debug: () => {},
    info: () => {},
    warn: (msg: string, fields?: Record<string, unknown>) => records.push({ msg, ...fields }),
    error: () => {},
    child: () => logger,
  };
  const guard = new StreamGuard({ name: 'test_tcp', maxPerSource: 2, maxConnections: 3, logger });
  const { server, port, accepted } = await guarded(guard, () => ({ established: () => true }));
  try {
    const a1 = await open(port);
    const a2 = await open(port);
    const a3 = await open(port); // over the source cap: closed by the server
    await within(a3.closed, 'third connection from one source refused');
    const b1 = await open(port, '127.0.0.2');
    const b2 = await open(port, '127.0.0.2'); // over the total cap
    await within(b2.closed, 'connection over the total refused');
    assert.equal(guard.stats.refused.source_limit, 1);
    assert.equal(guard.stats.refused.total_limit, 1);
    // One log line for the first refusal; the second (within 10 s) is counted for the next line.
    assert.equal(records.length, 1);
    assert.equal(records[0]?.code, 'source_limit');
    assert.equal(records[0]?.listener, 'test_tcp');
    a1.socket.destroy();
    await a1.closed;
    // The server sees the close a little later: wait until the slot is free, then reuse it.
    await within(
      (async () => {
        while (guard.open > 2) await new Promise((resolve) => setImmediate(resolve));
      })(),
      'slot released',
    );
    const a4 = await open(port);
    a4.socket.write('x');
    assert.equal(guard.open, 3);
    for (const c of [a2, b1, a4]) assert.equal(c.socket.destroyed, false);
    for (const c of [a2, b1, a4]) c.socket.destroy();
  } finally {
    await shut(server, accepted);
  }
});

test('StreamGuard: the handshake deadline closes what has not proved itself, even while it trickles bytes', async () => {
  const proven = new Set<number>();
  const guard = new StreamGuard({ name: 'test_tcp', handshakeTimeoutMs: 1_000, idleTimeoutMs: 60_000 });
  const { server, port, accepted } = await guarded(guard, (s) => ({
    established: () => proven.has(s.remotePort ?? -1),
  }));
  try {
    // Opened first, so its deadline passes first; it proves itself at once.
    const good = await open(port);
    proven.add(good.socket.localPort ?? -1);
    const bad = await open(port);
    const trickle = setInterval(() => bad.socket.write(Buffer.from([0xff])), 100);
    try {
      await within(bad.closed, 'unproven connection closed at its deadline');
    } finally {
      clearInterval(trickle);
    }
    assert.equal(guard.stats.closed.handshake_timeout, 1);
    assert.equal(good.socket.destroyed, false);
    good.socket.destroy();
  } finally {
    await shut(server, accepted);
  }
});

test('StreamGuard: an idle connection is closed unless keepIdle says it may stay', async () => {
  const keep = new Set<number>();
  const guard = new StreamGuard({ name: 'test_tcp', handshakeTimeoutMs: 300_000, idleTimeoutMs: 1_000 });
  const { server, port, accepted } = await guarded(guard, (s) => ({
    established: () => true,
    keepIdle: () => keep.has(s.remotePort ?? -1),
  }));
  try {
    const kept = await open(port);
    keep.add(kept.socket.localPort ?? -1);
    const idle = await open(port);
    await within(idle.closed, 'idle connection closed');
    // A second idle period, so the kept one has been idle past its timeout twice.
    const sentinel = await open(port);
    await within(sentinel.closed, 'second idle connection closed');
    assert.equal(guard.stats.closed.idle_timeout, 2);
    assert.equal(kept.socket.destroyed, false);
    kept.socket.destroy();
  } finally {
    await shut(server, accepted);
  }
});
