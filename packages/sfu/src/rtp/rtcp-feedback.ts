/**
 * RTCP feedback messages (RFC 4585 §6.1 common format): generic NACK (§6.2.1), PLI
 * (§6.3.1), FIR (RFC 5104 §4.3.1) and REMB (draft-alvestrand-rmcat-remb-03 §2.2).
 *
 * ```
 * |V=2|P|   FMT   |       PT      |          length               |
 * |                  SSRC of packet sender                        |
 * |                  SSRC of media source                         |
 * :            Feedback Control Information (FCI)                 :
 * ```
 */
import { RtpError } from './errors.ts';
import { RtcpFmt, RtcpType, readU16, writeRtcpHeader, writeU16 } from './rtcp-reader.ts';
import { readU32, writeU32 } from './rtp-packet.ts';

export interface GenericNack {
  type: 'nack';
  senderSsrc: number;
  mediaSsrc: number;
  /** Lost sequence numbers, in the order the PID/BLP pairs list them. */
  sequences: number[];
}

export interface PictureLossIndication {
  type: 'pli';
  senderSsrc: number;
  mediaSsrc: number;
}

export interface FirEntry {
  ssrc: number;
  /** Command sequence number, 0–255, incremented per new request (RFC 5104 §4.3.1.1). */
  sequence: number;
}

export interface FullIntraRequest {
  type: 'fir';
  senderSsrc: number;
  /** The header's media SSRC; RFC 5104 §4.3.1.2 says 0 (the targets are in `entries`). */
  mediaSsrc: number;
  entries: FirEntry[];
}

export interface Remb {
  type: 'remb';
  senderSsrc: number;
  /** Estimated total bitrate in bits/s (mantissa × 2^exp, exact up to 2^18 × 2^63). */
  bitrate: number;
  /** SSRCs the estimate applies to. */
  ssrcs: number[];
}

export const FEEDBACK_HEADER_LENGTH = 12;
const REMB_ID = 0x52454d42; // "REMB"

/** The lost sequence numbers of one PID + BLP pair (RFC 4585 §6.2.1), PID first. */
export function nackPairToSequences(pid: number, blp: number, out: number[] = []): number[] {
  out.push(pid & 0xffff);
  for (let bit = 0; bit < 16; bit++) if (blp & (1 << bit)) out.push((pid + bit + 1) & 0xffff);
  return out;
}

/**
 * Packs lost sequence numbers into PID + BLP pairs (RFC 4585 §6.2.1): each pair covers
 * its PID and the 16 sequence numbers after it (modulo 2^16). Input in sending order;
 * duplicates are folded. Returns a flat array `[pid0, blp0, pid1, blp1, ...]`.
 */
export function sequencesToNackPairs(sequences: readonly number[]): number[] {
  const pairs: number[] = [];
  let pid = -1;
  let blp = 0;
  for (const raw of sequences) {
    const seq = raw & 0xffff;
    if (pid >= 0) {
      const d = (seq - pid) & 0xffff;
      if (d === 0) continue;
      if (d <= 16) {
        blp |= 1 << (d - 1);
        continue;
      }
      pairs.push(pid, blp);
    }
    pid = seq;
    blp = 0;
  }
  if (pid >= 0) pairs.push(pid, blp);
  return pairs;
}

function checkFeedbackHeader(offset: number, end: number): void {
  if (offset + FEEDBACK_HEADER_LENGTH > end)
    throw new RtpError('rtcp_too_short', 'feedback packet shorter than 12 bytes');
}

/** Parses a generic NACK (RTPFB, FMT 1) in `buf[offset, end)`. */
export function parseNack(buf: Uint8Array, offset: number, end: number): GenericNack {
  checkFeedbackHeader(offset, end);
  const sequences: number[] = [];
  for (let pos = offset + FEEDBACK_HEADER_LENGTH; pos + 4 <= end; pos += 4) {
    nackPairToSequences(readU16(buf, pos), readU16(buf, pos + 2), sequences);
  }
  return { type: 'nack', senderSsrc: readU32(buf, offset + 4), mediaSsrc: readU32(buf, offset + 8), sequences };
}

export function nackSize(p: GenericNack): number {
  const pairs = sequencesToNackPairs(p.sequences).length / 2;
  if (pairs === 0) throw new RtpError('rtcp_bad_value', 'a NACK needs at least one sequence number');
  return FEEDBACK_HEADER_LENGTH + 4 * pairs;
}

export function writeNack(p: GenericNack, buf: Uint8Array, offset: number): number {
  const size = nackSize(p);
  writeRtcpHeader(buf, offset, RtcpFmt.NACK, RtcpType.RTPFB, size);
  writeU32(buf, offset + 4, p.senderSsrc);
  writeU32(buf, offset + 8, p.mediaSsrc);
  const pairs = sequencesToNackPairs(p.sequences);
  for (let i = 0, pos = offset + FEEDBACK_HEADER_LENGTH; i < pairs.length; i += 2, pos += 4) {
    writeU16(buf, pos, pairs[i] as number);
    writeU16(buf, pos + 2, pairs[i + 1] as number);
  }
  return size;
}

