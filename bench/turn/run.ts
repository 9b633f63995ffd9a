/**
 * `npm run bench:turn -- [--duration-s 5] [--rates 5000,10000,20000,30000,40000] [--clients 20] [--size 160]
 *   [--modes channel,send] [--coturn-threads N] [--cpu-prof DIR] [--json FILE] [--timeout-s 900]`
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
 *   relayed packet (both directions count), loss, RTT and RTT added over the direct path.
 *
 * Server CPU is utime + stime of the server process (all threads) from /proc/<pid>/stat
 * over each measurement; RSS from /proc/<pid>/status. Load generators are separate
 * processes. Everything is bounded; a hard timeout kills every child. Results:
 * bench/RESULTS.md.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type CoturnPeer, startCoturnPeer } from '../../e2e/interop/coturn.ts';
import { peakRssBytes, rssBytes } from '../signal/proc.ts';
import { fmt, ratio, table } from '../signal/stats.ts';
import { cpuSplit } from './cpu.ts';
import type { AllocateReport, BindingReport, Command, Credentials, RelayReport, Report } from './ipc.ts';
import { startCoturnTarget, startItda, type Target, USER } from './servers.ts';

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

interface RelayRow {
  target: 'itda' | 'coturn';
  mode: 'channel' | 'send';
  rate: number;
  sent: number;
  received: number;
  lost: number;
  relayedPerSecond: number;
  cpuUsPerPacket: number;
  userUsPerPacket: number;
  systemUsPerPacket: number;
  cpuCores: number;
  rttP50: number;
  rttP99: number;
  rssMiB: number;
}

interface TargetSummary {
  binding: { perSecond: number; cpuUsPerRequest: number; userUsPerRequest: number; timedOut: number; cpuCores: number };
  allocations: { perSecond: number; cpuUsPerAllocation: number; failures: number; firstError: string | undefined };
  idleRssMiB: number;
  peakRssMiB: number;
  notes: string;
}

const MiB = 1024 * 1024;

async function main(): Promise<void> {
  const started = new Date();
  log(
    `bench/turn — ${started.toISOString()} — ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, node ${process.version}`,
  );
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
  const targets = [itda, coturn];
  for (const t of targets) log(`  ${t.name}: pid ${t.pid}, udp ${t.host}:${t.udpPort} — ${t.notes}`);
  const load = forkLoad();
  const summary = new Map<string, TargetSummary>();
  for (const t of targets) {
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

  // ---- STUN Binding.
  for (const t of targets) {
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
      for (const rate of rates) {
        await settle(300);
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
          relayedPerSecond: (relayed * 1000) / r.sendMs,
          cpuUsPerPacket: cpuUs / Math.max(1, relayed),
          userUsPerPacket: userUs / Math.max(1, relayed),
          systemUsPerPacket: systemUs / Math.max(1, relayed),
          cpuCores: cpuUs / 1000 / (r.sendMs + 500),
          rttP50: r.rtt.p50,
          rttP99: r.rtt.p99,
          rssMiB: rssBytes(t.pid) / MiB,
        };
        rows.push(row);
        log(
          `relay    ${t.name.padEnd(6)} ${mode.padEnd(7)} ${fmt(rate).padStart(7)} pkt/s: lost ${row.lost}/${row.sent}, ${row.cpuUsPerPacket.toFixed(2)} µs CPU/relayed pkt (user ${row.userUsPerPacket.toFixed(2)}), ${row.cpuCores.toFixed(2)} cores, RTT p50 ${row.rttP50.toFixed(3)} p99 ${row.rttP99.toFixed(3)} ms`,
        );
      }
      await ask(load, { cmd: 'relay-teardown' }, 'done', phaseTimeout);
    }
  }
  for (const t of targets) (summary.get(t.name) as TargetSummary).peakRssMiB = peakRssBytes(t.pid) / MiB;

  // ---- report.
  const it = summary.get('itda') as TargetSummary;
  const co = summary.get('coturn') as TargetSummary;
  log('');
  log(
    table([
      ['metric', 'itda', 'coturn', 'itda/coturn'],
      [
        'STUN Binding requests/s',
        fmt(it.binding.perSecond),
        fmt(co.binding.perSecond),
        ratio(it.binding.perSecond, co.binding.perSecond),
      ],
      [
        'STUN Binding CPU µs/request',
        it.binding.cpuUsPerRequest.toFixed(2),
        co.binding.cpuUsPerRequest.toFixed(2),
        ratio(it.binding.cpuUsPerRequest, co.binding.cpuUsPerRequest),
      ],
      [
        'STUN Binding user-space CPU µs/request',
        it.binding.userUsPerRequest.toFixed(2),
        co.binding.userUsPerRequest.toFixed(2),
        ratio(it.binding.userUsPerRequest, co.binding.userUsPerRequest),
      ],
      [
        'STUN Binding requests per CPU-second',
        fmt(1e6 / it.binding.cpuUsPerRequest),
        fmt(1e6 / co.binding.cpuUsPerRequest),
        ratio(co.binding.cpuUsPerRequest, it.binding.cpuUsPerRequest),
      ],
      [
        'allocations/s',
        fmt(it.allocations.perSecond),
        fmt(co.allocations.perSecond),
        ratio(it.allocations.perSecond, co.allocations.perSecond),
      ],
      [
        'CPU µs/allocation (Allocate×2 + Refresh 0)',
        it.allocations.cpuUsPerAllocation.toFixed(1),
        co.allocations.cpuUsPerAllocation.toFixed(1),
        ratio(it.allocations.cpuUsPerAllocation, co.allocations.cpuUsPerAllocation),
      ],
      [
        'RSS idle / peak MiB',
        `${it.idleRssMiB.toFixed(1)} / ${it.peakRssMiB.toFixed(1)}`,
        `${co.idleRssMiB.toFixed(1)} / ${co.peakRssMiB.toFixed(1)}`,
        '',
      ],
    ]),
  );
  log('');
  const relayTable: string[][] = [
    [
      'mode',
      'pkt/s sent',
      'itda lost',
      'coturn lost',
      'itda µs/pkt',
      'coturn µs/pkt',
      'itda/coturn CPU',
      'user+sys µs itda / coturn',
      'itda RTT p50/p99 ms',
      'coturn RTT p50/p99 ms',
      'added RTT p50 itda/coturn ms',
    ],
  ];
  let sustained: Record<string, number> = {};
  for (const mode of modes) {
    for (const rate of rates) {
      const i = rows.find((r) => r.target === 'itda' && r.mode === mode && r.rate === rate);
      const c = rows.find((r) => r.target === 'coturn' && r.mode === mode && r.rate === rate);
      if (i === undefined || c === undefined) continue;
      relayTable.push([
        mode,
        fmt(rate),
        `${i.lost}`,
        `${c.lost}`,
        i.cpuUsPerPacket.toFixed(2),
        c.cpuUsPerPacket.toFixed(2),
        ratio(i.cpuUsPerPacket, c.cpuUsPerPacket),
        `${i.userUsPerPacket.toFixed(1)}+${i.systemUsPerPacket.toFixed(1)} / ${c.userUsPerPacket.toFixed(1)}+${c.systemUsPerPacket.toFixed(1)}`,
        `${i.rttP50.toFixed(3)} / ${i.rttP99.toFixed(3)}`,
        `${c.rttP50.toFixed(3)} / ${c.rttP99.toFixed(3)}`,
        `${(i.rttP50 - direct.rtt.p50).toFixed(3)} / ${(c.rttP50 - direct.rtt.p50).toFixed(3)}`,
      ]);
    }
    const coturnOk = rows.filter((r) => r.target === 'coturn' && r.mode === mode && r.lost === 0).map((r) => r.rate);
    const best = coturnOk.length === 0 ? 0 : Math.max(...coturnOk);
    sustained = { ...sustained, [mode]: best };
  }
  log(table(relayTable));
  log('');
  log(
    `direct RTT p50 ${direct.rtt.p50.toFixed(3)} ms (load → echo peer → load, no relay); "relayed packets" count both directions (to the peer and back).`,
  );
  for (const mode of modes) {
    const best = sustained[mode] ?? 0;
    const i = rows.find((r) => r.target === 'itda' && r.mode === mode && r.rate === best);
    log(
      `${mode}: highest rate coturn relayed without loss: ${fmt(best)} pkt/s — itda at that rate lost ${i === undefined ? '–' : i.lost}`,
    );
  }
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
        },
        null,
        2,
      ),
    );
    log(`results written to ${values.json}`);
  }
}

let exitCode = 0;
try {
  await main();
} catch (err) {
  exitCode = 1;
  log(`bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
} finally {
  for (const c of children) if (c.connected) c.disconnect();
  for (const close of closers.reverse()) await close().catch(() => {});
  clearTimeout(hardTimer);
}
process.exit(exitCode);
