/**
 * What makes a bench/abuse run fail (exit 1): an attack that could not set up, a bystander
 * whose baseline received nothing (then no "added" latency means anything), or a server
 * CPU reading that is not a number. An attack that is not contained is what the bench
 * measures, not a failure; so is a bystander that receives nothing while attacked.
 */
import { failedText } from '../sfu/checks.ts';
import type { AttackRow } from './report.ts';

export { failedText };

export function rowProblems(r: AttackRow): string[] {
  const label = `attack ${r.id} (${r.name})`;
  const out = [...r.outcome.problems];
  if (r.baseline.received === 0) out.push(`${label}: the bystander received nothing in its baseline window`);
  else if (!Number.isFinite(r.baseline.p99WithLossUs)) {
    out.push(`${label}: the bystander lost over 1 % in its baseline window (${r.baseline.lossPercent.toFixed(2)} %)`);
  }
  if (!Number.isFinite(r.server.cpuS) || !Number.isFinite(r.baselineServer.cpuS)) {
    out.push(`${label}: the server's CPU could not be read`);
  }
  return out;
}
