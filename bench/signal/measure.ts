/**
 * One target (baseline or itda) at one size: start it alone in a child process, then
 * connect+join every participant, settle, relay at a fixed rate (latency), relay in a
 * closed loop (throughput and CPU per message), and read the server's CPU time and
 * memory from procfs between the phases.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { closeGenerators, forkGenerators, type Generator, printProgress, request } from './generators.ts';
import type { ConnectedReport, RelayedReport } from './ipc.ts';
import { cpuMicros, peakRssBytes, rssBytes } from './proc.ts';
import { type Summary, summarise } from './stats.ts';
import { startTarget, stopChild, type TargetName, type TargetOptions } from './targets.ts';

export interface LoadOptions extends TargetOptions {
  /** Load generator processes. */
  generators: number;
  /** Handshakes in flight per generator. */
  concurrency: number;
  /** Source addresses for client sockets (127.0.0.x). */
  localAddresses: string[];
  pingIntervalMs: number;
  /** Latency phase: open loop at this many messages/s in total, for `latencyMessages` messages. */
  rate: number;
  latencyMessages: number;
  /** Throughput phase: closed loop with `window` in flight per generator, `messages` in total. */
  window: number;
  messages: number;
  /** Cap on each relay phase's sending time, ms. */
  durationMs: number;
  offerEvery: number;
  /** Called with each started child's pid, so that a hard timeout can kill it. */
  track: (pid: number) => void;
}

export interface PhaseResult {
  sent: number;
  received: number;
  /** Messages relayed per second (received / span). */
  perSecond: number;
  latency: Summary;
  /** Server CPU time during the phase, µs. */
  cpuMicros: number;
  /** Server CPU per relayed message, µs. */
  cpuPerMessage: number;
  /** Server CPU / wall time during the phase (1 = one core busy). */
  cpuShare: number;
  /** Load generators' CPU / wall time, summed. */
  loadgenShare: number;
  errors: Record<string, number>;
}

export interface TargetResult {
  target: TargetName;
  connections: number;
  joined: number;
  failed: number;
  joinsPerSecond: number;
  joinLatency: Summary;
  /** WebSocket handshake (TCP connect + HTTP upgrade), ms. */
  openLatency: Summary;
  cpuPerJoin: number;
  idleRss: number;
  loadedRss: number;
  rssPerConnection: number;
  peakRss: number;
  latency: PhaseResult;
  throughput: PhaseResult;
  connectErrors: Record<string, number>;
}

function merge(records: readonly Record<string, number>[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of records) for (const [k, v] of Object.entries(r)) out[k] = (out[k] ?? 0) + v;
  return out;
}

function concat(arrays: readonly Float64Array[]): Float64Array {
  const out = new Float64Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
}

/** Splits `total` over `n` parts as evenly as integers allow. */
function split(total: number, n: number, i: number): number {
  return Math.floor(total / n) + (i < total % n ? 1 : 0);
}

async function relayPhase(
  label: string,
  pid: number,
  gens: readonly Generator[],
  phase: number,
  mode: { rate: number } | { window: number },
  messages: number,
  options: LoadOptions,
): Promise<PhaseResult> {
  const stop = printProgress(label, gens);
  const cpu0 = cpuMicros(pid);
  const gen0 = gens.reduce((a, g) => a + cpuMicros(g.pid), 0);
  const t0 = performance.now();
  const drainMs = 10_000;
  let reports: RelayedReport[];
  try {
    reports = await Promise.all(
      gens.map((g, i) =>
        request(
          g,
          {
            cmd: 'relay',
            phase,
            ...('rate' in mode ? { rate: mode.rate / gens.length } : { window: mode.window }),
            messages: split(messages, gens.length, i),
            durationMs: options.durationMs,
            drainMs,
            offerEvery: options.offerEvery,
          },
          'relayed',
          options.durationMs + drainMs + 15_000,
        ),
      ),
    );
  } finally {
    stop();
  }
  const wall = performance.now() - t0;
  const cpu = cpuMicros(pid) - cpu0;
  const genCpu = gens.reduce((a, g) => a + cpuMicros(g.pid), 0) - gen0;
  const received = reports.reduce((a, r) => a + r.received, 0);
  const span = Math.max(...reports.map((r) => r.ms));
  return {
    sent: reports.reduce((a, r) => a + r.sent, 0),
    received,
    perSecond: span > 0 ? (received * 1000) / span : Number.NaN,
    latency: summarise(concat(reports.map((r) => r.latencies))),
    cpuMicros: cpu,
    cpuPerMessage: received > 0 ? cpu / received : Number.NaN,
    cpuShare: cpu / 1000 / wall,
    loadgenShare: genCpu / 1000 / wall,
    errors: merge(reports.map((r) => r.errors)),
  };
}

