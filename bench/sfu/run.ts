/**
 * `npm run bench:sfu -- [--duration-s 10] [--warmup-s 2] [--publishers 4] [--subscribers 1,2,4,8,16]
 *   [--steps N] [--generators 2] [--targets janus,itda] [--direct-publishers N,…] [--no-direct]
 *   [--janus-event-loops <cores>] [--itda-host 127.0.0.1|0.0.0.0]
 *   [--quiet-wait-s 120] [--quiet-cores 0.2]
 *   [--json FILE] [--timeout-s 1800]`
 *
 * SFU forwarding under realistic media: `--publishers` N publishers each send VP8 video
 * (150 packets/s, 1,200-byte payloads) and Opus audio (50 packets/s, 160 bytes); each step
 * attaches M subscribers per publisher (`--subscribers`, one step per value, at most
 * `--steps`), so the SFU forwards N × 200 × M packets/s. The load generators are separate
 * processes on node-datachannel (libdatachannel, loadgen.ts), so the SFU's CPU (utime + stime
 * of its pid, all threads, over the measured window) is its own. Per step and target:
 * offered and forwarded packets/s, loss, SFU CPU per forwarded packet and forwarded packets
 * per CPU-second (= per core), RSS and RSS per consumer, latency publisher send → subscriber
 * receive p50/p99 (one host, one monotonic clock). A target's steps stop at the first step
 * with loss > 0.5 % or a saturated generator or host (reported: the generators' CPU and pacing
 * lag, host softirq and other processes' CPU from /proc/stat). On a shared host each run
 * first waits (at most `--quiet-wait-s`) until other processes use at most `--quiet-cores`.
 * Targets: Janus VideoRoom (janus.ts) and itda (itda.ts, WHIP/WHEP; a stub until the SFU serves them). First, unless
 * `--no-direct`: the floor — each publisher straight to one subscriber, no SFU, with
 * `--direct-publishers` publishers (default `--publishers`; a list gives one floor per value)
 * — so latency "added" by an SFU reads as its p50/p99 minus the floor at the nearest rate.
 *
 * Network: inside a fresh network namespace (`unshare --net`, as scripts/test.sh runs the
 * tests) that has loopback and a veth pair of its own carrying 198.18.0.1 for Janus (janus.ts
 * says why); nothing can leave it. run.ts re-executes itself there (after installing Debian
 * `janus` if missing, which needs the host's network). A hard timeout kills every child; Janus
 * is killed on any exit. Results: bench/RESULTS.md. `BENCH_SFU_DEBUG=1`: Janus at log level 6
 * with libnice debugging into /tmp/janus-bench.log, libdatachannel's log on the generators' stderr.
 *
 * Exit code 1, with a `FAILED:` list at the end (checks.ts), when a target did not start,
 * a step threw (WHIP/WHEP or Janus API errors, a connection that never came up), a target
 * ran no step, or a step forwarded nothing or its CPU per packet is not a number; loss is
 * a measurement (it ends a target's steps), not a failure. 2 on the hard timeout.
 *
 * A tiny run (the smoke test, e2e/bench-smoke.test.ts, about 30 s): `--publishers 2
 * --subscribers 2 --warmup-s 1 --duration-s 3 --no-direct --quiet-wait-s 0 --json FILE`
 * (`--quiet-wait-s 0`: a shared or busy host is measured as it is, without waiting).
 */
import { writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { rssBytes } from '../signal/proc.ts';
import { fmt, ratio, table } from '../signal/stats.ts';
import { failedText, stepProblems, targetProblems } from './checks.ts';
import { Generator } from './generators.ts';
import { ITDA_NOT_WIRED, ItdaTarget } from './itda.ts';
import { ensureJanusInstalled, JANUS_ADDRESS, JANUS_LINK, JanusTarget } from './janus.ts';
import { enterNetns, inNetns } from './netns.ts';
import { runStep, type StepRow } from './step.ts';
import type { SfuTarget } from './target.ts';

const { values } = parseArgs({
  options: {
    'duration-s': { type: 'string', default: '10' },
    'warmup-s': { type: 'string', default: '2' },
    publishers: { type: 'string', default: '4' },
    subscribers: { type: 'string', default: '1,2,4,8,16' },
    steps: { type: 'string' },
    generators: { type: 'string', default: '2' },
    targets: { type: 'string', default: 'janus,itda' },
    'timeout-s': { type: 'string', default: '1800' },
    'no-direct': { type: 'boolean', default: false },
    'direct-publishers': { type: 'string' },
    // Janus's static event loops: one per core by default (its own tuning for many handles,
    // about 2× cheaper per packet here than its shipped default, 0 = a thread per handle).
    'janus-event-loops': { type: 'string', default: String(availableParallelism()) },
    // itda's bind address: 127.0.0.1 (default) or 0.0.0.0 (`itda serve`'s default; 127.0.0.1 still announced).
    'itda-host': { type: 'string', default: '127.0.0.1' },
    'quiet-wait-s': { type: 'string', default: '120' },
    'quiet-cores': { type: 'string', default: '0.2' },
    json: { type: 'string' },
  },
});

function int(name: string, value: string | undefined, min: number, max: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min || n > max) throw new Error(`--${name} must be an integer in ${min}–${max}`);
  return n;
}

