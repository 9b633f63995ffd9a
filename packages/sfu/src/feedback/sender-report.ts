/**
 * Sender reports for what the SFU sends downstream (a Consumer), RFC 3550 §6.4.1.
 *
 * A receiver lip-syncs a participant's audio and video by mapping each stream's RTP
 * timestamps to the sender's NTP wall clock through that stream's SR. The SFU forwards
 * RTP with its own SSRC (and, after a source switch, a timestamp offset), so it must send
 * its own SRs for the consumer's SSRC that keep the *publisher's* mapping:
 *
 * - NTP timestamp and RTP timestamp of the producer's last SR describe one instant; the
 *   SFU moves both forward by the time elapsed since that SR arrived (so the SR is fresh),
 *   NTP by the elapsed time itself and RTP by elapsed × clock rate;
 * - the RTP timestamp is translated into the consumer's timestamp space by adding the
 *   consumer's offset (`out = in + offset mod 2^32`, the `TimestampRewriter`'s);
 * - packet and octet counts are the consumer's own (what this receiver was sent).
 *
 * Without a producer SR there is no mapping to translate: no SR is built (a receiver
 * then simply does not sync that stream yet, as with a publisher that has not sent one).
 */
import type { SenderReport } from '../rtp/index.ts';
import type { LastSenderReport } from './receive-stats.ts';

export interface ConsumerSenderReportInput {
  /** The consumer's SSRC (the SR's sender). */
  ssrc: number;
  /** The producer's last SR and its arrival time (`ReceiveStats.lastSenderReport`). */
  producerSr: LastSenderReport | undefined;
  /** RTP clock rate of the stream, Hz. */
  clockRate: number;
  /** The consumer's RTP timestamp offset: consumer ts = producer ts + offset (mod 2^32). Default 0. */
  timestampOffset?: number;
  /** RTP packets the consumer has sent (RFC 3550: sender's packet count, mod 2^32). */
  packetCount: number;
  /** Payload octets the consumer has sent (mod 2^32). */
  octetCount: number;
  /** Now, ms on the same clock as `producerSr.receivedAtMs`. */
  nowMs: number;
}

/** NTP fraction units (2^-32 s) per millisecond. */
const NTP_FRACTION_PER_MS = 2 ** 32 / 1000;

/**
 * Builds the consumer's SR (no report blocks), or undefined without a producer SR.
 * Elapsed time before the SR arrived (a clock going backwards) counts as 0.
 */
export function buildConsumerSenderReport(input: ConsumerSenderReportInput): SenderReport | undefined {
  const sr = input.producerSr;
  if (sr === undefined) return undefined;
  const elapsedMs = Math.max(0, input.nowMs - sr.receivedAtMs);
  const fraction = sr.ntpFraction + Math.round(elapsedMs * NTP_FRACTION_PER_MS);
  const carry = Math.floor(fraction / 2 ** 32);
  const rtpElapsed = Math.round((elapsedMs * input.clockRate) / 1000);
  return {
    type: 'sr',
    ssrc: input.ssrc >>> 0,
    ntpSeconds: (sr.ntpSeconds + carry) >>> 0,
    ntpFraction: (fraction - carry * 2 ** 32) >>> 0,
    rtpTimestamp: (sr.rtpTimestamp + rtpElapsed + (input.timestampOffset ?? 0)) >>> 0,
    packetCount: input.packetCount >>> 0,
    octetCount: input.octetCount >>> 0,
    reports: [],
  };
}
