/**
 * Attack 3 (issue 10, hole 3): `publish` with 200 m-lines. One participant joins a room of
 * its own over the signaling WebSocket and sends `publish` with a ~160 KB offer of 200
 * sendonly m-lines (many-mlines.ts) 48 times a second — under the 50 messages/s rate limit,
 * without waiting for answers. Contained (the attack-specific part): the server refused the
 * offers with an error code, rate-limited them, or cut the connection, rather than answering
 * each with `published`.
 */
import { paced, sleepUntil } from '../pace.ts';
import { ATTACKER_ADDRESS } from '../server.ts';
import { counts, SignalClient } from '../signal-client.ts';
import { manyMLinesOffer } from './many-mlines.ts';
import type { Attack, AttackContext, AttackOutcome } from './types.ts';

/** The attacker's own send buffer: past this, a send is skipped (the server is not reading). */
const MAX_BUFFERED = 32 * 1024 * 1024;
/** `tracks` may list at most 64 m-lines (protocol schema). */
const MAX_TRACKS = 64;

export const publishFlood: Attack = {
  id: 3,
  name: 'publish with 200 m-lines',
  describe: (s) =>
    `one WebSocket sends publish with a ${Math.round(manyMLinesOffer(s.publishMLines).sdp.length / 1000)} KB SDP of ${s.publishMLines} sendonly m-lines ${s.publishPerSecond}×/s`,
  async run(ctx: AttackContext): Promise<AttackOutcome> {
    const s = ctx.strengths;
    const { sdp, mids } = manyMLinesOffer(s.publishMLines);
    const message = JSON.stringify({
      type: 'publish',
      sdp,
      tracks: mids.slice(0, MAX_TRACKS).map((mid) => ({ mid, source: 'microphone' })),
    });
    let client: SignalClient | undefined;
    let sent = 0;
    let skipped = 0;
    try {
      client = await SignalClient.join(ctx.server.wsUrl, 'publish-flood', 'attacker', 5000, ATTACKER_ADDRESS);
      const c = client;
      sent = await paced(s.publishPerSecond, ctx.endsAt, () => {
        if (!c.open) return false;
        if (c.ws.bufferedAmount > MAX_BUFFERED) {
          skipped++;
          return true;
        }
        c.ws.send(message);
        return true;
      });
      sent -= skipped;
      await sleepUntil(ctx.endsAt);
      await ctx.released;
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      client?.terminate();
      return {
        sent: `${sent} publish`,
        contained: undefined,
        verdict: `set-up failed: ${text}`,
        details: {},
        problems: [`attack 3: ${text}`],
      };
    }
    const published = client.received.get('published') ?? 0;
    const errors = counts(client.errors);
    const refused = [...client.errors.values()].reduce((a, b) => a + b, 0);
    const cut = client.closeCode !== undefined;
    client.terminate();
    return {
      sent: `${sent.toLocaleString('en-US')} publish messages of ${(message.length / 1000).toFixed(0)} KB (${((sent * message.length) / 1e6).toFixed(1)} MB)${skipped > 0 ? `, ${skipped} skipped (send buffer full)` : ''}`,
      contained: refused > 0 || cut,
      verdict: `${published} answered with published, errors ${JSON.stringify(errors)}${cut ? `, connection closed by the server (${client.closeCode})` : ', connection left open'}`,
      details: { sent, skipped, published, errors, closeCode: client.closeCode, sdpBytes: sdp.length },
      problems: [],
    };
  },
};
