/**
 * Attack 7 (issue 10, hole 7): data fan-out. 30 participants join one room and each sends
 * 21 broadcasts of 48 KiB (the signaling `data` message without `to`) at once — within each
 * sender's own 1 MiB burst budget — so the server must push ~30 MiB at every member. Two
 * members are not attackers: one reads normally, one has paused its socket (a slow reader:
 * a phone on a bad link); the paused one resumes reading after the window. Contained:
 * neither non-attacker was cut (the attackers may be).
 */
import { sleep, sleepUntil } from '../pace.ts';
import { ATTACKER_ADDRESS, NEWCOMER_ADDRESS } from '../server.ts';
import { counts, SignalClient } from '../signal-client.ts';
import type { Attack, AttackContext, AttackOutcome } from './types.ts';

const ROOM = 'data-fanout';

export const dataFanout: Attack = {
  id: 7,
  name: 'data fan-out',
  describe: (s) =>
    `${s.fanoutSenders} participants each send ${s.fanoutMessages} × ${Math.round(s.fanoutPayload / 1024)} KiB broadcasts at once; one reader paused, one reading`,
  async run(ctx: AttackContext): Promise<AttackOutcome> {
    const s = ctx.strengths;
    const attackers: SignalClient[] = [];
    /** Attackers' joins the server refused (a per-source limit, say): its defence, not a failure of the bench. */
    const refusedJoins = new Map<string, number>();
    let reader: SignalClient | undefined;
    let paused: SignalClient | undefined;
    try {
      reader = await SignalClient.join(ctx.server.wsUrl, ROOM, 'reader', 5000, NEWCOMER_ADDRESS);
      paused = await SignalClient.join(ctx.server.wsUrl, ROOM, 'paused-reader', 5000, NEWCOMER_ADDRESS);
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      for (const c of [reader, paused]) c?.terminate();
      return {
        sent: 'set-up failed',
        contained: undefined,
        verdict: text,
        details: {},
        problems: [`attack 7: ${text}`],
      };
    }
    for (let i = 0; i < s.fanoutSenders && Date.now() < ctx.endsAt; i++) {
      try {
        attackers.push(await SignalClient.join(ctx.server.wsUrl, ROOM, `attacker-${i}`, 5000, ATTACKER_ADDRESS));
      } catch (err) {
        const text = err instanceof Error ? err.message : String(err);
        refusedJoins.set(text, (refusedJoins.get(text) ?? 0) + 1);
      }
    }
    // A paused socket: the kernel buffers fill, then the server's send buffer grows.
    paused.ws.pause();
    const payload = 'x'.repeat(s.fanoutPayload);
    const frame = JSON.stringify({ type: 'data', payload });
    const t0 = performance.now();
    for (let m = 0; m < s.fanoutMessages; m++) for (const a of attackers) if (a.open) a.ws.send(frame);
    const sentBytes = frame.length * s.fanoutMessages * attackers.length;
    const sendMs = performance.now() - t0;
    await sleepUntil(ctx.endsAt);
    await ctx.released;
    paused.ws.resume();
    await sleep(500);
    const cut = (c: SignalClient): boolean => c.closeCode !== undefined;
    const attackersCut = attackers.filter(cut);
    const expected = s.fanoutMessages * attackers.length;
    const detailsOf = (c: SignalClient): Record<string, unknown> => ({
      received: c.received.get('data') ?? 0,
      bytesIn: c.bytesIn,
      closeCode: c.closeCode,
      errors: counts(c.errors),
    });
    const attackerErrors = new Map<string, number>();
    for (const a of attackers) for (const [k, v] of a.errors) attackerErrors.set(k, (attackerErrors.get(k) ?? 0) + v);
    const outcome: AttackOutcome = {
      sent: `${attackers.length} senders × ${s.fanoutMessages} × ${(frame.length / 1024).toFixed(0)} KiB = ${(sentBytes / 1048576).toFixed(1)} MiB queued in ${sendMs.toFixed(0)} ms`,
      contained: !cut(reader) && !cut(paused),
      verdict: `reading member: ${cut(reader) ? `CUT (${reader.closeCode})` : 'kept'}, ${reader.received.get('data') ?? 0}/${expected} broadcasts; paused member: ${cut(paused) ? `CUT (${paused.closeCode})` : 'kept'}, ${paused.received.get('data') ?? 0}/${expected}; attackers cut: ${attackersCut.length}/${attackers.length}${refusedJoins.size > 0 ? `, attackers' joins refused: ${JSON.stringify(counts(refusedJoins))}` : ''}${attackerErrors.size > 0 ? `, attackers' errors ${JSON.stringify(counts(attackerErrors))}` : ''}`,
      details: {
        reader: detailsOf(reader),
        paused: detailsOf(paused),
        attackersCut: attackersCut.length,
        attackerCloseCodes: attackersCut.map((a) => a.closeCode),
        attackerErrors: counts(attackerErrors),
        refusedJoins: counts(refusedJoins),
      },
      problems: [],
    };
    for (const c of [reader, paused, ...attackers]) c.terminate();
    return outcome;
  },
};
