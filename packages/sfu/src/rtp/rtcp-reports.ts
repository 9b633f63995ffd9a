/**
 * RTCP sender and receiver reports, SDES and BYE (RFC 3550 §6.4–§6.6): parse from a
 * reader positioned on the packet, and size/write for building compound packets.
 */
import { RtpError } from './errors.ts';
import { RtcpType, writeRtcpHeader } from './rtcp-reader.ts';
import { readU32, writeU32 } from './rtp-packet.ts';

/** One reception report block (RFC 3550 §6.4.1), 24 bytes. */
export interface ReportBlock {
  /** SSRC of the source this block reports on. */
  ssrc: number;
  /** Fraction lost since the last report, 0–255 (fixed point /256). */
  fractionLost: number;
  /** Cumulative number of packets lost, 24-bit signed (duplicates can make it negative). */
  cumulativeLost: number;
  /** Extended highest sequence number received (cycles << 16 | seq). */
  highestSequence: number;
  /** Interarrival jitter in timestamp units. */
  jitter: number;
  /** Middle 32 bits of the NTP timestamp of the last SR received (LSR), 0 if none. */
  lastSr: number;
  /** Delay since that SR in units of 1/65536 s (DLSR). */
  delaySinceLastSr: number;
}

export interface SenderReport {
  type: 'sr';
  ssrc: number;
  /** NTP timestamp, seconds since 1900 (RFC 3550 §4). */
  ntpSeconds: number;
  /** NTP timestamp, fraction of a second (/2^32). */
  ntpFraction: number;
  rtpTimestamp: number;
  packetCount: number;
  octetCount: number;
  reports: ReportBlock[];
}

export interface ReceiverReport {
  type: 'rr';
  ssrc: number;
  reports: ReportBlock[];
}

/** SDES item types (RFC 3550 §6.5): 1 CNAME, 2 NAME, ..., 8 PRIV. */
export const SdesItemType = { CNAME: 1, NAME: 2, EMAIL: 3, PHONE: 4, LOC: 5, TOOL: 6, NOTE: 7, PRIV: 8 } as const;

export interface SdesItem {
  type: number;
  /** UTF-8 text, at most 255 bytes. */
  text: string;
}

export interface SdesChunk {
  ssrc: number;
  items: SdesItem[];
}

export interface SourceDescription {
  type: 'sdes';
  chunks: SdesChunk[];
}

export interface Bye {
  type: 'bye';
  ssrcs: number[];
  /** Reason for leaving (RFC 3550 §6.6), at most 255 bytes of UTF-8. */
  reason?: string;
}

const REPORT_BLOCK_LENGTH = 24;
const DECODER = new TextDecoder('utf-8', { fatal: false });
const ENCODER = new TextEncoder();

function parseBlocks(buf: Uint8Array, pos: number, count: number, end: number): ReportBlock[] {
  if (pos + count * REPORT_BLOCK_LENGTH > end) {
    throw new RtpError('rtcp_bad_length', `${count} report blocks do not fit the packet`);
  }
  const reports: ReportBlock[] = [];
  for (let i = 0; i < count; i++, pos += REPORT_BLOCK_LENGTH) {
    const lost = ((buf[pos + 5] as number) << 16) | ((buf[pos + 6] as number) << 8) | (buf[pos + 7] as number);
    reports.push({
      ssrc: readU32(buf, pos),
      fractionLost: buf[pos + 4] as number,
      cumulativeLost: lost & 0x800000 ? lost - 0x1000000 : lost,
      highestSequence: readU32(buf, pos + 8),
      jitter: readU32(buf, pos + 12),
      lastSr: readU32(buf, pos + 16),
      delaySinceLastSr: readU32(buf, pos + 20),
    });
  }
  return reports;
}

function writeBlocks(buf: Uint8Array, pos: number, reports: readonly ReportBlock[]): void {
  for (const r of reports) {
    writeU32(buf, pos, r.ssrc);
    const lost = r.cumulativeLost & 0xffffff;
    writeU32(buf, pos + 4, ((r.fractionLost & 0xff) << 24) | lost);
    writeU32(buf, pos + 8, r.highestSequence);
    writeU32(buf, pos + 12, r.jitter);
    writeU32(buf, pos + 16, r.lastSr);
    writeU32(buf, pos + 20, r.delaySinceLastSr);
    pos += REPORT_BLOCK_LENGTH;
  }
}

