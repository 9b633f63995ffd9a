/**
 * Transport-wide congestion control feedback (RTPFB, FMT 15;
 * draft-holmer-rmcat-transport-wide-cc-extensions-01 §3.1).
 *
 * ```
 * |      base sequence number     |      packet status count      |
 * |                 reference time                | fb pkt. count |
 * |          packet chunk         |         packet chunk          |
 * :     recv delta  |  recv delta | ... (padding to 32 bits)      :
 * ```
 * Reference time: 24-bit signed, multiples of 64 ms. Receive deltas: multiples of 250 µs,
 * 1 byte unsigned ("small") or 2 bytes signed ("large").
 */
import { RtpError } from './errors.ts';
import { FEEDBACK_HEADER_LENGTH } from './rtcp-feedback.ts';
import { RtcpFmt, RtcpType, readU16, writeRtcpHeader, writeU16 } from './rtcp-reader.ts';
import { readU32, writeU32 } from './rtp-packet.ts';

/** Packet status symbols (§3.1.1). */
export const TwccStatus = { NOT_RECEIVED: 0, SMALL_DELTA: 1, LARGE_DELTA: 2 } as const;

export interface TwccPacket {
  sequence: number;
  /** 0 not received, 1 received with a small delta, 2 received with a large or negative delta. */
  status: number;
  /** Receive delta to the previous received packet (the first: to the reference time), µs; 0 when not received. */
  deltaUs: number;
}

export interface TransportCc {
  type: 'twcc';
  senderSsrc: number;
  mediaSsrc: number;
  baseSequence: number;
  /** Reference time in multiples of 64 ms (24-bit signed). */
  referenceTime: number;
  /** Feedback packet count, 0–255, incremented per feedback sent. */
  feedbackCount: number;
  packets: TwccPacket[];
}

const MAX_STATUS_COUNT = 0xffff;

/** Parses transport-wide CC feedback in `buf[offset, end)`. */
export function parseTransportCc(buf: Uint8Array, offset: number, end: number): TransportCc {
  let pos = offset + FEEDBACK_HEADER_LENGTH;
  if (pos + 8 > end) throw new RtpError('rtcp_too_short', 'transport-cc feedback shorter than 20 bytes');
  const baseSequence = readU16(buf, pos);
  const count = readU16(buf, pos + 2);
  const ref = readU32(buf, pos + 4) >>> 8;
  const referenceTime = ref & 0x800000 ? ref - 0x1000000 : ref;
  const feedbackCount = buf[pos + 7] as number;
  pos += 8;
  const packets: TwccPacket[] = [];
  while (packets.length < count) {
    if (pos + 2 > end) throw new RtpError('rtcp_bad_length', 'transport-cc packet chunks run past the packet');
    const chunk = readU16(buf, pos);
    pos += 2;
    if ((chunk & 0x8000) === 0) {
      // Run length chunk: T=0, S (2 bits), run length (13 bits).
      const symbol = (chunk >> 13) & 3;
      const run = chunk & 0x1fff;
      for (let i = 0; i < run && packets.length < count; i++) {
        packets.push({ sequence: (baseSequence + packets.length) & 0xffff, status: symbol, deltaUs: 0 });
      }
    } else if ((chunk & 0x4000) === 0) {
      // Status vector chunk, 14 one-bit symbols.
      for (let i = 13; i >= 0 && packets.length < count; i--) {
        packets.push({ sequence: (baseSequence + packets.length) & 0xffff, status: (chunk >> i) & 1, deltaUs: 0 });
      }
    } else {
      // Status vector chunk, 7 two-bit symbols.
      for (let i = 6; i >= 0 && packets.length < count; i--) {
        packets.push({
          sequence: (baseSequence + packets.length) & 0xffff,
          status: (chunk >> (2 * i)) & 3,
          deltaUs: 0,
        });
      }
    }
  }
  for (const p of packets) {
    if (p.status === TwccStatus.SMALL_DELTA) {
      if (pos + 1 > end) throw new RtpError('rtcp_bad_length', 'transport-cc receive deltas run past the packet');
      p.deltaUs = (buf[pos] as number) * 250;
      pos += 1;
    } else if (p.status === TwccStatus.LARGE_DELTA) {
      if (pos + 2 > end) throw new RtpError('rtcp_bad_length', 'transport-cc receive deltas run past the packet');
      const v = readU16(buf, pos);
      p.deltaUs = (v & 0x8000 ? v - 0x10000 : v) * 250;
      pos += 2;
    }
  }
  return {
    type: 'twcc',
    senderSsrc: readU32(buf, offset + 4),
    mediaSsrc: readU32(buf, offset + 8),
    baseSequence,
    referenceTime,
    feedbackCount,
    packets,
  };
}

