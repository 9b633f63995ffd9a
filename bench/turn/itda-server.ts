/**
 * itda's TurnServer alone in a process, for the benchmark: `node bench/turn/itda-server.ts
 * '<json options>'`. Listens on UDP and TCP on 127.0.0.1 (ephemeral ports), prints one
 * JSON line `{"ready":true,"udp":N,"tcp":N}` on stdout, and runs until SIGTERM/SIGINT,
 * then closes the server and exits (so `--cpu-prof` writes its profile).
 */
import { TurnServer } from '@itda/turn';

interface RunnerOptions {
  realm: string;
  users: Record<string, string>;
  minPort: number;
  maxPort: number;
}

const options = JSON.parse(process.argv[2] ?? '{}') as RunnerOptions;
const turn = new TurnServer({
  realm: options.realm,
  listen: [
    { transport: 'udp', host: '127.0.0.1', port: 0 },
    { transport: 'tcp', host: '127.0.0.1', port: 0 },
  ],
  users: options.users,
  relayIp: '127.0.0.1',
  minPort: options.minPort,
  maxPort: options.maxPort,
  allowLoopbackPeers: true,
  // The load comes from one IP: no per-user or per-source limits (coturn has none by default).
  quotas: { allocationsPerUser: 100_000, allocationsPerSource: 100_000, allocationsTotal: 100_000 },
  unauthenticatedRate: { perSecond: 100_000, burst: 100_000 },
});
await turn.start();
const port = (t: 'udp' | 'tcp'): number => turn.addresses.find((a) => a.transport === t)?.port ?? 0;
process.stdout.write(`${JSON.stringify({ ready: true, udp: port('udp'), tcp: port('tcp') })}\n`);

let stopping = false;
const stop = (): void => {
  if (stopping) return;
  stopping = true;
  void turn.close().then(() => process.exit(0));
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