function checkBlockCount(reports: readonly ReportBlock[]): void {
  if (reports.length > 31)
    throw new RtpError('rtcp_bad_value', `at most 31 report blocks per packet, got ${reports.length}`);
}

/** Parses an SR (RFC 3550 §6.4.1) spanning `buf[offset, end)` whose RC field is `count`. */
export function parseSenderReport(buf: Uint8Array, offset: number, end: number, count: number): SenderReport {
  if (offset + 28 > end) throw new RtpError('rtcp_too_short', 'SR shorter than 28 bytes');
  return {
    type: 'sr',
    ssrc: readU32(buf, offset + 4),
    ntpSeconds: readU32(buf, offset + 8),
    ntpFraction: readU32(buf, offset + 12),
    rtpTimestamp: readU32(buf, offset + 16),
    packetCount: readU32(buf, offset + 20),
    octetCount: readU32(buf, offset + 24),
    reports: parseBlocks(buf, offset + 28, count, end),
  };
}

/** Parses an RR (RFC 3550 §6.4.2). */
export function parseReceiverReport(buf: Uint8Array, offset: number, end: number, count: number): ReceiverReport {
  if (offset + 8 > end) throw new RtpError('rtcp_too_short', 'RR shorter than 8 bytes');
  return { type: 'rr', ssrc: readU32(buf, offset + 4), reports: parseBlocks(buf, offset + 8, count, end) };
}

export function senderReportSize(p: SenderReport): number {
  checkBlockCount(p.reports);
  return 28 + REPORT_BLOCK_LENGTH * p.reports.length;
}

export function writeSenderReport(p: SenderReport, buf: Uint8Array, offset: number): number {
  const size = senderReportSize(p);
  writeRtcpHeader(buf, offset, p.reports.length, RtcpType.SR, size);
  writeU32(buf, offset + 4, p.ssrc);
  writeU32(buf, offset + 8, p.ntpSeconds);
  writeU32(buf, offset + 12, p.ntpFraction);
  writeU32(buf, offset + 16, p.rtpTimestamp);
  writeU32(buf, offset + 20, p.packetCount);
  writeU32(buf, offset + 24, p.octetCount);
  writeBlocks(buf, offset + 28, p.reports);
  return size;
}

export function receiverReportSize(p: ReceiverReport): number {
  checkBlockCount(p.reports);
  return 8 + REPORT_BLOCK_LENGTH * p.reports.length;
}

export function writeReceiverReport(p: ReceiverReport, buf: Uint8Array, offset: number): number {
  const size = receiverReportSize(p);
  writeRtcpHeader(buf, offset, p.reports.length, RtcpType.RR, size);
  writeU32(buf, offset + 4, p.ssrc);
  writeBlocks(buf, offset + 8, p.reports);
  return size;
}

/** Parses SDES (RFC 3550 §6.5): `count` chunks, each an SSRC, items, a null terminator, padding to 32 bits. */
export function parseSourceDescription(buf: Uint8Array, offset: number, end: number, count: number): SourceDescription {
  const chunks: SdesChunk[] = [];
  let pos = offset + 4;
  for (let c = 0; c < count; c++) {
    if (pos + 4 > end) throw new RtpError('rtcp_bad_length', 'SDES chunk runs past the packet');
    const chunk: SdesChunk = { ssrc: readU32(buf, pos), items: [] };
    pos += 4;
    for (;;) {
      if (pos >= end) throw new RtpError('rtcp_bad_length', 'SDES chunk without its null terminator');
      const type = buf[pos] as number;
      if (type === 0) break;
      if (pos + 2 > end) throw new RtpError('rtcp_bad_length', 'SDES item cut short');
      const len = buf[pos + 1] as number;
      if (pos + 2 + len > end) throw new RtpError('rtcp_bad_length', 'SDES item runs past the packet');
      chunk.items.push({ type, text: DECODER.decode(buf.subarray(pos + 2, pos + 2 + len)) });
      pos += 2 + len;
    }
    // Null item, then pad to the next 32-bit boundary (relative to the packet start).
    pos += 1;
    pos += (4 - ((pos - offset) & 3)) & 3;
    chunks.push(chunk);
  }
  return { type: 'sdes', chunks };
}

