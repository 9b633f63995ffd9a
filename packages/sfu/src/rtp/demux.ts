/**
 * Telling apart what arrives on the SFU's one shared port.
 *
 * RFC 7983 §7 (updated by RFC 9443): first byte 0–3 STUN, 20–63 DTLS, 128–191 RTP/RTCP.
 * RFC 5761 §4: with RTP and RTCP multiplexed, the second byte of RTCP is a packet type
 * 192–223 (SR 200, RR 201, SDES 202, BYE 203, APP 204, RTPFB 205, PSFB 206, XR 207), which
 * as an RTP marker+payload-type byte would be payload types 64–95 — payload types that
 * RFC 5761 §4 forbids for RTP on a muxed session. Nothing here throws.
 */

export type DatagramKind = 'stun' | 'dtls' | 'rtp' | 'rtcp' | 'unknown';

/** True when an RTP/RTCP-range packet is RTCP: second byte 192–223 (RFC 5761 §4). */
export function isRtcp(buf: Uint8Array, offset = 0): boolean {
  const b = buf[offset + 1];
  return b !== undefined && b >= 192 && b <= 223;
}

/** The kind of a datagram on the shared port, from its first two bytes. Short or odd packets are `unknown`. */
export function classifyDatagram(buf: Uint8Array, offset = 0, length = buf.length - offset): DatagramKind {
  if (length < 1) return 'unknown';
  const b = buf[offset] as number;
  if (b <= 3) return 'stun';
  if (b >= 20 && b <= 63) return 'dtls';
  if (b >= 128 && b <= 191) {
    if (length < 2) return 'unknown';
    return isRtcp(buf, offset) ? 'rtcp' : 'rtp';
  }
  return 'unknown';
}
