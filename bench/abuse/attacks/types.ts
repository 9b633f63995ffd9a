/**
 * What an attack of bench/abuse is: a function that attacks one running itda server for a
 * bounded time while the bench measures a bystander call, and says what it saw. Each
 * attack lives in its own file beside this one; index.ts lists them by their number in
 * issue 10.
 */
import type { ServerInfo } from '../server.ts';

/** How hard the attacks hit: the measured strengths by default, tiny ones for the smoke test. */
export interface Strengths {
  /** 2: SRTCP datagrams per second, transport-cc packets per datagram, statuses each claims. */
  twccDatagramsPerSecond: number;
  twccPacketsPerDatagram: number;
  twccStatuses: number;
  /** 3: `publish` messages per second, sendonly m-lines per offer (about 820 bytes each). */
  publishPerSecond: number;
  publishMLines: number;
  /** 4: idle connections to the SFU's ICE-TCP port, and as many to TURN over TCP. */
  tcpConnections: number;
  /** 5: join/leave cycles, relays allocated per cycle. */
  turnCycles: number;
  turnAllocationsPerCycle: number;
  /** 7: participants, broadcasts each, payload characters each. */
  fanoutSenders: number;
  fanoutMessages: number;
  fanoutPayload: number;
}

export interface AttackContext {
  server: ServerInfo;
  strengths: Strengths;
  /** The attack sends nothing more after this time (`Date.now()` ms). */
  endsAt: number;
  /**
   * Resolves when the bench has probed the server (after `endsAt`): an attack holds what it
   * took (connections, allocations) until then, and only then cleans up.
   */
  released: Promise<void>;
  log: (line: string) => void;
}

/**
 * What the attack saw. `contained`: the attack-specific verdict (true: the server refused
 * or cut the attacker, or the attack did not get what it wanted; false: it did; undefined:
 * a load attack judged only by the bystander's latency).
 */
export interface AttackOutcome {
  /** What was sent, one line (e.g. "2,990 SRTCP datagrams, 2.87 MB"). */
  sent: string;
  contained: boolean | undefined;
  /** Why, one line: what the server answered. */
  verdict: string;
  /** Counts and answers, for the JSON. */
  details: Record<string, unknown>;
  /** Problems of the attack itself (it could not set up): the run fails with these. */
  problems: string[];
}

export interface Attack {
  /** Its number in issue 10. */
  id: number;
  name: string;
  /** One line: the attack at these strengths. */
  describe(s: Strengths): string;
  run(ctx: AttackContext): Promise<AttackOutcome>;
}

/** An attack of issue 10 that is not a load on the server: listed, not run. */
export interface SkippedAttack {
  id: number;
  name: string;
  why: string;
}
