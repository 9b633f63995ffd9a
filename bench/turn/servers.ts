/**
 * The two servers of the benchmark, each its own process on 127.0.0.1 with the same
 * realm, the same static user, loopback peers allowed and one relay IP: itda's
 * TurnServer (bench/turn/itda-server.ts) and coturn's `turnserver`.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { startCoturn, stop } from '../../e2e/interop/coturn.ts';

const RUNNER = fileURLToPath(new URL('./itda-server.ts', import.meta.url));
const FLOOR = fileURLToPath(new URL('./floor-server.ts', import.meta.url));

export const REALM = 'itda';
export const USER = { name: 'bench', password: 'bench-password' };

/** A running server: its process id (for procfs), ports, and how to stop it. */
export interface Target {
  readonly name: 'itda' | 'coturn' | 'floor';
  readonly pid: number;
  readonly host: string;
  readonly udpPort: number;
  readonly tcpPort: number;
  /** A line about the process model (threads), for the report. */
  readonly notes: string;
  close(): Promise<void>;
}

/** Spawns a Node runner that prints one `{"ready":true,…}` line; resolves with that line. */
async function spawnRunner(
  name: string,
  args: string[],
): Promise<{ child: ChildProcess; pid: number; ready: { udp: number; tcp?: number } }> {
  const child: ChildProcess = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  if (child.pid === undefined) throw new Error(`could not start the ${name} runner`);
  const pid = child.pid;
  const ready = await new Promise<{ udp: number; tcp?: number }>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} runner: no ready line within 15 s`)), 15_000);
    const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream });
    lines.on('line', (line) => {
      try {
        const msg = JSON.parse(line) as { ready?: boolean; udp: number; tcp: number };
        if (msg.ready === true) {
          clearTimeout(timer);
          resolve(msg);
        }
      } catch {
        // not ours
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} runner exited with ${code}`));
    });
  });
  return { child, pid, ready };
}

/** Starts the itda runner; `cpuProfDir` adds `--cpu-prof` into that directory. */
export async function startItda(ports: { min: number; max: number }, cpuProfDir?: string): Promise<Target> {
  const args = [
    ...(cpuProfDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', cpuProfDir]),
    RUNNER,
    JSON.stringify({ realm: REALM, users: { [USER.name]: USER.password }, minPort: ports.min, maxPort: ports.max }),
  ];
  const { child, pid, ready } = await spawnRunner('itda', args);
  return {
    name: 'itda',
    pid,
    host: '127.0.0.1',
    udpPort: ready.udp,
    tcpPort: ready.tcp ?? 0,
    notes: `node ${process.version}, one thread for JS (+ libuv/V8 helper threads)`,
    close: () => stop(child, 10_000),
  };
}

/** Starts the floor: a bare node:dgram forwarder to the echo peer at `peerPort` (floor-server.ts). */
export async function startFloor(peerPort: number): Promise<Target> {
  const { child, pid, ready } = await spawnRunner('floor', [FLOOR, JSON.stringify({ peerPort })]);
  return {
    name: 'floor',
    pid,
    host: '127.0.0.1',
    udpPort: ready.udp,
    tcpPort: 0,
    notes: `node ${process.version}, node:dgram forwarder without TURN (the floor of any Node relay)`,
    close: () => stop(child, 10_000),
  };
}

/** Starts coturn with default threads (`relayThreads` to override), quiet logs. */
export async function startCoturnTarget(ports: { min: number; max: number }, relayThreads?: number): Promise<Target> {
  const coturn = await startCoturn({
    relayPorts: ports,
    auth: { users: { [USER.name]: USER.password } },
    realm: REALM,
    quiet: true,
    ...(relayThreads === undefined ? {} : { relayThreads }),
  });
  const pid = coturn.process.pid;
  if (pid === undefined) throw new Error('turnserver has no pid');
  return {
    name: 'coturn',
    pid,
    host: coturn.host,
    udpPort: coturn.port,
    tcpPort: coturn.port,
    notes: `coturn ${relayThreads === undefined ? 'default relay threads (one per CPU)' : `--relay-threads ${relayThreads}`} + listener/auth threads`,
    close: () => coturn.close(),
  };
}
