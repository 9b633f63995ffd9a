/**
 * RTCP compound packets as objects: `parseRtcp` and `encodeRtcp` (RFC 3550 §6, RFC 4585,
 * RFC 5104, REMB, transport-cc), and `rewriteRtcpSsrcs`, the in-place SSRC rewriting an
 * SFU does when it forwards a subscriber's feedback to the publisher (RFC 7667 §3.7).
 *
 * Parsing allocates (RTCP is a few packets per second per stream); `parseRtcpKinds`
 * builds only the kinds a receiver uses, and `RtcpReader` walks packets without objects.
 */
import { RtpError } from './errors.ts';
import {
  type FullIntraRequest,
  firSize,
  type GenericNack,
  isRemb,
  nackSize,
  type PictureLossIndication,
  parseFir,
  parseNack,
  parsePli,
  parseRemb,
  type Remb,
  rembSize,
  writeFir,
  writeNack,
  writePli,
  writeRemb,
} from './rtcp-feedback.ts';
import { RtcpFmt, RtcpReader, RtcpType } from './rtcp-reader.ts';
import {
  type Bye,
  byeSize,
  parseBye,
  parseReceiverReport,
  parseSenderReport,
  parseSourceDescription,
  type ReceiverReport,
  receiverReportSize,
  type SenderReport,
  type SourceDescription,
  senderReportSize,
  sourceDescriptionSize,
  writeBye,
  writeReceiverReport,
  writeSenderReport,
  writeSourceDescription,
} from './rtcp-reports.ts';
import { parseTransportCc, type TransportCc, transportCcSize, writeTransportCc } from './rtcp-twcc.ts';
import { readU32, writeU32 } from './rtp-packet.ts';

/** A packet this module does not decode (APP, XR, other feedback types); kept as bytes. */
export interface UnknownRtcp {
  type: 'unknown';
  packetType: number;
  /** The 5-bit count / FMT field. */
  count: number;
  /** The whole packet, header included, padding removed (a copy). */
  bytes: Uint8Array;
}

export type RtcpPacket =
  | SenderReport
  | ReceiverReport
  | SourceDescription
  | Bye
  | GenericNack
  | PictureLossIndication
  | FullIntraRequest
  | Remb
  | TransportCc
  | UnknownRtcp;

/** Parses every packet of a compound RTCP datagram; throws `RtpError` on the first malformed one. */
export function parseRtcp(buf: Uint8Array, offset = 0, length = buf.length - offset): RtcpPacket[] {
  const r = new RtcpReader().reset(buf, offset, length);
  const out: RtcpPacket[] = [];
  while (r.next()) out.push(parseCurrent(r, buf, kindOf(r, buf)));
  return out;
}

/** `RtcpPacket['type']` names. */
export type RtcpKind = RtcpPacket['type'];

/**
 * Parses only the packets whose kind is in `want` and skips the others after reading
 * their 4-byte header, so that what a receiver does not use costs it nothing beyond the
 * walk over the compound (proportional to its bytes). Framing is checked for every packet
 * (RFC 3550 §6.4.1, A.2: `rtcp_too_short`, `rtcp_bad_version`, `rtcp_bad_length`,
 * `rtcp_bad_padding`), the contents only of the wanted ones. Throws `RtpError` on the first
 * malformed packet; `out` then holds the wanted packets before it. Not reentrant (one
 * reader for all calls).
 */
export function parseRtcpKinds(
  buf: Uint8Array,
  want: ReadonlySet<RtcpKind>,
  out: RtcpPacket[] = [],
  offset = 0,
  length = buf.length - offset,
): RtcpPacket[] {
  const r = SELECT_READER.reset(buf, offset, length);
  while (r.next()) {
    const kind = kindOf(r, buf);
    if (want.has(kind)) out.push(parseCurrent(r, buf, kind));
  }
  return out;
}

const SELECT_READER = new RtcpReader();

/** The kind of the reader's current packet, from its header (and REMB's identifier). */
function kindOf(r: RtcpReader, buf: Uint8Array): RtcpKind {
  switch (r.type) {
    case RtcpType.SR:
      return 'sr';
    case RtcpType.RR:
      return 'rr';
    case RtcpType.SDES:
      return 'sdes';
    case RtcpType.BYE:
      return 'bye';
    case RtcpType.RTPFB:
      return r.count === RtcpFmt.NACK ? 'nack' : r.count === RtcpFmt.TWCC ? 'twcc' : 'unknown';
    case RtcpType.PSFB:
      if (r.count === RtcpFmt.PLI) return 'pli';
      if (r.count === RtcpFmt.FIR) return 'fir';
      return r.count === RtcpFmt.AFB && isRemb(buf, r.offset, r.offset + r.contentLength) ? 'remb' : 'unknown';
    default:
      return 'unknown';
  }
}

function parseCurrent(r: RtcpReader, buf: Uint8Array, kind: RtcpKind): RtcpPacket {
  const start = r.offset;
  const end = r.offset + r.contentLength;
  switch (kind) {
    case 'sr':
      return parseSenderReport(buf, start, end, r.count);
    case 'rr':
      return parseReceiverReport(buf, start, end, r.count);
    case 'sdes':
      return parseSourceDescription(buf, start, end, r.count);
    case 'bye':
      return parseBye(buf, start, end, r.count);
    case 'nack':
      return parseNack(buf, start, end);
    case 'twcc':
      return parseTransportCc(buf, start, end);
    case 'pli':
      return parsePli(buf, start, end);
    case 'fir':
      return parseFir(buf, start, end);
    case 'remb':
      return parseRemb(buf, start, end);
    case 'unknown':
      return unknown(r, buf);
  }
}

