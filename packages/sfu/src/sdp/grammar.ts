/**
 * Small grammar checks shared by the parser and the builders (RFC 8866 §9, RFC 8839 §5.4,
 * RFC 8122 §5, RFC 8830 §2, RFC 8851 §10).
 */
import { SdpError, SdpErrorCode } from './errors.ts';
import type { Direction, Setup } from './types.ts';

/** token-char of RFC 8866 §9. */
export const TOKEN = /^[!#$%&'*+\-.^_`{|}~A-Za-z0-9]+$/;
/** ice-char (RFC 8839 §5.4): ufrag 4…256 of them, pwd 22…256. */
export const ICE_UFRAG = /^[A-Za-z0-9+/]{4,256}$/;
export const ICE_PWD = /^[A-Za-z0-9+/]{22,256}$/;
/** Hash value of `a=fingerprint`: colon-separated hex byte pairs (RFC 8122 §5). */
export const FINGERPRINT_VALUE = /^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){15,63}$/;
/** rid-id (RFC 8851 §10), bounded to 255 characters. */
export const RID_ID = /^[A-Za-z0-9_-]{1,255}$/;

export const DIRECTIONS: ReadonlySet<string> = new Set<Direction>(['sendrecv', 'sendonly', 'recvonly', 'inactive']);
export const SETUPS: ReadonlySet<string> = new Set<Setup>(['active', 'passive', 'actpass', 'holdconn']);

/** Parses a decimal integer in [min, max] or throws `sdp_malformed` naming `what`. */
export function int(text: string | undefined, min: number, max: number, what: string, line?: number): number {
  if (text === undefined || !/^[0-9]{1,10}$/.test(text)) {
    throw new SdpError(SdpErrorCode.Malformed, `bad ${what} ${JSON.stringify(text ?? '')}`, line);
  }
  const n = Number(text);
  if (n < min || n > max) throw new SdpError(SdpErrorCode.Malformed, `${what} ${n} out of ${min}…${max}`, line);
  return n;
}

/** Parses an RTP payload type, 0…127 (RFC 3551 §3), else `sdp_bad_payload_type`. */
export function payloadType(text: string | undefined, line?: number): number {
  if (text === undefined || !/^[0-9]{1,3}$/.test(text) || Number(text) > 127) {
    throw new SdpError(SdpErrorCode.BadPayloadType, `bad payload type ${JSON.stringify(text ?? '')}`, line);
  }
  return Number(text);
}
