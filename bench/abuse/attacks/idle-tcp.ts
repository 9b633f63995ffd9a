/**
 * Attack 4 (issue 10, hole 4): idle TCP connections. N connections to the SFU's ICE-TCP
 * port, each sending `ff ff` — an RFC 4571 frame header announcing 65,535 bytes that never
 * come — and N to TURN over TCP sending nothing; all held until the bench has probed the
 * server (/healthz, a newcomer's join: probe.ts). In the review, 19,980 of them took the
 * process to its descriptor limit; here N is modest (2,000 each by default), so what this
 * measures is whether the server notices: contained when it closed or refused some of
 * them (an idle or handshake timeout, a per-source or total cap) and the probes passed.
 */
import { connect, type Socket } from 'node:net';
import { poolUntil, sleepUntil } from '../pace.ts';
import { ATTACKER_ADDRESS, type HostPort } from '../server.ts';
import type { Attack, AttackContext, AttackOutcome } from './types.ts';

interface Tally {
  opened: number;
  /** connect() failed (refused, reset, timeout). */
  failed: number;
  /** Open, then closed by the server before we let go. */
  cut: number;
  errors: Map<string, number>;
}

function hold(
  to: HostPort,
  first: Buffer | undefined,
  sockets: Socket[],
  tally: Tally,
  holding: () => boolean,
): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ host: to.host, port: to.port, localAddress: ATTACKER_ADDRESS });
    let open = false;
    const timer = setTimeout(() => s.destroy(new Error('connect timeout')), 5000);
    s.on('connect', () => {
      clearTimeout(timer);
      open = true;
      tally.opened++;
      sockets.push(s);
      if (first !== undefined) s.write(first);
      resolve();
    });
    s.on('error', (err: NodeJS.ErrnoException) => {
      const code = err.code ?? err.message;
      tally.errors.set(code, (tally.errors.get(code) ?? 0) + 1);
    });
    s.on('close', () => {
      clearTimeout(timer);
      if (!open) {
        tally.failed++;
        resolve();
      } else if (holding()) tally.cut++;
    });
    s.on('data', () => {}); // whatever the server says, read it
  });
}

const newTally = (): Tally => ({ opened: 0, failed: 0, cut: 0, errors: new Map() });
const tallyText = (t: Tally): string =>
  `${t.opened} opened, ${t.failed} refused/failed${t.errors.size > 0 ? ` (${[...t.errors].map(([k, v]) => `${k} ${v}`).join(', ')})` : ''}, ${t.cut} closed by the server`;

export const idleTcp: Attack = {
  id: 4,
  name: 'idle TCP connections',
  describe: (s) =>
    `${s.tcpConnections.toLocaleString('en-US')} connections to the ICE-TCP media port each sending ff ff, and ${s.tcpConnections.toLocaleString('en-US')} to TURN/TCP, all held idle`,
  async run(ctx: AttackContext): Promise<AttackOutcome> {
    const n = ctx.strengths.tcpConnections;
    const media = ctx.server.rtcTcpPort === undefined ? undefined : { host: '127.0.0.1', port: ctx.server.rtcTcpPort };
    const turn = ctx.server.turnTcp;
    const problems: string[] = [];
    if (media === undefined) problems.push('attack 4: the SFU has no ICE-TCP port');
    if (turn === undefined) problems.push('attack 4: the server has no TURN/TCP listener');
    const sockets: Socket[] = [];
    let holding = true;
    const mediaTally = newTally();
    const turnTally = newTally();
    const ff = Buffer.from([0xff, 0xff]);
    const jobs: { to: HostPort; first: Buffer | undefined; tally: Tally }[] = [];
    for (let i = 0; i < n; i++) {
      if (media !== undefined) jobs.push({ to: media, first: ff, tally: mediaTally });
      if (turn !== undefined) jobs.push({ to: turn, first: undefined, tally: turnTally });
    }
    const t0 = performance.now();
    await poolUntil(jobs, 200, ctx.endsAt, (j) => hold(j.to, j.first, sockets, j.tally, () => holding));
    const openMs = performance.now() - t0;
    await sleepUntil(ctx.endsAt);
    await ctx.released;
    holding = false;
    for (const s of sockets) s.destroy();
    const cutOrRefused = mediaTally.cut + mediaTally.failed + turnTally.cut + turnTally.failed;
    return {
      sent: `${(mediaTally.opened + turnTally.opened).toLocaleString('en-US')} connections opened in ${(openMs / 1000).toFixed(1)} s`,
      contained: problems.length > 0 ? undefined : cutOrRefused > 0,
      verdict: `media port: ${tallyText(mediaTally)}; TURN/TCP: ${tallyText(turnTally)}`,
      details: {
        media: { ...mediaTally, errors: Object.fromEntries(mediaTally.errors) },
        turn: { ...turnTally, errors: Object.fromEntries(turnTally.errors) },
        openMs,
      },
      problems,
    };
  },
};
