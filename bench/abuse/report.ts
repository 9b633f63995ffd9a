/**
 * One attack's figures and their text: the bystander's latency under attack against its
 * own baseline, the server's CPU and memory, what the server did (its counters and log),
 * the probes, the attack's own verdict, and the two lines that judge it — the goal (the
 * bystander's added p99 under 50 ms) and "contained".
 */
import type { LogCounts } from '../sfu/itda.ts';
import { fmt, table } from '../signal/stats.ts';
import type { AttackOutcome } from './attacks/types.ts';
import { HIST_CEILING_US, type Window } from './bystander.ts';
import { type ProbeResult, probeText } from './probe.ts';

/** Issue 10: "the bystander's added p99 stays under 50 ms in every attack". */
export const GOAL_ADDED_P99_US = 50_000;

export interface ServerUse {
  cpuS: number;
  wallS: number;
  rssMiB: number;
}

export interface AttackRow {
  id: number;
  name: string;
  describe: string;
  baseline: Window;
  window: Window;
  addedP50Us: number;
  /** Over every sent packet, lost ones as ∞ (bystander.ts). */
  addedP99Us: number;
  baselineServer: ServerUse;
  server: ServerUse;
  peakRssMiB: number;
  /** Counters that moved during the attack (series → increase), and the ones that say the server defended itself. */
  counters: Record<string, number>;
  /** The other counters that moved most (what reached the server), for the text. */
  otherCounters: [string, number][];
  defences: [string, number][];
  gauges: [string, number, number][];
  metricsRead: boolean;
  log: { lines: number; bytes: number; top: [string, number][] } | undefined;
  probe: ProbeResult;
  outcome: AttackOutcome;
  goalMet: boolean;
  contained: boolean;
  /** Why not contained, or empty. */
  because: string[];
}

export function logDelta(before: LogCounts | undefined, after: LogCounts | undefined): AttackRow['log'] {
  if (before === undefined || after === undefined) return undefined;
  const top = Object.entries(after.byMessage)
    .map(([k, v]): [string, number] => [k, v - (before.byMessage[k] ?? 0)])
    .filter(([, v]) => v > 0)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3);
  return { lines: after.lines - before.lines, bytes: after.bytes - before.bytes, top };
}

/** Bytes as kB or MB (SI, as log volumes are usually given). */
export function bytes(n: number): string {
  return n >= 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(1)} kB`;
}

/** Milliseconds, "≥ 1,000" at the histogram's ceiling, "∞" for lost. */
export function ms(us: number, saturated = false): string {
  if (us === Number.POSITIVE_INFINITY) return '∞';
  if (!Number.isFinite(us)) return '–';
  if (saturated && us >= HIST_CEILING_US) return '≥ 1,000 ms';
  return `${(us / 1000).toFixed(1)} ms`;
}

/** An added latency; `atCeiling`: the attacked value was the histogram's ceiling, so the true one is larger. */
function added(us: number, atCeiling = false): string {
  if (us === Number.POSITIVE_INFINITY) return '+∞ (over 1 % lost)';
  if (!Number.isFinite(us)) return '–';
  return `${atCeiling ? '≥ ' : ''}${us >= 0 ? '+' : '−'}${(Math.abs(us) / 1000).toFixed(1)} ms`;
}

const ceiling = (us: number): boolean => us >= HIST_CEILING_US;

/** Pacing lag beyond which the host (a busy core), not only the server, delayed the bystander's packets. */
const LAG_NOTE_MS = 20;

const win = (w: Window): string =>
  `p50 ${ms(w.p50Us, w.saturated)} p99 ${ms(w.p99Us, w.saturated)}, ${fmt(w.received)}/${fmt(w.sent)} packets (loss ${w.lossPercent.toFixed(2)} %)${w.generatorLagMs > LAG_NOTE_MS ? `, the bystander's sender lagged ${w.generatorLagMs.toFixed(0)} ms (busy host)` : ''}`;

const use = (u: ServerUse): string =>
  `${u.cpuS.toFixed(2)} s CPU in ${u.wallS.toFixed(1)} s (${(u.cpuS / u.wallS).toFixed(2)} cores)`;

export function rowText(r: AttackRow): string {
  const lines = [
    `attack ${r.id} — ${r.name}: ${r.describe}`,
    `  sent: ${r.outcome.sent}`,
    `  bystander: baseline ${win(r.baseline)}`,
    `             attacked ${win(r.window)}`,
    `             added p50 ${added(r.addedP50Us, ceiling(r.window.p50Us))}, p99 ${added(r.addedP99Us, ceiling(r.window.p99WithLossUs))}`,
    `  server: ${use(r.server)}, RSS ${r.server.rssMiB.toFixed(0)} MiB (peak ${r.peakRssMiB.toFixed(0)}); baseline ${use(r.baselineServer)}, RSS ${r.baselineServer.rssMiB.toFixed(0)} MiB`,
    `  server did: ${
      !r.metricsRead
        ? '/metrics did not answer'
        : r.defences.length === 0
          ? 'nothing a counter shows (no drop, refusal, error or close counted)'
          : r.defences
              .slice(0, 8)
              .map(([k, v]) => `${k} +${fmt(v)}`)
              .join('; ')
    }`,
  ];
  if (r.otherCounters.length > 0) {
    lines.push(`  other counters: ${r.otherCounters.map(([k, v]) => `${k} +${fmt(v)}`).join('; ')}`);
  }
  if (r.gauges.length > 0) {
    lines.push(`  gauges: ${r.gauges.map(([k, a, b]) => `${k} ${fmt(a)} → ${fmt(b)}`).join('; ')}`);
  }
  lines.push(
    `  log: ${
      r.log === undefined
        ? 'not read (the server did not answer in time)'
        : `+${fmt(r.log.lines)} lines, ${bytes(r.log.bytes)}${r.log.top.length > 0 ? ` (${r.log.top.map(([k, v]) => `"${k}" ×${fmt(v)}`).join(', ')})` : ''}`
    }`,
    `  probes during the attack: ${probeText(r.probe)}`,
    `  attack's verdict: ${r.outcome.contained === undefined ? '(a load: none of its own)' : r.outcome.contained ? 'contained' : 'NOT contained'} — ${r.outcome.verdict}`,
    `  goal: bystander's added p99 < ${GOAL_ADDED_P99_US / 1000} ms → ${r.goalMet ? 'met' : 'NOT MET'}`,
    `  → ${r.contained ? 'CONTAINED' : `NOT CONTAINED (${r.because.join('; ')})`}`,
  );
  return lines.join('\n');
}

export function summaryTable(rows: readonly AttackRow[]): string {
  const header = [
    'attack',
    'base p50/p99',
    'added p50',
    'added p99',
    'loss %',
    'server cores',
    'server did',
    'goal',
    'contained',
  ];
  const body = rows.map((r) => [
    `${r.id} ${r.name}`,
    `${ms(r.baseline.p50Us)}/${ms(r.baseline.p99Us)}`,
    added(r.addedP50Us, ceiling(r.window.p50Us)),
    added(r.addedP99Us, ceiling(r.window.p99WithLossUs)),
    r.window.lossPercent.toFixed(2),
    `${(r.server.cpuS / r.server.wallS).toFixed(2)} (${(r.baselineServer.cpuS / r.baselineServer.wallS).toFixed(2)})`,
    r.defences.length === 0 ? '–' : `${r.defences.length} counters`,
    r.goalMet ? 'met' : 'NOT MET',
    r.contained ? 'yes' : 'NO',
  ]);
  return table([header, ...body]);
}