const log = (line: string): void => {
  process.stdout.write(`${line}\n`);
};

// ---- the namespace: re-execute inside a fresh one (root), unless already there: loopback,
// plus a veth pair carrying Janus's address (janus.ts: Janus will not use loopback interfaces).
const NETNS_SETUP = [
  'ip link set lo up',
  `ip link add ${JANUS_LINK} type veth peer name ${JANUS_LINK}p`,
  `ip addr add ${JANUS_ADDRESS}/32 dev ${JANUS_LINK}`,
  // No IPv6 link-local chatter on the pair.
  `sysctl -qw net.ipv6.conf.${JANUS_LINK}.disable_ipv6=1 net.ipv6.conf.${JANUS_LINK}p.disable_ipv6=1`,
  `ip link set ${JANUS_LINK} up`,
  `ip link set ${JANUS_LINK}p up`,
].join(' && ');
if (!inNetns()) {
  const targetNames = (values.targets ?? '').split(',').map((s) => s.trim());
  if (targetNames.includes('janus')) ensureJanusInstalled(log);
  enterNetns({
    self: fileURLToPath(import.meta.url),
    setup: NETNS_SETUP,
    warning: `warning: cannot create a network namespace (not root?); running on the host (Janus needs ${JANUS_ADDRESS} on a non-loopback link)`,
    log,
  });
}

const measureMs = int('duration-s', values['duration-s'], 1, 300) * 1000;
const warmupMs = int('warmup-s', values['warmup-s'], 0, 60) * 1000;
const publishers = int('publishers', values.publishers, 1, 200);
const subscriberSteps = (values.subscribers ?? '').split(',').map((s) => int('subscribers', s.trim(), 1, 200));
const maxSteps = values.steps === undefined ? subscriberSteps.length : int('steps', values.steps, 1, 50);
const generatorCount = int('generators', values.generators, 1, 16);
const timeoutS = int('timeout-s', values['timeout-s'], 30, 7200);
const directSteps =
  values['no-direct'] === true
    ? []
    : (values['direct-publishers'] ?? String(publishers))
        .split(',')
        .map((s) => int('direct-publishers', s.trim(), 1, 400));
const janusEventLoops = int('janus-event-loops', values['janus-event-loops'], 0, 64);
const itdaHost = values['itda-host'] ?? '127.0.0.1';
if (itdaHost !== '127.0.0.1' && itdaHost !== '0.0.0.0') throw new Error('--itda-host must be 127.0.0.1 or 0.0.0.0');
const quietWaitMs = int('quiet-wait-s', values['quiet-wait-s'], 0, 600) * 1000;
const quietCores = Number(values['quiet-cores']);
if (!(quietCores >= 0 && quietCores <= 64)) throw new Error('--quiet-cores must be a number in 0–64');
const targetNames = (values.targets ?? '').split(',').map((s) => s.trim());
// `itda:N`: itda with N media workers (docs/sfu/workers.md; several may run in one invocation), `itda`: its default.
for (const t of targetNames) {
  if (t !== 'janus' && t !== 'itda' && !/^itda:\d{1,2}$/.test(t)) throw new Error(`unknown target ${t}`);
}

const gens: Generator[] = [];
const targets: SfuTarget[] = [];
/** Why this run measured less than it should (checks.ts): printed at the end, and the exit code is 1. */
const problems: string[] = [];
const hardTimer = setTimeout(() => {
  log(`hard timeout (${timeoutS} s): killing every child`);
  for (const g of gens) g.child.kill('SIGKILL');
  process.exit(2); // the exit handler below kills the targets
}, timeoutS * 1000);

