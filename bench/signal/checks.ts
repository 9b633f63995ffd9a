/**
 * What makes a run fail: the server under test answered the load with errors, lost part
 * of it, or a figure the report rests on was never measured. A run that measured nothing
 * must say so and exit non-zero rather than print `NaN×` (issue 18: every relay was
 * answered `not_p2p_room` and the goal line read `NaN× → NOT MET`, with exit code 0).
 */
import type { PhaseResult, TargetResult } from './measure.ts';

function errorList(errors: Record<string, number>): string {
  return Object.entries(errors)
    .map(([code, n]) => `${code} × ${n.toLocaleString('en-US')}`)
    .join(', ');
}

function phaseProblems(label: string, phase: PhaseResult): string[] {
  const out: string[] = [];
  if (Object.keys(phase.errors).length > 0)
    out.push(`${label}: the server answered with errors: ${errorList(phase.errors)}`);
  if (phase.sent === 0) out.push(`${label}: no message was sent (no participant had another in its room)`);
  else if (phase.received === 0) out.push(`${label}: relayed 0 of ${phase.sent.toLocaleString('en-US')} messages`);
  else if (phase.received < phase.sent) {
    out.push(
      `${label}: relayed ${phase.received.toLocaleString('en-US')} of ${phase.sent.toLocaleString('en-US')} messages (the rest never arrived, over TCP on loopback)`,
    );
  }
  if (phase.received > 0 && !(Number.isFinite(phase.perSecond) && Number.isFinite(phase.cpuPerMessage))) {
    out.push(`${label}: msgs/s or CPU per message could not be computed`);
  }
  return out;
}

/** Everything wrong with one target's run; empty when it measured what it should. */
export function targetProblems(r: TargetResult): string[] {
  const label = `${r.target} ${r.connections.toLocaleString('en-US')}`;
  const out: string[] = [];
  if (r.joined < r.connections) {
    out.push(
      `${label}: ${(r.connections - r.joined).toLocaleString('en-US')} of ${r.connections} participants did not join`,
    );
  }
  if (Object.keys(r.connectErrors).length > 0) {
    out.push(`${label}: errors while connecting and joining: ${errorList(r.connectErrors)}`);
  }
  out.push(
    ...phaseProblems(`${label}, fixed rate`, r.latency),
    ...phaseProblems(`${label}, closed loop`, r.throughput),
  );
  return out;
}

/** The goal's ratio must be a number: both servers' CPU per relayed message measured and non-zero. */
export function ratioProblems(b: TargetResult, i: TargetResult): string[] {
  const ratio = i.throughput.cpuPerMessage / b.throughput.cpuPerMessage;
  if (Number.isFinite(ratio) && ratio > 0) return [];
  return [
    `${i.connections.toLocaleString('en-US')} connections: itda/baseline CPU per relayed message is ${ratio} (itda ${i.throughput.cpuPerMessage} µs, baseline ${b.throughput.cpuPerMessage} µs)`,
  ];
}
