/**
 * coturn (Debian package `coturn`) as a child process for interop tests and the
 * benchmark: `turnserver` on 127.0.0.1, `turnutils_peer` as a UDP echo peer, and
 * `turnutils_uclient` / `turnutils_stunclient` runs with their printed results parsed.
 *
 * Every process is started on 127.0.0.1 only, with bounded run times, and killed by
 * `close()` (and on process exit, should a test forget).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { selfSignedCertificate } from '@itda/common/node';
import { stunBinding } from '@itda/turn/client';

const HOST = '127.0.0.1';

/** Why coturn's programs cannot be used here, or undefined when they can. */
export function coturnMissing(): string | undefined {
  for (const tool of ['turnserver', 'turnutils_uclient', 'turnutils_peer', 'turnutils_stunclient']) {
    try {
      execFileSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' });
    } catch {
      return `${tool} is not installed (Debian package coturn; scripts/test.sh installs it as root)`;
    }
  }
  return undefined;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});

/** Spawns `cmd` and remembers it so it dies with this process at the latest. */
function start(cmd: string, args: readonly string[]): ChildProcess {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Kills `child` and waits (bounded) for it to exit. */
export async function stop(child: ChildProcess, timeoutMs = 3000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  await exited;
  clearTimeout(timer);
}

/** A port free for both UDP and TCP on 127.0.0.1, at the moment of asking. */
export async function freePort(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.once('error', reject);
      srv.listen(0, HOST, () => {
        const address = srv.address();
        srv.close(() => resolve(typeof address === 'object' && address !== null ? address.port : 0));
      });
    });
    const udpFree = await new Promise<boolean>((resolve) => {
      const s = createSocket('udp4');
      s.once('error', () => resolve(false));
      s.bind(port, HOST, () => s.close(() => resolve(true)));
    });
    if (udpFree) return port;
  }
  throw new Error('no free port on 127.0.0.1');
}

/** A random window of `size` relay ports below Linux's ephemeral range (32768+). */
export function relayPortRange(size = 200): { min: number; max: number } {
  const min = 20_000 + Math.floor(Math.random() * ((32_000 - 20_000 - size) / size)) * size;
  return { min, max: min + size - 1 };
}

/** A throwaway self-signed certificate for 127.0.0.1 (EC P-256, 1 day, @itda/common/node), written into `dir`. */
export function selfSignedCert(dir: string): { certPath: string; keyPath: string } {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  const { cert, key } = selfSignedCertificate({ commonName: 'localhost', hosts: ['127.0.0.1'], days: 1 });
  writeFileSync(certPath, cert);
  writeFileSync(keyPath, key, { mode: 0o600 });
  return { certPath, keyPath };
}

/** Credentials coturn accepts: static long-term users, or TURN REST shared secrets. */
export type CoturnAuth = { users: Record<string, string> } | { secrets: readonly string[] };

export interface CoturnOptions {
  auth: CoturnAuth;
  /** Default `itda`. */
  realm?: string;
  /** Also listen on TLS (a self-signed certificate is generated). Default false. */
  tls?: boolean;
  /** `--relay-threads`; default: coturn's own (one per CPU). */
  relayThreads?: number;
  /** Log to /dev/null instead of capturing stdout (the benchmark). Default false. */
  quiet?: boolean;
  /** Relay port window. Default: a random 200-port window (relayPortRange). */
  relayPorts?: { min: number; max: number };
  /** More `turnserver` flags. */
  extraArgs?: readonly string[];
}

/** A running `turnserver`. */
export interface Coturn {
  readonly host: string;
  /** UDP and TCP listening port. */
  readonly port: number;
  /** TLS port, when `tls` was asked for. */
  readonly tlsPort: number | undefined;
  /** PEM of the TLS certificate, for a client's `ca`. */
  readonly certPath: string | undefined;
  readonly process: ChildProcess;
  readonly relayPorts: { min: number; max: number };
  /** Everything coturn printed so far. */
  log(): string;
  close(): Promise<void>;
}

/**
 * Starts `turnserver` on 127.0.0.1 with loopback peers allowed (needed for an echo peer
 * on 127.0.0.1), no CLI, no DTLS, a private SQLite path and pid file, and waits until it
 * answers a STUN Binding over UDP (at most 10 s).
 */