export function parsePli(buf: Uint8Array, offset: number, end: number): PictureLossIndication {
  checkFeedbackHeader(offset, end);
  return { type: 'pli', senderSsrc: readU32(buf, offset + 4), mediaSsrc: readU32(buf, offset + 8) };
}

export function writePli(p: PictureLossIndication, buf: Uint8Array, offset: number): number {
  writeRtcpHeader(buf, offset, RtcpFmt.PLI, RtcpType.PSFB, FEEDBACK_HEADER_LENGTH);
  writeU32(buf, offset + 4, p.senderSsrc);
  writeU32(buf, offset + 8, p.mediaSsrc);
  return FEEDBACK_HEADER_LENGTH;
}

/** Parses FIR (PSFB, FMT 4; RFC 5104 §4.3.1): 8-byte FCI entries of SSRC + seq nr + 24 reserved bits. */
export function parseFir(buf: Uint8Array, offset: number, end: number): FullIntraRequest {
  checkFeedbackHeader(offset, end);
  const entries: FirEntry[] = [];
  for (let pos = offset + FEEDBACK_HEADER_LENGTH; pos + 8 <= end; pos += 8) {
    entries.push({ ssrc: readU32(buf, pos), sequence: buf[pos + 4] as number });
  }
  return { type: 'fir', senderSsrc: readU32(buf, offset + 4), mediaSsrc: readU32(buf, offset + 8), entries };
}

export function firSize(p: FullIntraRequest): number {
  return FEEDBACK_HEADER_LENGTH + 8 * p.entries.length;
}

export function writeFir(p: FullIntraRequest, buf: Uint8Array, offset: number): number {
  const size = firSize(p);
  writeRtcpHeader(buf, offset, RtcpFmt.FIR, RtcpType.PSFB, size);
  writeU32(buf, offset + 4, p.senderSsrc);
  writeU32(buf, offset + 8, p.mediaSsrc);
  let pos = offset + FEEDBACK_HEADER_LENGTH;
  for (const e of p.entries) {
    writeU32(buf, pos, e.ssrc);
    writeU32(buf, pos + 4, (e.sequence & 0xff) * 0x1000000);
    pos += 8;
  }
  return size;
}

/** True when the PSFB/AFB packet in `buf[offset, end)` carries the "REMB" identifier. */
export function isRemb(buf: Uint8Array, offset: number, end: number): boolean {
  return offset + 20 <= end && readU32(buf, offset + 12) === REMB_ID;
}

/** Parses REMB (PSFB, FMT 15, "REMB"): Num SSRC (8), BR Exp (6), BR Mantissa (18), SSRC list. */
export function parseRemb(buf: Uint8Array, offset: number, end: number): Remb {
  if (!isRemb(buf, offset, end)) throw new RtpError('rtcp_too_short', 'REMB shorter than 20 bytes or not REMB');
  const n = buf[offset + 16] as number;
  if (offset + 20 + n * 4 > end) throw new RtpError('rtcp_bad_length', `${n} REMB SSRCs do not fit the packet`);
  const b17 = buf[offset + 17] as number;
  const exp = b17 >> 2;
  const mantissa = (b17 & 3) * 0x10000 + readU16(buf, offset + 18);
  const ssrcs: number[] = [];
  for (let i = 0; i < n; i++) ssrcs.push(readU32(buf, offset + 20 + i * 4));
  return { type: 'remb', senderSsrc: readU32(buf, offset + 4), bitrate: mantissa * 2 ** exp, ssrcs };
}

export function rembSize(p: Remb): number {
  if (p.ssrcs.length > 255) throw new RtpError('rtcp_bad_value', 'at most 255 SSRCs in a REMB');
  if (!(p.bitrate >= 0) || !Number.isFinite(p.bitrate)) throw new RtpError('rtcp_bad_value', 'REMB bitrate');
  return 20 + 4 * p.ssrcs.length;
}

/** Writes REMB; the bitrate is rounded down to what an 18-bit mantissa can hold. */
export function writeRemb(p: Remb, buf: Uint8Array, offset: number): number {
  const size = rembSize(p);
  writeRtcpHeader(buf, offset, RtcpFmt.AFB, RtcpType.PSFB, size);
  writeU32(buf, offset + 4, p.senderSsrc);
  writeU32(buf, offset + 8, 0);
  writeU32(buf, offset + 12, REMB_ID);
  let exp = 0;
  let mantissa = Math.floor(p.bitrate);
  while (mantissa >= 0x40000 && exp < 63) {
    mantissa = Math.floor(mantissa / 2);
    exp++;
  }
  if (mantissa > 0x3ffff) mantissa = 0x3ffff; // beyond 2^18 × 2^63: the largest REMB value
  buf[offset + 16] = p.ssrcs.length;
  buf[offset + 17] = (exp << 2) | Math.floor(mantissa / 0x10000);
  writeU16(buf, offset + 18, mantissa & 0xffff);
  p.ssrcs.forEach((s, i) => {
    writeU32(buf, offset + 20 + 4 * i, s);
  });
  return size;
}