// Janus is a child process: make sure it never outlives the bench (crash, signal, hard timeout).
process.on('exit', () => {
  for (const t of targets) {
    try {
      if (t.pid > 0) process.kill(t.pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => process.exit(130));

const fixed = (n: number, digits = 2): string => (Number.isFinite(n) ? n.toFixed(digits) : '–');
const us = (n: number): string => (Number.isFinite(n) ? `${fmt(n)} µs` : '–');

function rowLine(r: StepRow): string {
  return `  ${r.target.padEnd(5)} ${r.publishers}×${String(r.subscribersEach).padEnd(3)} offered ${fmt(r.offeredPerSecond).padStart(7)} fwd ${fmt(r.forwardedPerSecond).padStart(7)} pkt/s, loss ${r.lossPercent.toFixed(3)} %, SFU ${fixed(r.sfuCores)} cores, ${fixed(r.cpuUsPerForwarded)} µs CPU/pkt = ${fmt(r.forwardedPerCpuSecond)} pkt/CPU-s, RSS ${fixed(r.rssMiB, 1)} MiB (${fmt(r.rssPerConsumerKiB)} KiB/consumer), latency p50 ${us(r.latencyP50Us)} p99 ${us(r.latencyP99Us)}, generators ${r.generatorCores.map((c) => c.toFixed(2)).join('+')} cores (lag ≤ ${r.generatorMaxLagMs.toFixed(1)} ms), host ${r.hostBusyCores.toFixed(2)} cores busy (softirq ${r.softirqCores.toFixed(2)}, other processes ${r.otherCores.toFixed(2)})${r.reordered > 0 ? `, ${r.reordered} reordered` : ''}${r.notes === '' ? '' : ` (${r.notes})`}${r.generatorLimit === '' ? '' : ` — GENERATOR/HOST LIMIT: ${r.generatorLimit}`}`;
}

async function runTarget(t: SfuTarget, rows: StepRow[]): Promise<{ idleRssMiB: number; error?: string }> {
  targets.push(t);
  try {
    await t.start();
  } catch (err) {
    await t.stop().catch(() => {});
    const message = err instanceof Error ? err.message : String(err);
    log(`${t.name}: ${message === ITDA_NOT_WIRED ? `${message} — skipped` : `failed to start: ${message}`}`);
    return { idleRssMiB: 0, error: message };
  }
  const idleRssMiB = rssBytes(t.pid) / (1024 * 1024);
  log(`${t.name}: pid ${t.pid}, idle RSS ${idleRssMiB.toFixed(1)} MiB — ${t.notes}`);
  try {
    for (const m of subscriberSteps.slice(0, maxSteps)) {
      const row = await runStep(t, gens, {
        publishers,
        subscribersEach: m,
        warmupMs,
        measureMs,
        quietWaitMs,
        quietCores,
        log,
      });
      row.rssPerConsumerKiB = ((row.rssMiB - idleRssMiB) * 1024) / row.consumers;
      rows.push(row);
      log(rowLine(row));
      if (row.lossPercent > 0.5) {
        log(`  ${t.name}: loss above 0.5 % — last step for this target`);
        break;
      }
      if (row.generatorLimit !== '') {
        log(`  ${t.name}: the generators or the host are saturated — last step for this target`);
        break;
      }
    }
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    log(`${t.name}: step failed: ${message}`);
    if (t instanceof JanusTarget) log(`janus log tail:\n${t.logTail()}`);
    return { idleRssMiB, error: message };
  } finally {
    await t.stop().catch(() => {});
  }
  return { idleRssMiB };
}

function summary(rows: StepRow[]): string {
  const floors = rows.filter((r) => r.target === 'direct');
  // The floor at the nearest packet rate (the generators' receive load) to a row's.
  const floorFor = (r: StepRow): StepRow | undefined =>
    floors.reduce<StepRow | undefined>(
      (best, f) =>
        best === undefined ||
        Math.abs(f.forwardedPerSecond - r.forwardedPerSecond) < Math.abs(best.forwardedPerSecond - r.forwardedPerSecond)
          ? f
          : best,
      undefined,
    );
  const addedOverFloor = (r: StepRow): string => {
    const f = floorFor(r);
    if (f === undefined || r.target === 'direct') return '';
    return `${fmt(r.latencyP50Us - f.latencyP50Us)}/${fmt(r.latencyP99Us - f.latencyP99Us)} (${fmt(f.forwardedPerSecond)}/s)`;
  };
  const header = [
    'target',
    'N×M',
    'offered/s',
    'forwarded/s',
    'loss %',
    'SFU cores',
    'µs CPU/pkt',
    'pkt/CPU-s',
    'RSS MiB',
    'KiB/consumer',
    'p50 µs',
    'p99 µs',
    'p50/p99 − direct',
    'gen cores',
    'softirq',
    'other',
    'limit',
  ];
  const lines = rows.map((r) => [
    r.target,
    `${r.publishers}×${r.subscribersEach}`,
    fmt(r.offeredPerSecond),
    fmt(r.forwardedPerSecond),
    r.lossPercent.toFixed(3),
    fixed(r.sfuCores),
    fixed(r.cpuUsPerForwarded),
    fmt(r.forwardedPerCpuSecond),
    fixed(r.rssMiB, 1),
    fmt(r.rssPerConsumerKiB),
    fmt(r.latencyP50Us),
    fmt(r.latencyP99Us),
    addedOverFloor(r),
    r.generatorCores.map((c) => c.toFixed(2)).join('+'),
    r.softirqCores.toFixed(2),
    r.otherCores.toFixed(2),
    r.generatorLimit === '' ? '' : 'gen/host',
  ]);
  const text = table([header, ...lines]);
  // itda / Janus on the same load, where both ran it.
  const ratios: string[][] = [];
  for (const it of rows.filter((r) => r.target.startsWith('itda'))) {
    const ja = rows.find((r) => r.target === 'janus' && r.subscribersEach === it.subscribersEach);
    if (ja === undefined) continue;
    ratios.push([
      `${it.target} ${it.publishers}×${it.subscribersEach}`,
      ratio(it.forwardedPerCpuSecond, ja.forwardedPerCpuSecond),
      ratio(it.latencyP99Us, ja.latencyP99Us),
      ratio(it.rssPerConsumerKiB, ja.rssPerConsumerKiB),
    ]);
  }
  if (ratios.length === 0) return `${text}\n\n(itda/janus ratios: no step ran on both targets)`;
  return `${text}\n\n${table([['itda N×M', 'pkt/CPU-s itda/janus', 'p99 itda/janus', 'KiB/consumer itda/janus'], ...ratios])}`;
}

async function main(): Promise<void> {
  const started = new Date();
  log(
    `bench/sfu — ${started.toISOString()} — ${cpus()[0]?.model ?? 'cpu'} × ${availableParallelism()}, node ${process.version}`,
  );
  log(
    `load: ${publishers} publishers (VP8 150 pkt/s × 1,200 B + Opus 50 pkt/s × 160 B), subscribers per publisher ${subscriberSteps.slice(0, maxSteps).join(', ')}, warm-up ${warmupMs / 1000} s, measured ${measureMs / 1000} s, ${generatorCount} generator processes`,
  );
  for (let i = 0; i < generatorCount; i++) gens.push(new Generator());
  const rows: StepRow[] = [];
  const outcome: Record<string, { idleRssMiB: number; error?: string }> = {};
  for (const n of directSteps) {
    // The floor: the generators' own send → receive latency without an SFU in between.
    const floor = await runStep(undefined, gens, {
      publishers: n,
      subscribersEach: 1,
      warmupMs,
      measureMs,
      quietWaitMs,
      quietCores,
      log,
    });
    rows.push(floor);
    log(rowLine(floor));
    problems.push(...stepProblems(floor));
  }
  for (const name of targetNames) {
    const t: SfuTarget =
      name === 'janus'
        ? new JanusTarget(janusEventLoops)
        : name === 'itda'
          ? new ItdaTarget(undefined, 'itda', itdaHost)
          : new ItdaTarget(Number(name.slice(5)), name, itdaHost);
    outcome[name] = await runTarget(t, rows);
    problems.push(...targetProblems(name, outcome[name].error, rows));
  }
  for (const row of rows) if (row.target !== 'direct') problems.push(...stepProblems(row));
  log('');
  log(summary(rows));
  if (values.json !== undefined) {
    writeFileSync(
      values.json,
      JSON.stringify(
        {
          started: started.toISOString(),
          machine: { cpu: cpus()[0]?.model, cores: availableParallelism(), node: process.version },
          options: values,
          targets: outcome,
          steps: rows,
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
  for (const t of targets) await t.stop().catch(() => {});
  for (const g of gens) await g.close();
  clearTimeout(hardTimer);
}
if (problems.length > 0) log(`\n${failedText(problems)}`);
process.exit(problems.length > 0 ? 1 : 0);
