/**
 * The few RTP/RTCP header facts SRTP needs: where the RTP header ends (RFC 3550 §5.1,
 * §5.3.1) — SRTP encrypts what follows — and the SSRC and sequence number.
 */
import { SrtpError, SrtpErrorCode } from './errors.ts';

/** Length of the RTP header including CSRCs and the header extension; throws on bad input. */
export function rtpHeaderLength(p: Uint8Array, length: number): number {
  if (length < 12)
    throw new SrtpError(SrtpErrorCode.TooShort, `RTP packet of ${length} bytes is shorter than a header`);
  const b0 = p[0] as number;
  if (b0 >> 6 !== 2) throw new SrtpError(SrtpErrorCode.BadHeader, 'RTP version is not 2');
  let n = 12 + 4 * (b0 & 0x0f);
  if ((b0 & 0x10) !== 0) {
    if (n + 4 > length) throw new SrtpError(SrtpErrorCode.BadHeader, 'RTP header extension past the end');
    n += 4 + 4 * (((p[n + 2] as number) << 8) | (p[n + 3] as number));
  }
  if (n > length) throw new SrtpError(SrtpErrorCode.BadHeader, 'RTP header past the end of the packet');
  return n;
}

/** Checks an RTCP packet's first header (RFC 3550 §6.4.1): version 2, at least 8 bytes. */
export function checkRtcpHeader(p: Uint8Array, length: number): void {
  if (length < 8)
    throw new SrtpError(SrtpErrorCode.TooShort, `RTCP packet of ${length} bytes is shorter than a header`);
  if ((p[0] as number) >> 6 !== 2) throw new SrtpError(SrtpErrorCode.BadHeader, 'RTCP version is not 2');
}

export function readU32(p: Uint8Array, o: number): number {
  return (
    (((p[o] as number) << 24) | ((p[o + 1] as number) << 16) | ((p[o + 2] as number) << 8) | (p[o + 3] as number)) >>> 0
  );
}

export function readU16(p: Uint8Array, o: number): number {
  return ((p[o] as number) << 8) | (p[o + 1] as number);
}