function unknown(r: RtcpReader, buf: Uint8Array): UnknownRtcp {
  return {
    type: 'unknown',
    packetType: r.type,
    count: r.count,
    bytes: buf.slice(r.offset, r.offset + r.contentLength),
  };
}

/** Encoded size of one packet in bytes. */
export function rtcpSize(p: RtcpPacket): number {
  switch (p.type) {
    case 'sr':
      return senderReportSize(p);
    case 'rr':
      return receiverReportSize(p);
    case 'sdes':
      return sourceDescriptionSize(p);
    case 'bye':
      return byeSize(p);
    case 'nack':
      return nackSize(p);
    case 'pli':
      return 12;
    case 'fir':
      return firSize(p);
    case 'remb':
      return rembSize(p);
    case 'twcc':
      return transportCcSize(p);
    case 'unknown':
      if (p.bytes.length < 4 || p.bytes.length % 4 !== 0) {
        throw new RtpError('rtcp_bad_value', 'unknown RTCP packet bytes must be a whole number of 32-bit words');
      }
      return p.bytes.length;
  }
}

/** Writes one packet at `offset`; returns its length. `buf` must have `rtcpSize(p)` bytes free. */
export function writeRtcp(p: RtcpPacket, buf: Uint8Array, offset: number): number {
  switch (p.type) {
    case 'sr':
      return writeSenderReport(p, buf, offset);
    case 'rr':
      return writeReceiverReport(p, buf, offset);
    case 'sdes':
      return writeSourceDescription(p, buf, offset);
    case 'bye':
      return writeBye(p, buf, offset);
    case 'nack':
      return writeNack(p, buf, offset);
    case 'pli':
      return writePli(p, buf, offset);
    case 'fir':
      return writeFir(p, buf, offset);
    case 'remb':
      return writeRemb(p, buf, offset);
    case 'twcc':
      return writeTransportCc(p, buf, offset);
    case 'unknown':
      buf.set(p.bytes, offset);
      return p.bytes.length;
  }
}

/** Encodes packets into one compound RTCP datagram (RFC 3550 §6.1; the caller orders SR/RR first). */
export function encodeRtcp(packets: readonly RtcpPacket[]): Uint8Array {
  let size = 0;
  for (const p of packets) size += rtcpSize(p);
  const buf = new Uint8Array(size);
  let pos = 0;
  for (const p of packets) pos += writeRtcp(p, buf, pos);
  return buf;
}

/**
 * Rewrites SSRCs in place in a compound RTCP datagram, for forwarding a subscriber's
 * feedback to the publisher (or reports the other way):
 * - the packet sender SSRC of SR/RR/RTPFB/PSFB becomes `senderSsrc` when given;
 * - `mapSsrc` maps every media SSRC a packet refers to: report blocks of SR/RR, the media
 *   SSRC of NACK/PLI/transport-cc/other feedback (when non-zero), FIR entries (RFC 5104
 *   §4.3.1.2), REMB's SSRC list. Return the input to leave one unchanged.
 * SDES, BYE, APP and XR are left alone. Validates framing first (throws `RtpError`), so
 * a malformed datagram is left untouched. Allocates nothing when `mapSsrc` does not.
 */
export function rewriteRtcpSsrcs(
  buf: Uint8Array,
  mapSsrc: (ssrc: number) => number,
  senderSsrc?: number,
  offset = 0,
  length = buf.length - offset,
): void {
  const r = REWRITE_READER.reset(buf, offset, length);
  while (r.next()); // validate the whole compound before touching it
  r.reset(buf, offset, length);
  while (r.next()) {
    const start = r.offset;
    const end = r.offset + r.contentLength;
    switch (r.type) {
      case RtcpType.SR:
      case RtcpType.RR: {
        let pos = start + (r.type === RtcpType.SR ? 28 : 8);
        if (pos > end) break;
        if (senderSsrc !== undefined) writeU32(buf, start + 4, senderSsrc);
        for (let i = 0; i < r.count && pos + 24 <= end; i++, pos += 24) mapAt(buf, pos, mapSsrc);
        break;
      }
      case RtcpType.RTPFB:
      case RtcpType.PSFB: {
        if (start + 12 > end) break;
        if (senderSsrc !== undefined) writeU32(buf, start + 4, senderSsrc);
        if (readU32(buf, start + 8) !== 0) mapAt(buf, start + 8, mapSsrc);
        if (r.type === RtcpType.PSFB && r.count === RtcpFmt.FIR) {
          for (let pos = start + 12; pos + 8 <= end; pos += 8) mapAt(buf, pos, mapSsrc);
        } else if (r.type === RtcpType.PSFB && r.count === RtcpFmt.AFB && isRemb(buf, start, end)) {
          const n = buf[start + 16] as number;
          for (let i = 0, pos = start + 20; i < n && pos + 4 <= end; i++, pos += 4) mapAt(buf, pos, mapSsrc);
        }
        break;
      }
    }
  }
}

const REWRITE_READER = new RtcpReader();

function mapAt(buf: Uint8Array, pos: number, mapSsrc: (ssrc: number) => number): void {
  const from = readU32(buf, pos);
  const to = mapSsrc(from) >>> 0;
  if (to !== from) writeU32(buf, pos, to);
}
