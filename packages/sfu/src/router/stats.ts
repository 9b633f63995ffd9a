/**
 * Counters of one media worker, exported as Prometheus metrics by the server. Plain
 * numbers bumped on the hot path; no labels per participant (cardinality stays fixed).
 */
export class SfuStats {
  /** Datagrams received, by first-byte class (RFC 7983). */
  rxStun = 0;
  rxDtls = 0;
  rxRtp = 0;
  rxRtcp = 0;
  /** RTP packets forwarded to consumers (one per consumer per packet). */
  forwarded = 0;
  /** RTP bytes forwarded (before encryption). */
  forwardedBytes = 0;
  /** NACKed packets resent from the retransmission rings. */
  retransmitted = 0;
  /** Keyframe requests (PLI) sent to publishers after throttling. */
  keyframeRequests = 0;
  /** NACKs sent to publishers for packets lost on the way in. */
  nacksSent = 0;
  /** Transport-cc feedback messages sent to publishers (draft-holmer-rmcat-transport-wide-cc-extensions-01). */
  transportCcFeedback = 0;
  /** Transport-cc feedback messages taken from subscribers (their downlink's send-side estimate, bwe/). */
  transportCcReceived = 0;
  /** Padding-only RTX packets sent to subscribers as bandwidth probes (bwe/transport-bwe.ts). */
  probePadding = 0;
  /** RTCP receiver reports sent to publishers (RFC 3550 §6.4.2; they carry LSR/DLSR for the publisher's RTT). */
  receiverReports = 0;
  /** Padding-only RTX packets received (the publisher's bandwidth probes; not forwarded). */
  rtxProbes = 0;
  /** Dropped datagrams by reason code (`unverified_tuple`, `srtp_auth_failed`, `unknown_ssrc`, …). */
  readonly drops = new Map<string, number>();

  drop(reason: string): void {
    this.drops.set(reason, (this.drops.get(reason) ?? 0) + 1);
  }
}
