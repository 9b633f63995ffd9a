/**
 * What makes an SFU benchmark run fail: a target that did not start or whose step threw
 * (an HTTP error from WHIP/WHEP or the Janus API, a PeerConnection that never connected),
 * a target that ran no step, or a step that measured nothing (no packet forwarded, no
 * latency sample, CPU per packet not a number). Loss above 0.5 % is not among them: it
 * ends a target's steps and the report shows it; the load's ceiling is what it measures.
 */
import type { StepRow } from './step.ts';

/** Problems of one target's run: its error, if any, and whether any of its steps ran. */
export function targetProblems(name: string, error: string | undefined, rows: readonly StepRow[]): string[] {
  if (error !== undefined) return [`${name}: ${error}`];
  if (!rows.some((r) => r.target === name)) return [`${name}: no step ran`];
  return [];
}

/** Problems of one measured step (the `direct` floor has no SFU, so no SFU CPU). */
export function stepProblems(row: StepRow): string[] {
  const label = `${row.target} ${row.publishers}×${row.subscribersEach}`;
  if (!(row.forwardedPerSecond > 0))
    return [`${label}: no packet was forwarded (${row.generatorLimit || 'no reason known'})`];
  const out: string[] = [];
  if (!Number.isFinite(row.latencyP50Us)) out.push(`${label}: no packet with a latency sample arrived`);
  if (row.target !== 'direct' && !(Number.isFinite(row.forwardedPerCpuSecond) && row.sfuCores > 0)) {
    out.push(
      `${label}: the SFU's CPU per packet could not be computed (SFU CPU over the window: ${row.sfuCores} cores)`,
    );
  }
  return out;
}

/** The closing block of a failed run. */
export function failedText(problems: readonly string[]): string {
  return `FAILED: the run did not measure what it should (the figures above do not stand):\n${problems.map((p) => `  - ${p}`).join('\n')}`;
}
