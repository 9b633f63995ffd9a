/**
 * `npm run bench:turn -- [--duration-s 5] [--rates 5000,10000,20000,30000,40000] [--clients 20] [--size 160]
 *   [--modes channel,send] [--coturn-threads N] [--no-floor] [--cpu-prof DIR] [--json FILE] [--timeout-s 900]`
 *
 * itda's TurnServer and coturn's turnserver, each its own process on 127.0.0.1 with the
 * same realm, user, loopback peers and relay IP, under the same load in one run:
 *
 * - STUN Binding over UDP, closed loop (`--binding-sockets` × `--binding-window` in flight):
 *   requests/s and server CPU µs per request;
 * - allocations/s: Allocate (401, then with credentials) + Refresh 0, `--alloc-concurrency` at once;
 * - relay: `--clients` allocations send to a UDP echo peer (`turnutils_peer`) at each of
 *   `--rates` packets/s (open loop) through ChannelData and through Send indications,
 *   and get every packet back through the relay: relayed packets/s, server CPU µs per
 *   relayed packet (both directions count), loss, RTT and RTT added over the direct path;
 *   each target first relays one unmeasured second at the first rate (JIT warm-up);
 *
 * - the floor: the same relay load through a bare node:dgram forwarder without TURN
 *   (floor-server.ts) — what any Node relay pays per packet, so itda − floor is what
 *   `@itda/turn` adds and floor − coturn is Node's own cost (`--no-floor` skips it).
 *
 * Server CPU is utime + stime of the server process (all threads) from /proc/<pid>/stat
 * over each measurement; RSS from /proc/<pid>/status; receive drops of each server's UDP
 * sockets from `ss` (datagrams the kernel dropped for a full socket buffer). As root the
 * run raises net.core.rmem_max / wmem_max to 4 MiB if they are lower (the load
 * generator asks 4 MiB, both servers 2 MiB), prints what it set and puts them back at the
 * end. Load generators are separate processes. Everything is bounded; a hard timeout
 * kills every child. Results: bench/RESULTS.md.
 *
 * Exit code 1, with a `FAILED:` list at the end (checks.ts), when a server answered the
 * load with errors (failed allocations or relay set-ups) or a phase measured nothing (no
 * Binding answered, no packet back through a relay); loss at a rate is a measurement, not
 * a failure. 2 on the hard timeout.
 *
 * A tiny run (the smoke test, e2e/bench-smoke.test.ts, about 15 s): `--duration-s 1
 * --rates 1000 --clients 2 --binding-sockets 1 --binding-window 4 --alloc-concurrency 2
 * --max-allocations 20 --no-floor --json FILE`.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type CoturnPeer, startCoturnPeer } from '../../e2e/interop/coturn.ts';
import { peakRssBytes, rssBytes } from '../signal/proc.ts';
import { fmt } from '../signal/stats.ts';
import { failedText, relayProblems, setupProblems, summaryProblems } from './checks.ts';
import { cpuSplit } from './cpu.ts';
import type { AllocateReport, BindingReport, Command, Credentials, RelayReport, Report } from './ipc.ts';
import { type RelayRow, relayReport, summaryTable, type TargetSummary } from './report.ts';
import { startCoturnTarget, startFloor, startItda, type Target, USER } from './servers.ts';
import { type BufferCaps, ensureBufferCaps, udpDrops, udpSockets } from './sockets.ts';

const { values } = parseArgs({
  options: {
    'duration-s': { type: 'string', default: '5' },
    rates: { type: 'string', default: '5000,10000,20000,30000,40000' },
    clients: { type: 'string', default: '20' },
    size: { type: 'string', default: '160' },
    modes: { type: 'string', default: 'channel,send' },
    'binding-sockets': { type: 'string', default: '4' },
    'binding-window': { type: 'string', default: '32' },
    'alloc-concurrency': { type: 'string', default: '16' },
    'max-allocations': { type: 'string', default: '8000' },
    'coturn-threads': { type: 'string' },
    'no-floor': { type: 'boolean', default: false },
    'cpu-prof': { type: 'string' },
    'timeout-s': { type: 'string', default: '900' },
    json: { type: 'string' },
  },
});

function int(name: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in ${min}–${max}`);
  return n;
}

const durationMs = int('duration-s', values['duration-s'], 1, 120) * 1000;
const rates = (values.rates ?? '').split(',').map((s) => int('rates', s.trim(), 100, 500_000));
const clients = int('clients', values.clients, 1, 1000);
const size = int('size', values.size, 12, 1200);
const modes = (values.modes ?? '').split(',').map((s) => s.trim()) as ('channel' | 'send')[];
for (const m of modes) if (m !== 'channel' && m !== 'send') throw new Error(`unknown mode ${m}`);
const bindingSockets = int('binding-sockets', values['binding-sockets'], 1, 64);
const bindingWindow = int('binding-window', values['binding-window'], 1, 1024);
const allocConcurrency = int('alloc-concurrency', values['alloc-concurrency'], 1, 256);
// Each allocation of the phase keeps its socket open to the end: bounded by the open-files limit.
const maxAllocations = int('max-allocations', values['max-allocations'], 1, 10_000);
const coturnThreads =
  values['coturn-threads'] === undefined ? undefined : int('coturn-threads', values['coturn-threads'], 0, 64);
const timeoutS = int('timeout-s', values['timeout-s'], 30, 3600);
const credentials: Credentials = { username: USER.name, password: USER.password };
const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

// ---- children, and the hard timeout that kills them all.
const children: ChildProcess[] = [];
const closers: (() => Promise<void>)[] = [];
const hardTimer = setTimeout(() => {
  log(`hard timeout (${timeoutS} s): killing every child`);
  for (const c of children) c.kill('SIGKILL');
  caps?.restore();
  process.exit(2);
}, timeoutS * 1000);

function forkLoad(): ChildProcess {
  const child = fork(fileURLToPath(new URL('./load.ts', import.meta.url)), [], {
    execPath: process.execPath,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  children.push(child);
  return child;
}

function ask<E extends Report['ev']>(gen: ChildProcess, cmd: Command, ev: E, timeoutMs: number) {
  return new Promise<Extract<Report, { ev: E }>>((resolve, reject) => {
    const timer = setTimeout(() => done(new Error(`${cmd.cmd}: no answer within ${timeoutMs} ms`)), timeoutMs);
    const onMessage = (r: Report): void => {
      if (r.ev === 'failed') done(new Error(`${cmd.cmd}: ${r.error}`));
      else if (r.ev === ev) done(undefined, r as Extract<Report, { ev: E }>);
    };
    const onExit = (): void => done(new Error(`${cmd.cmd}: the load generator exited`));
    function done(err: Error | undefined, r?: Extract<Report, { ev: E }>): void {
      clearTimeout(timer);
      gen.off('message', onMessage);
      gen.off('exit', onExit);
      if (err !== undefined) reject(err);
      else resolve(r as Extract<Report, { ev: E }>);
    }
    gen.on('message', onMessage);
    gen.on('exit', onExit);
    gen.send(cmd);
  });
}

/** Runs `fn` and returns its result with the server CPU (µs; user and system) it cost. */
async function measured<T>(
  target: Target,
  fn: () => Promise<T>,
): Promise<{ result: T; cpuUs: number; userUs: number; systemUs: number }> {
  const before = cpuSplit(target.pid);
  const result = await fn();
  const after = cpuSplit(target.pid);
  const userUs = after.userUs - before.userUs;
  const systemUs = after.systemUs - before.systemUs;
  return { result, cpuUs: userUs + systemUs, userUs, systemUs };
}