/** Runs the whole load against `target` with `connections` participants. */
export async function measureTarget(
  target: TargetName,
  connections: number,
  options: LoadOptions,
): Promise<TargetResult> {
  const label = `${target} ${connections.toLocaleString('en-US')}`;
  const server = await startTarget(target, options);
  options.track(server.pid);
  let gens: Generator[] = [];
  try {
    await delay(1000); // let the freshly started server settle before the idle reading
    const idleRss = rssBytes(server.pid);
    gens = forkGenerators(options.generators, connections, options.roomSize, `b${connections}`);
    for (const g of gens) options.track(g.pid);

    process.stdout.write(`  ${label}: connecting and joining…\n`);
    const stop = printProgress(label, gens);
    const cpu0 = cpuMicros(server.pid);
    const t0 = performance.now();
    let connected: ConnectedReport[];
    try {
      connected = await Promise.all(
        gens.map((g) =>
          request(
            g,
            {
              cmd: 'connect',
              url: server.url,
              rooms: g.rooms,
              concurrency: options.concurrency,
              localAddresses: options.localAddresses,
              pingIntervalMs: options.pingIntervalMs,
              timeoutMs: 120_000,
            },
            'connected',
            150_000,
          ),
        ),
      );
    } finally {
      stop();
    }
    const connectWall = performance.now() - t0;
    const connectCpu = cpuMicros(server.pid) - cpu0;
    const joined = connected.reduce((a, r) => a + r.joined, 0);
    process.stdout.write(
      `  ${label}: ${joined.toLocaleString('en-US')} joined in ${(connectWall / 1000).toFixed(1)} s\n`,
    );

    await delay(2000); // let the last notifications and allocations settle before reading RSS
    const loadedRss = rssBytes(server.pid);

    process.stdout.write(`  ${label}: latency phase, ${options.rate} msgs/s…\n`);
    const latency = await relayPhase(
      label,
      server.pid,
      gens,
      1,
      { rate: options.rate },
      options.latencyMessages,
      options,
    );
    process.stdout.write(`  ${label}: throughput phase, window ${options.window} per generator…\n`);
    const throughput = await relayPhase(
      label,
      server.pid,
      gens,
      2,
      { window: options.window },
      options.messages,
      options,
    );
    const peakRss = peakRssBytes(server.pid);
    return {
      target,
      connections,
      joined,
      failed: connected.reduce((a, r) => a + r.failed, 0),
      joinsPerSecond: (joined * 1000) / connectWall,
      joinLatency: summarise(concat(connected.map((r) => r.joinLatencies))),
      openLatency: summarise(concat(connected.map((r) => r.openLatencies))),
      cpuPerJoin: joined > 0 ? connectCpu / joined : Number.NaN,
      idleRss,
      loadedRss,
      rssPerConnection: joined > 0 ? (loadedRss - idleRss) / joined : Number.NaN,
      peakRss,
      latency,
      throughput,
      connectErrors: merge(connected.map((r) => r.errors)),
    };
  } catch (err) {
    const tail = server.stderrTail();
    if (tail !== '') process.stderr.write(`${target} stderr:\n${tail}\n`);
    throw err;
  } finally {
    await closeGenerators(gens);
    await stopChild(server.child);
  }
}
