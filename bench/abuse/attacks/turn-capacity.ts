/**
 * Attack 5 (issue 10, hole 5): TURN capacity taken by one anonymous user. 99 join/leave
 * cycles over the signaling WebSocket, each taking the TURN credentials from `joined` and
 * allocating 10 relays with them (the per-user quota), then leaving; the allocations stay.
 * Then a newcomer from another address (server.ts: so that a per-source quota does not
 * count it with the attacker) joins and allocates one relay. Contained: the
 * newcomer got its relay. The server's relay range is 880 ports (server.ts says why).
 *
 * Not a load, and slower than the bystander's window: the server answers at most 50
 * unauthenticated requests a second per source (every Allocate's first, credential-less
 * try gets a 401), so 990 allocations from one address take about 20 s (22 s in the
 * review). The cycles run until their count or `CYCLES_MAX_MS` after the start, whichever
 * comes first; the bystander measures the first `--duration-s` of them.
 */
import { TurnClient, TurnClientError } from '@itda/turn/client';
import { sleepUntil } from '../pace.ts';
import { ATTACKER_ADDRESS, type HostPort, NEWCOMER_ADDRESS } from '../server.ts';
import { SignalClient, type TurnCredentials } from '../signal-client.ts';
import type { Attack, AttackContext, AttackOutcome } from './types.ts';

/** The cycles' own time bound. */
const CYCLES_MAX_MS = 45_000;

function code(err: unknown): string {
  if (err instanceof TurnClientError) return err.stunCode === undefined ? err.code : String(err.stunCode);
  return err instanceof Error ? err.message : String(err);
}

async function allocateFrom(
  turn: HostPort,
  creds: TurnCredentials,
  localAddress: string,
  clients: TurnClient[],
): Promise<string> {
  let client: TurnClient | undefined;
  try {
    client = await TurnClient.connect(
      { transport: 'udp', host: turn.host, port: turn.port, localAddress, connectTimeout: 3000 },
      { ...creds, autoRefresh: false, closeTimeout: 300 },
    );
    clients.push(client);
    await client.allocate();
    return 'success';
  } catch (err) {
    return code(err);
  }
}

export const turnCapacity: Attack = {
  id: 5,
  name: 'TURN capacity',
  describe: (s) =>
    `${s.turnCycles} join/leave cycles, each allocating ${s.turnAllocationsPerCycle} relays with the TURN credentials from joined; then a newcomer allocates one`,
  async run(ctx: AttackContext): Promise<AttackOutcome> {
    const s = ctx.strengths;
    const turn = ctx.server.turnUdp;
    if (turn === undefined) {
      return {
        sent: 'nothing',
        contained: undefined,
        verdict: 'no TURN/UDP listener',
        details: {},
        problems: ['attack 5: the server has no TURN/UDP listener'],
      };
    }
    const clients: TurnClient[] = [];
    const results = new Map<string, number>();
    const joinErrors = new Map<string, number>();
    let cycles = 0;
    let newcomer = 'not tried';
    const t0 = performance.now();
    const cyclesEnd = Math.max(ctx.endsAt, Date.now() + CYCLES_MAX_MS);
    try {
      for (let i = 0; i < s.turnCycles && Date.now() < cyclesEnd; i++) {
        cycles++;
        let signal: SignalClient;
        try {
          signal = await SignalClient.join(ctx.server.wsUrl, 'turn-capacity', `attacker-${i}`, 3000, ATTACKER_ADDRESS);
        } catch (err) {
          const c = code(err);
          joinErrors.set(c, (joinErrors.get(c) ?? 0) + 1);
          continue;
        }
        const creds = signal.turnCredentials();
        if (creds !== undefined) {
          const answers = await Promise.all(
            Array.from({ length: s.turnAllocationsPerCycle }, () =>
              allocateFrom(turn, creds, ATTACKER_ADDRESS, clients),
            ),
          );
          for (const a of answers) results.set(a, (results.get(a) ?? 0) + 1);
        } else joinErrors.set('no TURN credentials', (joinErrors.get('no TURN credentials') ?? 0) + 1);
        await signal.leave(1000);
      }
      const cyclesMs = performance.now() - t0;
      // The newcomer: a fresh join, one allocation from another address.
      try {
        const signal = await SignalClient.join(ctx.server.wsUrl, 'newcomer', 'newcomer', 3000, NEWCOMER_ADDRESS);
        const creds = signal.turnCredentials();
        newcomer =
          creds === undefined
            ? 'no TURN credentials in joined'
            : await allocateFrom(turn, creds, NEWCOMER_ADDRESS, clients);
        await signal.leave(1000);
      } catch (err) {
        newcomer = `join failed: ${code(err)}`;
      }
      await sleepUntil(ctx.endsAt);
      await ctx.released;
      const held = results.get('success') ?? 0;
      return {
        sent: `${cycles} join/leave cycles in ${(cyclesMs / 1000).toFixed(1)} s, ${[...results.values()].reduce((a, b) => a + b, 0)} Allocate attempts`,
        contained: newcomer === 'success',
        verdict: `attacker held ${held} allocations (answers ${JSON.stringify(Object.fromEntries(results))}${joinErrors.size > 0 ? `, join errors ${JSON.stringify(Object.fromEntries(joinErrors))}` : ''}); newcomer's Allocate → ${newcomer}`,
        details: {
          cycles,
          cyclesMs,
          results: Object.fromEntries(results),
          joinErrors: Object.fromEntries(joinErrors),
          newcomer,
        },
        problems: [],
      };
    } finally {
      await Promise.all(clients.map((c) => c.close().catch(() => {})));
    }
  },
};