const settle = (ms = 500): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Why this run measured less than it should (checks.ts): printed at the end, and the exit code is 1. */
const problems: string[] = [];

const MiB = 1024 * 1024;
let caps: BufferCaps | undefined;

/**
 * One second of relay load that is not measured, before a target's first rate of a mode:
 * a JavaScript server compiles its hot paths (V8 tiers up, on helper threads that count
 * in the process's CPU) during its first thousands of packets, which would otherwise be
 * charged to the first rate only. Every target gets the same.
 */
async function warmUp(load: ChildProcess, phaseTimeout: number): Promise<void> {
  await ask<'relay'>(
    load,
    { cmd: 'relay-run', rate: rates[0] ?? 5000, size, durationMs: 1000, drainMs: 200 },
    'relay',
    phaseTimeout,
  );
}

/** One relay measurement: `rate` packets/s through `target` for the duration. */
async function relayRun(
  load: ChildProcess,
  t: Target,
  mode: RelayRow['mode'],
  rate: number,
  phaseTimeout: number,
): Promise<RelayRow> {
  await settle(300);
  const dropsBefore = udpDrops(t.pid);
  const { result, cpuUs, userUs, systemUs } = await measured(t, () =>
    ask<'relay'>(load, { cmd: 'relay-run', rate, size, durationMs, drainMs: 500 }, 'relay', phaseTimeout),
  );
  const r = result as RelayReport;
  const relayed = r.sent + r.received;
  const row: RelayRow = {
    target: t.name,
    mode,
    rate,
    sent: r.sent,
    received: r.received,
    lost: r.sent - r.received,
    kernelDrops: udpDrops(t.pid) - dropsBefore,
    relayedPerSecond: (relayed * 1000) / r.sendMs,
    cpuUsPerPacket: cpuUs / Math.max(1, relayed),
    userUsPerPacket: userUs / Math.max(1, relayed),
    systemUsPerPacket: systemUs / Math.max(1, relayed),
    cpuCores: cpuUs / 1000 / (r.sendMs + 500),
    rttP50: r.rtt.p50,
    rttP99: r.rtt.p99,
    rssMiB: rssBytes(t.pid) / MiB,
  };
  log(
    `relay    ${t.name.padEnd(6)} ${mode.padEnd(7)} ${fmt(rate).padStart(7)} pkt/s: lost ${row.lost}/${row.sent} (kernel drops ${row.kernelDrops}), ${row.cpuUsPerPacket.toFixed(2)} µs CPU/relayed pkt (user ${row.userUsPerPacket.toFixed(2)}), ${row.cpuCores.toFixed(2)} cores, RTT p50 ${row.rttP50.toFixed(3)} p99 ${row.rttP99.toFixed(3)} ms`,
  );
  return row;
}