function encodedItems(chunk: SdesChunk): Uint8Array[] {
  return chunk.items.map((item) => {
    const text = ENCODER.encode(item.text);
    if (text.length > 255) throw new RtpError('rtcp_bad_value', 'SDES item text over 255 bytes');
    if (item.type < 1 || item.type > 255) throw new RtpError('rtcp_bad_value', `SDES item type ${item.type}`);
    return text;
  });
}

function chunkSize(chunk: SdesChunk): number {
  let n = 4;
  for (const text of encodedItems(chunk)) n += 2 + text.length;
  return (n + 1 + 3) & ~3; // null terminator, then 32-bit alignment
}

export function sourceDescriptionSize(p: SourceDescription): number {
  if (p.chunks.length > 31) throw new RtpError('rtcp_bad_value', 'at most 31 SDES chunks per packet');
  let n = 4;
  for (const c of p.chunks) n += chunkSize(c);
  return n;
}

export function writeSourceDescription(p: SourceDescription, buf: Uint8Array, offset: number): number {
  const size = sourceDescriptionSize(p);
  writeRtcpHeader(buf, offset, p.chunks.length, RtcpType.SDES, size);
  let pos = offset + 4;
  for (const chunk of p.chunks) {
    const start = pos;
    writeU32(buf, pos, chunk.ssrc);
    pos += 4;
    const texts = encodedItems(chunk);
    chunk.items.forEach((item, i) => {
      const text = texts[i] as Uint8Array;
      buf[pos] = item.type;
      buf[pos + 1] = text.length;
      buf.set(text, pos + 2);
      pos += 2 + text.length;
    });
    const next = start + chunkSize(chunk);
    buf.fill(0, pos, next);
    pos = next;
  }
  return size;
}

/** The CNAME of an SDES packet's first chunk that has one. */
export function cnameOf(p: SourceDescription): string | undefined {
  for (const c of p.chunks) for (const i of c.items) if (i.type === SdesItemType.CNAME) return i.text;
  return undefined;
}

/** Parses BYE (RFC 3550 §6.6): `count` SSRCs, then an optional length-prefixed reason. */
export function parseBye(buf: Uint8Array, offset: number, end: number, count: number): Bye {
  let pos = offset + 4;
  if (pos + count * 4 > end) throw new RtpError('rtcp_bad_length', `${count} BYE sources do not fit the packet`);
  const ssrcs: number[] = [];
  for (let i = 0; i < count; i++, pos += 4) ssrcs.push(readU32(buf, pos));
  const bye: Bye = { type: 'bye', ssrcs };
  if (pos < end) {
    const len = buf[pos] as number;
    if (pos + 1 + len > end) throw new RtpError('rtcp_bad_length', 'BYE reason runs past the packet');
    bye.reason = DECODER.decode(buf.subarray(pos + 1, pos + 1 + len));
  }
  return bye;
}

export function byeSize(p: Bye): number {
  if (p.ssrcs.length > 31) throw new RtpError('rtcp_bad_value', 'at most 31 BYE sources per packet');
  let n = 4 + 4 * p.ssrcs.length;
  if (p.reason !== undefined) {
    const len = ENCODER.encode(p.reason).length;
    if (len > 255) throw new RtpError('rtcp_bad_value', 'BYE reason over 255 bytes');
    n += (1 + len + 3) & ~3;
  }
  return n;
}

export function writeBye(p: Bye, buf: Uint8Array, offset: number): number {
  const size = byeSize(p);
  writeRtcpHeader(buf, offset, p.ssrcs.length, RtcpType.BYE, size);
  let pos = offset + 4;
  for (const s of p.ssrcs) {
    writeU32(buf, pos, s);
    pos += 4;
  }
  if (p.reason !== undefined) {
    const text = ENCODER.encode(p.reason);
    buf[pos] = text.length;
    buf.set(text, pos + 1);
    buf.fill(0, pos + 1 + text.length, offset + size);
  }
  return size;
}
