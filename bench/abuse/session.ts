/**
 * One attack against a fresh itda server: start it (server.ts), connect the bystander
 * (bystander.ts), let it settle, measure a baseline window with no attack, then a window of
 * the same length with the attack running; probe the server near the window's end
 * (probe.ts) while the attack still holds what it took, and read its gauges then; read the
 * server's CPU (utime + stime of its pid, bench/turn/cpu.ts) and RSS around each window, its
 * counters (/metrics) and log counts before and after the attack; stop everything. A fresh server per attack, so one
 * attack's leftovers (allocations, connections) never count against the next.
 */

import type { Generator } from '../sfu/generators.ts';
import type { ItdaTarget } from '../sfu/itda.ts';
import { peakRssBytes, rssBytes } from '../signal/proc.ts';
import { cpuSplit } from '../turn/cpu.ts';
import type { Attack, Strengths } from './attacks/types.ts';
import { Bystander, type Window } from './bystander.ts';
import { counterDeltas, defences, gaugeChanges, otherCounters, readMetrics } from './metrics.ts';
import { sleep, sleepUntil } from './pace.ts';
import { probe } from './probe.ts';
import { type AttackRow, GOAL_ADDED_P99_US, logDelta, type ServerUse } from './report.ts';
import { abuseTarget, serverInfo } from './server.ts';

export interface SessionOptions {
  durationMs: number;
  drainMs: number;
  strengths: Strengths;
  log: (line: string) => void;
  /** The target of this session, so the caller can kill it on a hard timeout. */
  onTarget: (t: ItdaTarget) => void;
}

const MiB = 1024 * 1024;

/** Measures one bystander window and the server's CPU over it (the drain included). */
async function measured(b: Bystander, pid: number, o: SessionOptions): Promise<{ w: Window; use: ServerUse }> {
  const c0 = cpuSplit(pid);
  const t0 = performance.now();
  const w = await b.measure(o.durationMs, o.drainMs);
  const c1 = cpuSplit(pid);
  return {
    w,
    use: {
      cpuS: (c1.userUs + c1.systemUs - c0.userUs - c0.systemUs) / 1e6,
      wallS: (performance.now() - t0) / 1000,
      rssMiB: rssBytes(pid) / MiB,
    },
  };
}

export async function runSession(attack: Attack, gen: Generator, o: SessionOptions): Promise<AttackRow> {
  const target = abuseTarget();
  o.onTarget(target);
  await target.start();
  const bystander = new Bystander(gen, target);
  try {
    const server = await serverInfo(target);
    await bystander.connect();
    await bystander.measure(Math.min(1000, o.durationMs / 2), 200); // settle: key frame, estimates
    const baseline = await measured(bystander, server.pid, o);

    const metricsBefore = await readMetrics(server.url);
    const logBefore = await target.logCounts();
    let release = (): void => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    const endsAt = Date.now() + o.durationMs;
    // Settled, never rejected: it is awaited only after the attack, and a rejection meanwhile would be unhandled.
    const windowP = measured(bystander, server.pid, o).then(
      (m) => ({ m, error: undefined }),
      (err: unknown) => ({ m: undefined, error: err }),
    );
    const outcomeP = attack.run({ server, strengths: o.strengths, endsAt, released, log: o.log });
    // An attack that throws still ends the session with a problem, not a hang.
    const bounded = Promise.race([
      outcomeP.catch((err: unknown) => ({
        sent: '?',
        contained: undefined,
        verdict: 'the attack threw',
        details: {},
        problems: [`attack ${attack.id} threw: ${err instanceof Error ? err.message : String(err)}`],
      })),
      sleep(o.durationMs + 60_000).then(() => ({
        sent: '?',
        contained: undefined,
        verdict: 'the attack did not finish',
        details: {},
        problems: [`attack ${attack.id} did not finish within 60 s after its window`],
      })),
    ]);
    await sleepUntil(endsAt - Math.min(2000, o.durationMs / 2));
    const [probed, metricsDuring] = await Promise.all([probe(server.url, server.wsUrl), readMetrics(server.url)]);
    await sleepUntil(endsAt);
    release();
    const outcome = await bounded;
    const settled = await windowP;
    if (settled.m === undefined) throw settled.error;
    const window = settled.m;
    const peakRssMiB = peakRssBytes(server.pid) / MiB;
    const metricsAfter = await readMetrics(server.url);
    const logAfter = await target.logCounts();

    const deltas =
      metricsBefore === undefined || metricsAfter === undefined
        ? new Map<string, number>()
        : counterDeltas(metricsBefore.samples, metricsAfter.samples, metricsAfter.types);
    const addedP99Us = window.w.p99WithLossUs - baseline.w.p99WithLossUs;
    const goalMet = Number.isFinite(addedP99Us) && addedP99Us < GOAL_ADDED_P99_US;
    const because: string[] = [];
    if (!goalMet) because.push('bystander p99');
    if (outcome.contained === false) because.push('the attack got what it wanted');
    if (!probed.healthz.ok) because.push('/healthz failed');
    if (!probed.join.ok) because.push('a newcomer could not join');
    if (outcome.problems.length > 0) because.push('the attack did not run');
    return {
      id: attack.id,
      name: attack.name,
      describe: attack.describe(o.strengths),
      baseline: baseline.w,
      window: window.w,
      addedP50Us: window.w.p50Us - baseline.w.p50Us,
      addedP99Us,
      baselineServer: baseline.use,
      server: window.use,
      peakRssMiB,
      counters: Object.fromEntries(deltas),
      defences: defences(deltas),
      otherCounters: otherCounters(deltas),
      // Gauges while the attack held what it took (connections, allocations), not after it let go.
      gauges:
        metricsBefore === undefined || metricsDuring === undefined
          ? []
          : gaugeChanges(metricsBefore.samples, metricsDuring.samples, metricsDuring.types),
      metricsRead: metricsBefore !== undefined && metricsAfter !== undefined,
      log: logDelta(logBefore, logAfter),
      probe: probed,
      outcome,
      goalMet,
      contained: because.length === 0,
      because,
    };
  } finally {
    await bystander.close();
    await target.stop().catch(() => {});
  }
}
