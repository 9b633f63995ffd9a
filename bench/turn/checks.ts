/**
 * What makes a TURN benchmark run fail: a server answered the load with errors (failed
 * allocations, relay set-ups that did not complete), or a phase measured nothing (no
 * Binding answered, no packet back through the relay, a figure that is not a number).
 * Loss at a high rate is not among them: it is what the relay table measures.
 */
import type { RelayRow, TargetSummary } from './report.ts';

/** Binding and allocation problems of one target (`allocations`: false for the floor, which does not allocate). */
export function summaryProblems(name: string, s: TargetSummary, allocations: boolean): string[] {
  const out: string[] = [];
  if (!(s.binding.perSecond > 0 && Number.isFinite(s.binding.cpuUsPerRequest))) {
    out.push(`${name}: STUN Binding: no request answered`);
  }
  if (allocations) {
    if (s.allocations.failures > 0) {
      out.push(`${name}: ${s.allocations.failures} allocations failed (first: ${s.allocations.firstError ?? '?'})`);
    }
    if (!(s.allocations.perSecond > 0 && Number.isFinite(s.allocations.cpuUsPerAllocation))) {
      out.push(`${name}: no allocation succeeded`);
    }
  }
  return out;
}

/** A relay measurement that got nothing back, or whose figures are not numbers. */
export function relayProblems(row: RelayRow): string[] {
  const label = `${row.target} ${row.mode} at ${row.rate.toLocaleString('en-US')} pkt/s`;
  if (row.sent === 0) return [`${label}: nothing was sent`];
  if (row.received === 0)
    return [`${label}: 0 of ${row.sent.toLocaleString('en-US')} packets came back through the relay`];
  if (!(Number.isFinite(row.relayedPerSecond) && Number.isFinite(row.cpuUsPerPacket))) {
    return [`${label}: packets/s or CPU per packet could not be computed`];
  }
  return [];
}

/** The relay set-up of `clients` allocations (channel or permission each) must succeed for all of them. */
export function setupProblems(name: string, mode: string, failures: number, firstError: string | undefined): string[] {
  return failures === 0
    ? []
    : [`${name} ${mode}: ${failures} relay clients failed to set up (first: ${firstError ?? '?'})`];
}

/** The closing block of a failed run. */
export function failedText(problems: readonly string[]): string {
  return `FAILED: the run did not measure what it should (the figures above do not stand):\n${problems.map((p) => `  - ${p}`).join('\n')}`;
}
