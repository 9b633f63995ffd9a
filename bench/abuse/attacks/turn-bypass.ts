/**
 * Attack 1 (issue 10, hole 1): the TURN peer policy bypass. Not a load: does it work?
 *
 * With the credentials a room join hands out, over UDP with itda's own TURN client:
 * Allocate (relayed address R); CreatePermission(R.ip), which the policy should refuse
 * (403); ChannelBind(0x4000, R) — the "a live relayed address of this server is a valid
 * peer" exception — which should install a permission for R only (RFC 8656 §12: a
 * ChannelBind installs a permission for the peer's IP, so the exception must not apply to
 * the IP as a whole); then Send indications (RFC 8656 §11) to R.ip:P, another port of that
 * IP, where a UDP service of ours answers every datagram. Contained: nothing reached P and
 * nothing came back.
 */
import { createSocket } from 'node:dgram';
import { TurnClient, TurnClientError } from '@itda/turn/client';
import { sleep, sleepUntil } from '../pace.ts';
import { ATTACKER_ADDRESS } from '../server.ts';
import { SignalClient } from '../signal-client.ts';
import type { Attack, AttackContext, AttackOutcome } from './types.ts';

const SENDS = 5;

function answer(err: unknown): string {
  if (err instanceof TurnClientError) return err.stunCode === undefined ? err.code : String(err.stunCode);
  return err instanceof Error ? err.message : String(err);
}

async function step(fn: () => Promise<unknown>): Promise<string> {
  try {
    await fn();
    return 'success';
  } catch (err) {
    return answer(err);
  }
}

export const turnBypass: Attack = {
  id: 1,
  name: 'TURN peer-policy bypass',
  describe: () =>
    `Allocate; CreatePermission(relay IP); ChannelBind(0x4000, the relay's own address); ${SENDS} Send indications to another port of the relay's IP, where a UDP echo service listens`,
  async run(ctx: AttackContext): Promise<AttackOutcome> {
    const turn = ctx.server.turnUdp;
    if (turn === undefined) {
      return {
        sent: 'nothing',
        contained: undefined,
        verdict: 'no TURN/UDP listener',
        details: {},
        problems: ['attack 1: the server has no TURN/UDP listener'],
      };
    }
    // The service behind the relay's IP: it answers every datagram, so a delivered Send also tests the return path.
    const echo = createSocket('udp4');
    let echoed = 0;
    echo.on('message', (msg, rinfo) => {
      echoed++;
      echo.send(msg, rinfo.port, rinfo.address);
    });
    echo.on('error', () => {});
    const relayIp = ctx.server.relayIp ?? turn.host;
    await new Promise<void>((r) => echo.bind(0, relayIp, () => r()));
    const echoPort = echo.address().port;
    let signal: SignalClient | undefined;
    let client: TurnClient | undefined;
    const details: Record<string, unknown> = { relayIp, echoPort };
    let replies = 0;
    try {
      signal = await SignalClient.join(ctx.server.wsUrl, 'turn-bypass', 'attacker', 5000, ATTACKER_ADDRESS);
      const creds = signal.turnCredentials();
      if (creds === undefined) throw new Error('joined carries no TURN credentials');
      client = await TurnClient.connect(
        { transport: 'udp', host: turn.host, port: turn.port, localAddress: ATTACKER_ADDRESS },
        { ...creds, autoRefresh: false, closeTimeout: 500 },
      );
      client.on('data', (_data, peer) => {
        if (peer.port === echoPort) replies++;
      });
      const { relayed } = await client.allocate();
      details.relayed = `${relayed.address}:${relayed.port}`;
      const c = client;
      details.createPermission = await step(() => c.createPermission([relayed.address]));
      details.channelBind = await step(() => c.channelBind(relayed, 0x4000));
      const target = { family: relayed.family, address: relayed.address, port: echoPort };
      for (let i = 0; i < SENDS; i++) {
        try {
          c.send(target, Buffer.from(`bench/abuse probe ${i}`));
        } catch (err) {
          details.send = answer(err);
        }
        await sleep(50);
      }
      await sleep(500);
      details.delivered = echoed;
      details.repliesBack = replies;
      await sleepUntil(ctx.endsAt);
      await ctx.released;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return {
        sent: 'set-up failed',
        contained: undefined,
        verdict: message,
        details,
        problems: [`attack 1: ${message}`],
      };
    } finally {
      await client?.close().catch(() => {});
      signal?.terminate();
      echo.close();
    }
    const delivered = echoed > 0;
    return {
      sent: `${SENDS} Send indications to ${relayIp}:${echoPort}`,
      contained: !delivered && replies === 0,
      verdict: `CreatePermission(${relayIp}) → ${String(details.createPermission)}, ChannelBind(${String(details.relayed)}) → ${String(details.channelBind)}; ${echoed} of ${SENDS} delivered to ${relayIp}:${echoPort}, ${replies} replies came back${delivered ? ' — the bypass WORKS' : ' — refused'}`,
      details,
      problems: [],
    };
  },
};