async function main(): Promise<void> {
  const started = new Date();
  log(
    `bench/turn — ${started.toISOString()} — ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, node ${process.version}`,
  );
  caps = ensureBufferCaps(4 * MiB);
  log(`socket buffer caps: ${caps.note}`);
  const peer: CoturnPeer = await startCoturnPeer();
  closers.push(() => peer.close());
  // Relay ports: 10,000 each, disjoint, below Linux's ephemeral range (32768+). coturn
  // keeps a freed relay port for a while, so the allocation phase needs more ports than
  // allocations (--max-allocations ≤ 10,000 is checked above).
  const itdaPorts = { min: 12_000, max: 21_999 };
  const coturnPorts = { min: 22_000, max: 31_999 };
  if (values['cpu-prof'] !== undefined) mkdirSync(values['cpu-prof'], { recursive: true });
  const itda = await startItda(itdaPorts, values['cpu-prof']);
  closers.push(() => itda.close());
  const coturn = await startCoturnTarget(coturnPorts, coturnThreads);
  closers.push(() => coturn.close());
  const floor = values['no-floor'] === true ? undefined : await startFloor(peer.port);
  if (floor !== undefined) closers.push(() => floor.close());
  const targets = [itda, coturn];
  for (const t of [...targets, ...(floor === undefined ? [] : [floor])]) {
    const listeners = udpSockets(t.pid).filter((u) => u.local.endsWith(`:${t.udpPort}`));
    const buffers = listeners.map((u) => `rb ${u.rb} tb ${u.tb}`).join(', ') || 'unknown (no ss)';
    log(`  ${t.name}: pid ${t.pid}, udp ${t.host}:${t.udpPort} (socket buffers: ${buffers}) — ${t.notes}`);
  }
  const load = forkLoad();
  const summary = new Map<string, TargetSummary>();
  for (const t of [...targets, ...(floor === undefined ? [] : [floor])]) {
    summary.set(t.name, {
      binding: { perSecond: 0, cpuUsPerRequest: 0, userUsPerRequest: 0, timedOut: 0, cpuCores: 0 },
      allocations: { perSecond: 0, cpuUsPerAllocation: 0, failures: 0, firstError: undefined },
      idleRssMiB: rssBytes(t.pid) / MiB,
      peakRssMiB: 0,
      notes: t.notes,
    });
  }
  const phaseTimeout = durationMs + 60_000;

  // ---- direct RTT: load → echo peer → load, no relay.
  await ask(
    load,
    {
      cmd: 'relay-setup',
      server: undefined,
      credentials,
      mode: 'channel',
      peer: { host: '127.0.0.1', port: peer.port },
      clients,
    },
    'ready',
    phaseTimeout,
  );
  const direct = await ask(
    load,
    { cmd: 'relay-run', rate: 2000, size, durationMs: 2000, drainMs: 300 },
    'relay',
    phaseTimeout,
  );
  await ask(load, { cmd: 'relay-teardown' }, 'done', phaseTimeout);
  log(
    `direct RTT (no relay) at 2,000 pkt/s: p50 ${direct.rtt.p50.toFixed(3)} ms, p99 ${direct.rtt.p99.toFixed(3)} ms, lost ${direct.sent - direct.received}`,
  );

  // ---- STUN Binding (the floor answers Binding too).
  for (const t of [...targets, ...(floor === undefined ? [] : [floor])]) {
    await settle();
    const { result, cpuUs, userUs } = await measured(t, () =>
      ask<'binding'>(
        load,
        {
          cmd: 'binding',
          server: { host: t.host, port: t.udpPort },
          sockets: bindingSockets,
          window: bindingWindow,
          durationMs,
        },
        'binding',
        phaseTimeout,
      ),
    );
    const r = result as BindingReport;
    const s = summary.get(t.name) as TargetSummary;
    s.binding = {
      perSecond: (r.answered * 1000) / r.elapsedMs,
      cpuUsPerRequest: cpuUs / Math.max(1, r.answered),
      userUsPerRequest: userUs / Math.max(1, r.answered),
      timedOut: r.timedOut,
      cpuCores: cpuUs / 1000 / r.elapsedMs,
    };
    log(
      `binding  ${t.name.padEnd(6)} ${fmt(s.binding.perSecond)} req/s, ${s.binding.cpuUsPerRequest.toFixed(2)} µs CPU/req, ${s.binding.cpuCores.toFixed(2)} cores, ${r.timedOut} timed out`,
    );
  }

  // ---- allocations/s.
  for (const t of targets) {
    await settle();
    const { result, cpuUs } = await measured(t, () =>
      ask<'allocate'>(
        load,
        {
          cmd: 'allocate',
          server: { host: t.host, port: t.udpPort },
          credentials,
          concurrency: allocConcurrency,
          maxAllocations,
          durationMs,
        },
        'allocate',
        phaseTimeout,
      ),
    );
    const r = result as AllocateReport;
    const s = summary.get(t.name) as TargetSummary;
    s.allocations = {
      perSecond: (r.allocations * 1000) / r.elapsedMs,
      cpuUsPerAllocation: cpuUs / Math.max(1, r.allocations),
      failures: r.failures,
      firstError: r.firstError,
    };
    log(
      `allocate ${t.name.padEnd(6)} ${fmt(s.allocations.perSecond)} alloc/s, ${s.allocations.cpuUsPerAllocation.toFixed(1)} µs CPU/alloc, ${r.failures} failed${r.firstError ? ` (${r.firstError})` : ''}`,
    );
  }

  // ---- relay, per mode, per target, per rate.
  const rows: RelayRow[] = [];
  for (const mode of modes) {
    for (const t of targets) {
      await settle();
      const ready = await ask(
        load,
        {
          cmd: 'relay-setup',
          server: { host: t.host, port: t.udpPort },
          credentials,
          mode,
          peer: { host: '127.0.0.1', port: peer.port },
          clients,
        },
        'ready',
        phaseTimeout,
      );
      if (ready.setupFailures > 0)
        log(`  ${t.name} ${mode}: ${ready.setupFailures} clients failed to set up: ${ready.firstError}`);
      problems.push(...setupProblems(t.name, mode, ready.setupFailures, ready.firstError));
      await warmUp(load, phaseTimeout);
      for (const rate of rates) rows.push(await relayRun(load, t, mode, rate, phaseTimeout));
      await ask(load, { cmd: 'relay-teardown' }, 'done', phaseTimeout);
    }
  }
  // ---- the floor: the same load through a bare node:dgram forwarder (no TURN, no modes).
  if (floor !== undefined) {
    await settle();
    await ask(
      load,
      {
        cmd: 'relay-setup',
        server: undefined,
        credentials,
        mode: 'channel',
        peer: { host: floor.host, port: floor.udpPort },
        clients,
      },
      'ready',
      phaseTimeout,
    );
    await warmUp(load, phaseTimeout);
    for (const rate of rates) rows.push(await relayRun(load, floor, 'floor', rate, phaseTimeout));
    await ask(load, { cmd: 'relay-teardown' }, 'done', phaseTimeout);
  }
  for (const t of [...targets, ...(floor === undefined ? [] : [floor])])
    (summary.get(t.name) as TargetSummary).peakRssMiB = peakRssBytes(t.pid) / MiB;
  for (const [name, s] of summary) problems.push(...summaryProblems(name, s, name !== 'floor'));
  for (const row of rows) problems.push(...relayProblems(row));

  // ---- report.
  const it = summary.get('itda') as TargetSummary;
  const co = summary.get('coturn') as TargetSummary;
  log('');
  log(summaryTable(it, co, summary.get('floor')));
  log('');
  const { text, sustained } = relayReport(rows, modes, rates, direct.rtt.p50);
  log(text);
  if (values.json !== undefined) {
    writeFileSync(
      values.json,
      JSON.stringify(
        {
          started: started.toISOString(),
          machine: { cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version },
          options: values,
          direct,
          summary: Object.fromEntries(summary),
          relay: rows,
          sustained,
          socketBufferCaps: caps?.note,
        },
        null,
        2,
      ),
    );
    log(`results written to ${values.json}`);
  }
}

try {
  await main();
} catch (err) {
  problems.push(`bench failed: ${err instanceof Error ? err.message : String(err)}`);
  log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  for (const c of children) if (c.connected) c.disconnect();
  for (const close of closers.reverse()) await close().catch(() => {});
  caps?.restore();
  clearTimeout(hardTimer);
}
if (problems.length > 0) log(`\n${failedText(problems)}`);
process.exit(problems.length > 0 ? 1 : 0);