export async function startCoturn(options: CoturnOptions): Promise<Coturn> {
  const dir = mkdtempSync(join(tmpdir(), 'itda-coturn-'));
  const port = await freePort();
  const relayPorts = options.relayPorts ?? relayPortRange();
  const args = [
    '-n',
    '--no-cli',
    '--listening-ip',
    HOST,
    '--relay-ip',
    HOST,
    '--listening-port',
    String(port),
    '--min-port',
    String(relayPorts.min),
    '--max-port',
    String(relayPorts.max),
    '--allow-loopback-peers',
    '--realm',
    options.realm ?? 'itda',
    '--no-dtls',
    '--db',
    join(dir, 'turndb'),
    '--pidfile',
    join(dir, 'turnserver.pid'),
    '--log-file',
    options.quiet === true ? '/dev/null' : 'stdout',
    ...(options.quiet === true ? ['--no-stdout-log'] : []),
    '--simple-log',
    '--no-rfc5780',
  ];
  if ('users' in options.auth) {
    args.push('--lt-cred-mech');
    for (const [name, password] of Object.entries(options.auth.users)) args.push('--user', `${name}:${password}`);
  } else {
    args.push('--use-auth-secret');
    for (const secret of options.auth.secrets) args.push('--static-auth-secret', secret);
  }
  let tlsPort: number | undefined;
  let certPath: string | undefined;
  if (options.tls === true) {
    const cert = selfSignedCert(dir);
    certPath = cert.certPath;
    tlsPort = await freePort();
    args.push('--tls-listening-port', String(tlsPort), '--cert', cert.certPath, '--pkey', cert.keyPath);
  } else {
    args.push('--no-tls');
  }
  if (options.relayThreads !== undefined) args.push('--relay-threads', String(options.relayThreads));
  args.push(...(options.extraArgs ?? []));
  writeFileSync(join(dir, 'args.txt'), args.join(' '));
  const child = start('turnserver', args);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
    if (output.length > 1_000_000) output = output.slice(-500_000);
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const coturn: Coturn = {
    host: HOST,
    port,
    tlsPort,
    certPath,
    process: child,
    relayPorts,
    log: () => output,
    close: async () => {
      await stop(child);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    await waitForStun(port, () => child.exitCode !== null);
  } catch (err) {
    await coturn.close();
    throw new Error(`turnserver did not start: ${String(err)}\n${output.slice(-2000)}`);
  }
  return coturn;
}

/** Waits until a STUN Binding over UDP to `port` succeeds (at most `timeoutMs`). */
export async function waitForStun(port: number, dead: () => boolean = () => false, timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (dead()) throw new Error('the process exited');
    try {
      await stunBinding({ transport: 'udp', host: HOST, port }, { rto: 100, rc: 2, rm: 2 });
      return;
    } catch (err) {
      if (Date.now() > until) throw err;
      await sleep(100);
    }
  }
}

/** A running `turnutils_peer` (UDP echo). */
export interface CoturnPeer {
  readonly port: number;
  close(): Promise<void>;
}

/** Starts `turnutils_peer -L 127.0.0.1 -p <free port>`: it echoes every UDP datagram. */
export async function startCoturnPeer(): Promise<CoturnPeer> {
  const port = await freePort();
  const child = start('turnutils_peer', ['-L', HOST, '-p', String(port)]);
  // It binds at once; a short bounded check that it is up: an echo comes back.
  const until = Date.now() + 5000;
  const s = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => s.bind(0, HOST, () => resolve()).once('error', reject));
    for (;;) {
      const echoed = await new Promise<boolean>((resolve) => {
        const t = setTimeout(() => resolve(false), 100);
        s.once('message', () => {
          clearTimeout(t);
          resolve(true);
        });
        s.send(Buffer.from('ping'), port, HOST);
      });
      if (echoed) break;
      if (Date.now() > until || child.exitCode !== null) {
        await stop(child);
        throw new Error('turnutils_peer did not echo');
      }
    }
  } finally {
    s.close();
  }
  return { port, close: () => stop(child) };
}

/** What `turnutils_uclient` reports at the end of a run. */
export interface UclientResult {
  exitCode: number | null;
  sent: number;
  received: number;
  lost: number;
  /** Average round-trip delay, ms. */
  rttMs: number;
  output: string;
}

/**
 * Parses the totals uclient prints:
 * `tot_send_msgs=100, tot_recv_msgs=100`, `Total lost packets 0 (0.000000%)`,
 * `Average round trip delay 0.25 ms`. Missing lines give -1.
 */
export function parseUclient(output: string, exitCode: number | null = 0): UclientResult {
  const num = (re: RegExp): number => {
    const all = [...output.matchAll(new RegExp(re, 'g'))];
    const m = all.at(-1);
    return m === undefined ? -1 : Number(m[1]);
  };
  return {
    exitCode,
    sent: num(/tot_send_msgs=(\d+)/),
    received: num(/tot_recv_msgs=(\d+)/),
    lost: num(/Total lost packets (\d+)/),
    rttMs: num(/Average round trip delay ([\d.]+) ms/),
    output,
  };
}

/** Runs `turnutils_uclient` with `args` (the server address last), killed after `timeoutMs`. */
export async function runUclient(args: readonly string[], timeoutMs = 30_000): Promise<UclientResult> {
  const { code, output } = await run('turnutils_uclient', args, timeoutMs);
  return parseUclient(output, code);
}

/** Runs `turnutils_stunclient` (killed after `timeoutMs`) and returns its output. */
export async function runStunclient(
  args: readonly string[],
  timeoutMs = 15_000,
): Promise<{ code: number | null; output: string }> {
  return run('turnutils_stunclient', args, timeoutMs);
}

async function run(
  cmd: string,
  args: readonly string[],
  timeoutMs: number,
): Promise<{ code: number | null; output: string }> {
  const child = start(cmd, args);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  child.stderr?.on('data', (c: Buffer) => {
    output += c.toString();
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((resolve) => child.once('close', (c) => resolve(c)));
  clearTimeout(timer);
  return { code, output };
}
