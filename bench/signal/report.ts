/** The per-size comparison table and the goal checks of issue #2. */
import type { PhaseResult, TargetResult } from './measure.ts';
import { fmt, ratio, table } from './stats.ts';

const MiB = 1024 * 1024;
export const GOAL_CPU_RATIO = 1.5;
export const GOAL_RSS_BYTES = 1024 * MiB;
export const GOAL_RSS_CONNECTIONS = 20_000;

function errorsText(e: Record<string, number>): string {
  const parts = Object.entries(e).map(([k, v]) => `${k}:${v}`);
  return parts.length === 0 ? 'none' : parts.join(' ');
}

function phaseRows(name: string, b: PhaseResult, i: PhaseResult): string[][] {
  return [
    [`${name}: relayed / sent`, `${fmt(b.received)} / ${fmt(b.sent)}`, `${fmt(i.received)} / ${fmt(i.sent)}`, ''],
    [`${name}: relayed msgs/s`, fmt(b.perSecond), fmt(i.perSecond), ratio(i.perSecond, b.perSecond)],
    [`${name}: latency p50 ms`, fmt(b.latency.p50, 2), fmt(i.latency.p50, 2), ratio(i.latency.p50, b.latency.p50)],
    [`${name}: latency p99 ms`, fmt(b.latency.p99, 2), fmt(i.latency.p99, 2), ratio(i.latency.p99, b.latency.p99)],
    [
      `${name}: server CPU µs/msg`,
      fmt(b.cpuPerMessage, 1),
      fmt(i.cpuPerMessage, 1),
      ratio(i.cpuPerMessage, b.cpuPerMessage),
    ],
    [`${name}: server CPU (cores)`, fmt(b.cpuShare, 2), fmt(i.cpuShare, 2), ''],
    [`${name}: load generators CPU (cores)`, fmt(b.loadgenShare, 2), fmt(i.loadgenShare, 2), ''],
    [`${name}: errors`, errorsText(b.errors), errorsText(i.errors), ''],
  ];
}

/** The table comparing itda with the baseline at one size. */
export function sizeTable(b: TargetResult, i: TargetResult): string {
  return table([
    ['metric', 'baseline', 'itda', 'itda/baseline'],
    ['joined / failed', `${fmt(b.joined)} / ${fmt(b.failed)}`, `${fmt(i.joined)} / ${fmt(i.failed)}`, ''],
    ['joins/s', fmt(b.joinsPerSecond), fmt(i.joinsPerSecond), ratio(i.joinsPerSecond, b.joinsPerSecond)],
    [
      'join latency p50 ms',
      fmt(b.joinLatency.p50, 1),
      fmt(i.joinLatency.p50, 1),
      ratio(i.joinLatency.p50, b.joinLatency.p50),
    ],
    [
      'join latency p99 ms',
      fmt(b.joinLatency.p99, 1),
      fmt(i.joinLatency.p99, 1),
      ratio(i.joinLatency.p99, b.joinLatency.p99),
    ],
    ['server CPU µs/join', fmt(b.cpuPerJoin, 0), fmt(i.cpuPerJoin, 0), ratio(i.cpuPerJoin, b.cpuPerJoin)],
    ['server RSS idle MiB', fmt(b.idleRss / MiB, 1), fmt(i.idleRss / MiB, 1), ''],
    ['server RSS loaded MiB', fmt(b.loadedRss / MiB, 1), fmt(i.loadedRss / MiB, 1), ratio(i.loadedRss, b.loadedRss)],
    [
      'RSS per connection KiB',
      fmt(b.rssPerConnection / 1024, 1),
      fmt(i.rssPerConnection / 1024, 1),
      ratio(i.rssPerConnection, b.rssPerConnection),
    ],
    ['server peak RSS MiB', fmt(b.peakRss / MiB, 1), fmt(i.peakRss / MiB, 1), ratio(i.peakRss, b.peakRss)],
    ['connect errors', errorsText(b.connectErrors), errorsText(i.connectErrors), ''],
    ...phaseRows('fixed rate', b.latency, i.latency),
    ...phaseRows('saturated', b.throughput, i.throughput),
  ]);
}

/** The goal lines: CPU per relayed message within 1.5× the baseline; 20,000 connections under 1 GiB. */
export function goalLines(b: TargetResult, i: TargetResult): string[] {
  const cpuRatio = i.throughput.cpuPerMessage / b.throughput.cpuPerMessage;
  const lines = [
    `goal: itda CPU per relayed message ≤ ${GOAL_CPU_RATIO}× baseline (saturated phase): ${cpuRatio.toFixed(2)}× → ${
      cpuRatio <= GOAL_CPU_RATIO ? 'MET' : 'NOT MET'
    }`,
  ];
  const rssLine = `itda peak RSS ${fmt(i.peakRss / MiB, 0)} MiB with ${fmt(i.joined)} connections`;
  if (i.connections >= GOAL_RSS_CONNECTIONS * 0.99) {
    lines.push(
      `goal: ${fmt(GOAL_RSS_CONNECTIONS)} connections in < 1 GiB: ${rssLine} → ${i.peakRss < GOAL_RSS_BYTES ? 'MET' : 'NOT MET'}`,
    );
  } else {
    const projected = i.idleRss + i.rssPerConnection * GOAL_RSS_CONNECTIONS;
    lines.push(`memory: ${rssLine}; projected for ${fmt(GOAL_RSS_CONNECTIONS)}: ${fmt(projected / MiB, 0)} MiB`);
  }
  return lines;
}
