/**
 * What the send-side bandwidth estimator reads: the fate of each packet the SFU sent to
 * one subscriber, from that subscriber's transport-cc feedback (draft-holmer-rmcat-
 * transport-wide-cc-extensions-01) matched with what was sent. Times are ms (fractions
 * allowed): `sendMs` on the SFU's clock, `arrivalMs` on the subscriber's — only their
 * differences are used, so the clocks need not agree.
 */

export interface PacketResult {
  /** Transport-wide sequence number, unwrapped (monotonic across 16-bit wraps). */
  seq: number;
  /** When the SFU sent it, ms. */
  sendMs: number;
  /** Bytes on the wire (RTP header, payload, padding; without SRTP/UDP/IP overhead). */
  size: number;
  /** When it arrived, ms on the receiver's clock; undefined: reported lost. */
  arrivalMs: number | undefined;
  /** The probe cluster it belonged to (probe-result.ts), if any. */
  probeCluster?: number | undefined;
}

/** The delay-based detector's verdict (the "overuse detector" of GCC, draft-ietf-rmcat-gcc-02 §5.4). */
export type BandwidthUsage = 'normal' | 'underusing' | 'overusing';
