/**
 * The two servers under test, each started as its own child process so that its CPU
 * time and memory are measured alone: the minimal `ws` relay (baseline.ts) and itda's
 * CLI (`packages/server/bin/itda.js`). Both listen on 127.0.0.1 only.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { setTimeout as delay } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const HOST = '127.0.0.1';
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const ITDA_BIN = `${ROOT}packages/server/bin/itda.js`;
const BASELINE = fileURLToPath(new URL('./baseline.ts', import.meta.url));

export type TargetName = 'baseline' | 'itda';

export interface TargetOptions {
  /** Participants per room; itda's room capacity is set to at least this. */
  roomSize: number;
  /** Connections expected, to size itda's limits. */
  connections: number;
  /** Extra arguments for the itda CLI. */
  itdaArgs: readonly string[];
}

export interface RunningTarget {
  name: TargetName;
  child: ChildProcess;
  pid: number;
  port: number;
  /** `ws://127.0.0.1:PORT/ws` */
  url: string;
  /** Last lines the child wrote to stderr, for error reports. */
  stderrTail: () => string;
}

/** A free TCP port on 127.0.0.1 (bind to 0, read, close). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, HOST, resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`; bounded by `timeoutMs`. */
async function waitForPort(port: number, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (let i = 0; i < timeoutMs / 100; i++) {
    if (child.exitCode !== null) throw new Error(`server exited with code ${child.exitCode} before listening`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = connect({ host: HOST, port });
      socket.once('connect', () => {
        socket.destroy();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > deadline) break;
    await delay(100);
  }
  throw new Error(`nothing listens on ${HOST}:${port} after ${timeoutMs} ms`);
}

/**
 * itda's CLI arguments for the load: open rooms in `p2p` mode (the only mode that relays
 * offer / answer / candidate; since the SFU became the default, a join creates `sfu` rooms
 * that refuse them with `not_p2p_room`), p2p room capacity ≥ room size (the default is 4,
 * a browser mesh's limit; the relay path is the same Map lookup and send at any size), rate
 * limits raised so the benchmark measures relaying rather than dropping, log level warn.
 * The SFU and TURN are off: like the baseline, the process is the signaling server alone
 * (neither is on the relay path, and their fixed UDP/TCP ports would clash with anything
 * else on the host); `--itda-arg=--sfu --itda-arg=--turn` puts them back.
 */
export function itdaCliArgs(port: number, options: TargetOptions): string[] {
  return [
    '--port',
    String(port),
    '--host',
    HOST,
    '--log-level',
    'warn',
    '--open-rooms',
    '--room-mode',
    'p2p',
    '--no-sfu',
    '--no-turn',
    '--room-capacity',
    String(Math.max(10, options.roomSize)),
    '--rate',
    '10000',
    '--rate-burst',
    '100000',
    ...options.itdaArgs,
  ];
}

/** Starts `name` as a child process and waits until it listens. */
export async function startTarget(name: TargetName, options: TargetOptions): Promise<RunningTarget> {
  const port = await freePort();
  let args: string[];
  if (name === 'baseline') {
    args = [BASELINE, '--port', String(port), '--host', HOST];
  } else {
    if (!existsSync(ITDA_BIN)) throw new Error(`${ITDA_BIN} does not exist yet`);
    args = [ITDA_BIN, ...itdaCliArgs(port, options)];
  }
  const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ['ignore', 'ignore', 'pipe'] });
  const tail: string[] = [];
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    tail.push(chunk);
    if (tail.length > 20) tail.shift();
  });
  if (child.pid === undefined) throw new Error(`could not start ${name}`);
  try {
    await waitForPort(port, child, 20_000);
  } catch (err) {
    child.kill('SIGKILL');
    throw new Error(`${name}: ${(err as Error).message}\n${tail.join('')}`);
  }
  return { name, child, pid: child.pid, port, url: `ws://${HOST}:${port}/ws`, stderrTail: () => tail.join('') };
}

/** SIGTERM, then SIGKILL after `graceMs`; resolves when the child has exited. */
export async function stopChild(child: ChildProcess, graceMs = 5_000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
