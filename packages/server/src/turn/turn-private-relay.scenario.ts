/**
 * The child process of turn-private-relay.test.ts, run inside a network namespace of its
 * own whose only non-loopback address is 198.18.0.1 (on a dummy or veth interface; the
 * test sets it up and the namespace goes away with this process). `itda serve` with TURN in its
 * default configuration, asked at that address, then relays from it (the address the
 * Allocate arrived on, which the peer policy refuses: 198.18.0.0/15 is special-purpose),
 * and a UDP service listens on another port of it. A participant joins, allocates, binds a channel to its
 * own relay — the one exception to the policy — and tries to reach the service through
 * it, both ways.
 *
 * Prints one JSON line: what the server answered and what became of each packet
 * (`dropped`: the server counted a forbidden-peer drop; `delivered`: it arrived).
 */
import { createSocket } from 'node:dgram';
import type { IceServer, JoinedMessage } from '@itda/protocol';
import { connectTransport, TurnClient, type TurnClientError } from '@itda/turn/client';
import { WebSocket } from 'ws';
import { startServer } from '../server.ts';

const ADDRESS = process.argv[2] ?? '198.18.0.1';
const BOUND_MS = 10_000;

async function until<T>(probe: () => T | undefined): Promise<T> {
  const deadline = Date.now() + BOUND_MS;
  for (;;) {
    const v = probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`no outcome within ${BOUND_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

const server = await startServer({ turn: true, webDir: '/nonexistent' });
const service = createSocket('udp4');
let serviceGot = 0;
service.on('message', () => serviceGot++);
await new Promise<void>((resolve) => service.bind(5555, ADDRESS, resolve));
const ws = new WebSocket(server.wsUrl);
let client: TurnClient | undefined;
try {
  await new Promise<void>((resolve, reject) => {
    ws.once('open', () => resolve());
    ws.once('error', reject);
  });
  const joined = new Promise<JoinedMessage>((resolve) =>
    ws.on('message', (data) => {
      const m = JSON.parse(String(data)) as JoinedMessage;
      if (m.type === 'joined') resolve(m);
    }),
  );
  ws.send(JSON.stringify({ type: 'join', v: 1, room: 'any', name: 'Eve' }));
  const turn = (await joined).iceServers.find((s: IceServer) => s.username !== undefined);
  const port = server.turn?.addresses.find((a) => a.transport === 'udp')?.port ?? 0;
  const transport = await connectTransport({ transport: 'udp', host: ADDRESS, port });
  const c = new TurnClient(transport, { username: turn?.username ?? '', password: turn?.credential ?? '' });
  client = c;
  let clientGot = 0;
  c.on('data', () => clientGot++);
  const relayed = (await c.allocate()).relayed;
  const code = async (op: () => Promise<unknown>): Promise<number> => {
    try {
      await op();
      return 0;
    } catch (err) {
      return (err as TurnClientError).stunCode ?? -1;
    }
  };
  const forbidden = (): number => server.turn?.server.metrics.dropped.forbidden_peer ?? 0;
  const verdict = async (arrived: () => boolean, act: () => void): Promise<string> => {
    const before = forbidden();
    act();
    return until(() => (arrived() ? 'delivered' : forbidden() > before ? 'dropped' : undefined));
  };
  const result = {
    relayIp: relayed.address,
    createPermission: await code(() => c.createPermission([ADDRESS])),
    channelBindOwnRelay: await code(() => c.channelBind(relayed, 0x4000)),
    sendToService: await verdict(
      () => serviceGot > 0,
      () => c.send({ family: 'IPv4', address: ADDRESS, port: 5555 }, Buffer.from('hello service')),
    ),
    serviceToClient: await verdict(
      () => clientGot > 0,
      () => service.send(Buffer.from('hello client'), relayed.port, relayed.address),
    ),
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
} finally {
  await client?.close();
  ws.close();
  service.close();
  await server.close();
}
