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
    row(`${name}: relayed msgs/s`, b.perSecond, i.perSecond, 0),
    row(`${name}: latency p50 ms`, b.latency.p50, i.latency.p50, 2),
    row(`${name}: latency p99 ms`, b.latency.p99, i.latency.p99, 2),
    row(`${name}: server CPU µs/msg`, b.cpuPerMessage, i.cpuPerMessage, 1),
    [`${name}: server CPU (cores)`, fmt(b.cpuShare, 2), fmt(i.cpuShare, 2), ''],
    [`${name}: load generators CPU (cores)`, fmt(b.loadgenShare, 2), fmt(i.loadgenShare, 2), ''],
    [`${name}: errors`, errorsText(b.errors), errorsText(i.errors), ''],
  ];
}

/** A row with both figures and their ratio. */
function row(label: string, b: number, i: number, digits: number, scale = 1): string[] {
  return [label, fmt(b / scale, digits), fmt(i / scale, digits), ratio(i, b)];
}

/** The table comparing itda with the baseline at one size. */
export function sizeTable(b: TargetResult, i: TargetResult): string {
  return table([
    ['metric', 'baseline', 'itda', 'itda/baseline'],
    ['joined / failed', `${fmt(b.joined)} / ${fmt(b.failed)}`, `${fmt(i.joined)} / ${fmt(i.failed)}`, ''],
    row('joins/s', b.joinsPerSecond, i.joinsPerSecond, 0),
    row('handshake p50 ms', b.openLatency.p50, i.openLatency.p50, 1),
    row('handshake p99 ms', b.openLatency.p99, i.openLatency.p99, 1),
    row('join latency p50 ms', b.joinLatency.p50, i.joinLatency.p50, 1),
    row('join latency p99 ms', b.joinLatency.p99, i.joinLatency.p99, 1),
    row('server CPU µs/join', b.cpuPerJoin, i.cpuPerJoin, 0),
    row('server RSS idle MiB', b.idleRss, i.idleRss, 1, MiB),
    row('server RSS loaded MiB', b.loadedRss, i.loadedRss, 1, MiB),
    row('RSS per connection KiB', b.rssPerConnection, i.rssPerConnection, 1, 1024),
    row('server peak RSS MiB', b.peakRss, i.peakRss, 1, MiB),
    ['connect-phase errors', errorsText(b.connectErrors), errorsText(i.connectErrors), ''],
    ...phaseRows('fixed rate', b.latency, i.latency),
    ...phaseRows('closed loop', b.throughput, i.throughput),
  ]);
}

/** The goal lines: CPU per relayed message within 1.5× the baseline; 20,000 connections under 1 GiB. */
export function goalLines(b: TargetResult, i: TargetResult): string[] {
  const cpuRatio = i.throughput.cpuPerMessage / b.throughput.cpuPerMessage;
  const lines = [
    `goal: itda CPU per relayed message ≤ ${GOAL_CPU_RATIO}× baseline (closed-loop phase): ${cpuRatio.toFixed(2)}× → ${
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