/** Status symbol for a received packet's delta: small when 0–63.75 ms, large otherwise. */
function symbolFor(p: TwccPacket): number {
  if (p.status === TwccStatus.NOT_RECEIVED) return 0;
  const units = Math.round(p.deltaUs / 250);
  if (units < -0x8000 || units > 0x7fff) throw new RtpError('rtcp_bad_value', `transport-cc delta ${p.deltaUs} µs`);
  return units >= 0 && units <= 255 ? TwccStatus.SMALL_DELTA : TwccStatus.LARGE_DELTA;
}

function deltaBytes(packets: readonly TwccPacket[]): number {
  let n = 0;
  for (const p of packets) n += symbolFor(p);
  return n;
}

export function transportCcSize(p: TransportCc): number {
  if (p.packets.length === 0 || p.packets.length > MAX_STATUS_COUNT) {
    throw new RtpError('rtcp_bad_value', `transport-cc needs 1–65535 packet statuses, got ${p.packets.length}`);
  }
  const chunks = Math.ceil(p.packets.length / 7);
  return (FEEDBACK_HEADER_LENGTH + 8 + 2 * chunks + deltaBytes(p.packets) + 3) & ~3;
}

/**
 * Writes transport-cc feedback with two-bit status vector chunks (7 statuses per chunk);
 * the status of each packet is derived from `deltaUs` (received) or kept 0. Packets must be
 * consecutive from `baseSequence`. Padding to 32 bits is zero bytes inside the length
 * (the draft's implementations do so without the P bit).
 */
export function writeTransportCc(p: TransportCc, buf: Uint8Array, offset: number): number {
  const size = transportCcSize(p);
  writeRtcpHeader(buf, offset, RtcpFmt.TWCC, RtcpType.RTPFB, size);
  writeU32(buf, offset + 4, p.senderSsrc);
  writeU32(buf, offset + 8, p.mediaSsrc);
  let pos = offset + FEEDBACK_HEADER_LENGTH;
  writeU16(buf, pos, p.baseSequence);
  writeU16(buf, pos + 2, p.packets.length);
  writeU32(buf, pos + 4, ((p.referenceTime & 0xffffff) * 256 + (p.feedbackCount & 0xff)) >>> 0);
  pos += 8;
  const n = p.packets.length;
  for (let i = 0; i < n; i += 7) {
    let chunk = 0xc000;
    for (let j = 0; j < 7; j++) {
      const pkt = p.packets[i + j];
      const s = pkt === undefined ? 0 : symbolFor(pkt);
      chunk |= s << (2 * (6 - j));
    }
    writeU16(buf, pos, chunk);
    pos += 2;
  }
  for (const pkt of p.packets) {
    const s = symbolFor(pkt);
    const units = Math.round(pkt.deltaUs / 250);
    if (s === TwccStatus.SMALL_DELTA) buf[pos++] = units;
    else if (s === TwccStatus.LARGE_DELTA) {
      writeU16(buf, pos, units & 0xffff);
      pos += 2;
    }
  }
  buf.fill(0, pos, offset + size);
  return size;
}
