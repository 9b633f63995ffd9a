/**
 * The attacks of issue 10 by number, the strengths they run at, and the two that are not
 * a load on the server (listed in the output as skipped).
 */
import { dataFanout } from './data-fanout.ts';
import { idleTcp } from './idle-tcp.ts';
import { publishFlood } from './publish-flood.ts';
import { turnBypass } from './turn-bypass.ts';
import { turnCapacity } from './turn-capacity.ts';
import { twccBomb } from './twcc-bomb.ts';
import type { Attack, SkippedAttack, Strengths } from './types.ts';

export const ATTACKS: readonly Attack[] = [turnBypass, twccBomb, publishFlood, idleTcp, turnCapacity, dataFanout];

export const SKIPPED: readonly SkippedAttack[] = [
  {
    id: 6,
    name: 'script in itda’s origin through a shared file',
    why: 'a browser attack on the web app (a received .html opened in a tab), no load on the server: an end-to-end test, not this bench',
  },
  {
    id: 8,
    name: 'names',
    why: 'a question of which name wins (token vs update, WHIP ?name, JWT crit), no load on the server',
  },
];

/** The strengths the review measured (issue 10). */
export const ISSUE_STRENGTHS: Strengths = {
  twccDatagramsPerSecond: 300,
  twccPacketsPerDatagram: 40,
  twccStatuses: 8192,
  publishPerSecond: 48,
  publishMLines: 200,
  tcpConnections: 2000,
  turnCycles: 99,
  turnAllocationsPerCycle: 10,
  fanoutSenders: 30,
  fanoutMessages: 21,
  fanoutPayload: 48 * 1024,
};

/** The smoke test's: every code path, almost no load. */
export const SMOKE_STRENGTHS: Strengths = {
  twccDatagramsPerSecond: 20,
  twccPacketsPerDatagram: 2,
  twccStatuses: 8192,
  publishPerSecond: 2,
  publishMLines: 20,
  tcpConnections: 20,
  turnCycles: 3,
  turnAllocationsPerCycle: 2,
  fanoutSenders: 3,
  fanoutMessages: 2,
  fanoutPayload: 4096,
};
